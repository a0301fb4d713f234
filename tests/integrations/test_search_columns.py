"""What deliveries and runs are found by: the order id a delivery's body names, stored in the
receiver's one INSERT, and the order id and customer email a run's merge data holds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.merge_data import SearchKeys, search_keys
from integrations.models import WebhookDelivery
from integrations.subscriptions import SECRET_HEADER, subscription_for
from tests.factories import delivery_body

WRITES = ("INSERT", "UPDATE", "DELETE")


def writes(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]


@pytest.mark.django_db
def test_the_receiver_stores_the_order_id_in_its_one_insert(make_workflow, auth, client, store):
    # Given a shipment workflow (the test never commits, so the delivery is only stored)
    make_workflow("shipment_created")
    sub = subscription_for(auth, "shipment_created")
    body = delivery_body("shipment_created", orderId="4711")

    # When BigCommerce delivers a shipment of order 4711 (its id sent as a string)
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(
            f"/webhooks/bigcommerce/{sub.uuid}/",
            body,
            content_type="application/json",
            **{f"HTTP_{SECRET_HEADER.upper().replace('-', '_')}": sub.secret},
        )

    # Then the request wrote one row, which can be found by the order id
    assert response.status_code == 200
    assert len(writes(ctx)) == 1
    assert WebhookDelivery.objects.get(order_id=4711).scope == "store/shipment/created"


@pytest.mark.django_db
def test_abandoned_carts_and_unusable_bodies_have_no_order_id(
    make_workflow, auth, post_delivery, store
):
    make_workflow("cart_abandoned")
    sub = subscription_for(auth, "cart_abandoned")
    post_delivery(sub, delivery_body("cart_abandoned"))
    post_delivery(sub, None, raw="{not json")

    assert sorted(WebhookDelivery.objects.values_list("status", "order_id")) == [
        ("processed", None),
        ("unusable", None),
    ]


@pytest.mark.parametrize(
    ("merge_data", "expected"),
    [
        (
            {
                "BigCommerce | Order | id": 251,
                "BigCommerce | Customer | email": " Jane@Example.COM ",
            },
            SearchKeys(251, "jane@example.com"),
        ),
        # A guest: no customer, the order's billing email
        (
            {
                "BigCommerce | Order | id": "252",
                "BigCommerce | Customer | email": None,
                "BigCommerce | Order | billing_address | email": "guest@example.com",
            },
            SearchKeys(252, "guest@example.com"),
        ),
        # An abandoned cart: no order, the cart's email
        ({"BigCommerce | Cart | email": "cart@example.com"}, SearchKeys(None, "cart@example.com")),
        # Values that are no id or no email are simply unknown
        (
            {"BigCommerce | Order | id": True, "BigCommerce | Customer | email": ["x"]},
            SearchKeys(None, ""),
        ),
        ({"BigCommerce | Order | id": 2**63}, SearchKeys(None, "")),
        ({"BigCommerce | Customer | email": "a" * 250 + "@b.cd"}, SearchKeys(None, "")),
        ({}, SearchKeys(None, "")),
    ],
)
def test_search_keys_come_from_the_merge_data(merge_data, expected):
    assert search_keys(merge_data) == expected
