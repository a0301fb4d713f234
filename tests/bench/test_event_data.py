"""`make bench`'s event-data figure, against the real stand-in over loopback: a workflow using
every extra code costs each extra resource once per delivery, the store once a day."""

import pytest

from bench import event_data, fixtures
from integrations.standin import StandIn


@pytest.mark.django_db(transaction=True)
def test_a_workflow_using_every_code_costs_four_calls_a_delivery_plus_the_store_once(settings):
    # given the bench's store and subscription on the stand-in
    with StandIn(port=0, stores={fixtures.STORE: fixtures.TOKEN}) as standin:
        settings.BIGCOMMERCE_API_BASE_URL = standin.base_url
        sub, workflows = fixtures.create(2)
        # when the bench measures 20 shipments for a workflow using every extra code
        result = event_data.measure(sub, workflows, standin)
    # then each delivery read the order, customer, shipment and products; the store once
    assert result["bigcommerce_calls"] == {
        "GET /v2/orders/{id}": 20,
        "GET /v3/customers": 20,
        "GET /v2/orders/{id}/shipments/{id}": 20,
        "GET /v2/orders/{id}/products": 20,
        "GET /v2/store": 1,
    }
    assert result["calls_per_delivery"] == 4.05
