"""Send-once is on by default for new workflows, and runs from before a change count."""

import pytest

from integrations.subscriptions import subscription_for
from tests.factories import SURVEY, delivery_body
from tests.factories import workflow_body as body
from workflows import services
from workflows.models import Step, Workflow, WorkflowRun

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("event", "scope"),
    [("shipment_created", "order"), ("cart_converted", "order"), ("cart_abandoned", "cart")],
)
def test_a_new_workflow_sends_once_per_order_or_cart(api_client, manager, auth, event, scope):
    api_client.force_authenticate(manager)
    data = body(auth)
    data["initiator"]["event"] = event
    created = api_client.post("/api/v1/workflows/", data, format="json").json()
    assert created["send_once"]["scope"] == scope and created["consent"] == "required"


def test_send_once_can_be_turned_off_explicitly(api_client, manager, auth):
    api_client.force_authenticate(manager)
    data = body(auth, send_once={"scope": None})
    created = api_client.post("/api/v1/workflows/", data, format="json").json()
    assert created["send_once"]["scope"] is None


def test_the_wizard_saves_with_send_once_on(client, manager, auth):
    client.force_login(manager)
    client.post("/workflows/new/name/", {"name": "Abandoned carts"})
    client.post("/workflows/new/initiator/", {"initiator": "bigcommerce"})
    client.post("/workflows/new/event/", {"event": "cart_abandoned"})
    client.post("/workflows/new/authentication/", {"mode": "existing", "authentication": auth.pk})
    assert Workflow.objects.get().send_once_scope == "cart"


def test_turning_send_once_on_counts_the_runs_from_before(
    make_workflow, auth, post_delivery, store, account, mailoutbox
):
    account.frequency_cap_emails = 0
    account.save()
    # Given a workflow that emailed order 251 while send-once was off
    workflow = make_workflow(send_once_scope="")
    Step.objects.create(workflow=workflow, position=0, type="send_email", config=SURVEY)
    sub = subscription_for(auth, "shipment_created")
    post_delivery(sub, {**delivery_body("shipment_created"), "hash": "first"})
    assert len(mailoutbox) == 1
    # When send-once is turned on per customer, and the order's second shipment arrives
    services.update_workflow(workflow, send_once_scope="customer")
    second = delivery_body("shipment_created", orderId=252, id=13)  # another shipment
    post_delivery(sub, {**second, "hash": "second"})
    # Then the run from before counts: the customer is not emailed again
    assert len(mailoutbox) == 1
    assert WorkflowRun.objects.filter(skip_reason="send_once").count() == 1
