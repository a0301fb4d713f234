"""Moving a workflow to another event: the refusal names only the codes that no longer fit."""

import pytest

from workflows import services
from workflows.models import Step
from workflows.steps.registry import StepsValidationError

pytestmark = pytest.mark.django_db


def test_changing_the_event_lists_only_the_codes_that_no_longer_fit(make_workflow):
    # given a shipment workflow whose email uses order, shipment and customer codes
    workflow = make_workflow("shipment_created")
    body = "[BigCommerce | Order | id] [BigCommerce | Shipment | tracking_number] [Store | name]"
    config = {"to": "[BigCommerce | Customer | email]", "subject": "Hi", "body": body}
    Step.objects.create(workflow=workflow, position=0, type="send_email", config=config)
    # when moving it to abandoned carts
    with pytest.raises(StepsValidationError) as excinfo:
        services.steps_under_event(workflow, "cart_abandoned")
    # then the message names the order and shipment codes, and not the cart event's whole list
    (message,) = excinfo.value.messages
    assert "[BigCommerce | Order | id]" in message
    assert "[BigCommerce | Shipment | tracking_number]" in message
    assert "Valid codes" not in message and "[BigCommerce | Cart | base_amount]" not in message
    assert message.startswith("Step 1 (Send email) · body: Unknown merge code(s)")


def test_steps_that_still_fit_move_with_the_workflow(make_workflow):
    # given a workflow using codes both events offer
    workflow = make_workflow("cart_converted")
    config = {"to": "[BigCommerce | Customer | email]", "subject": "[Store | name]", "body": "Hi"}
    Step.objects.create(workflow=workflow, position=0, type="send_email", config=config)
    # when moving it to shipments, its steps come along
    assert services.steps_under_event(workflow, "shipment_created")[0]["config"] == {
        **config,
        "format": "text",
    }
