"""Fresh data after a wait: a run that resumes fetches the store's data again, once, and goes
on with it — or stops when the cart was converted or deleted, or the order was refunded,
cancelled or declined meanwhile."""

import pytest

from tests.factories import CUSTOMER, SURVEY
from workflows import tasks
from workflows.models import Step, WorkflowRun

pytestmark = pytest.mark.django_db
DELAY = {"amount": 3, "unit": "days"}


@pytest.fixture
def delayed(make_workflow):
    """A workflow that waits three days, then emails the customer."""

    def make(event="shipment_created", **fields):
        workflow = make_workflow(event, **fields)
        Step.objects.create(workflow=workflow, position=0, type="delay", config=DELAY)
        Step.objects.create(workflow=workflow, position=1, type="send_email", config=SURVEY)
        return workflow

    return make


def three_days_later(time_machine):
    time_machine.move_to("2026-03-05 10:00Z", tick=False)
    tasks.sweep()
    return WorkflowRun.objects.get()


@pytest.fixture
def started(time_machine):
    time_machine.move_to("2026-03-02 10:00Z", tick=False)


def test_the_email_uses_the_data_as_it_is_when_the_wait_ends(
    delayed, fire, store, mailoutbox, time_machine, started
):
    delayed()
    fire()
    calls_at_delivery = len(store.resource_calls())
    # Given the customer changed their name during the wait
    store.customer_v3["first_name"] = "Janet"
    run = three_days_later(time_machine)
    assert run.status == "succeeded"
    assert mailoutbox[0].body.startswith("Thanks, Janet.")
    assert run.merge_data["BigCommerce | Customer | first_name"] == "Janet"
    # Fetched again once, with the delivery's own minimum calls (order, customer)
    again = store.resource_calls()[calls_at_delivery:]
    assert len(again) == 2
    assert again[0].startswith("GET /v2/orders/") and again[1].startswith("GET /v3/customers?")


def test_an_abandoned_cart_that_is_gone_stops_the_run(
    delayed, fire, store, mailoutbox, time_machine, started
):
    delayed("cart_abandoned")
    fire("cart_abandoned")
    # Given the cart was converted to an order (BigCommerce then answers 404 for it)
    store.fail_next("/v3/carts/", 404)
    run = three_days_later(time_machine)
    assert mailoutbox == [] and run.status == "stopped"
    assert (
        run.error
        == "Stopped after the wait: the cart was converted or deleted while the run waited."
    )
    assert run.step_results.get(position=0).status == "stopped"


@pytest.mark.parametrize(
    ("status_id", "status"), [(4, "Refunded"), (5, "Cancelled"), (6, "Declined")]
)
def test_an_order_refunded_cancelled_or_declined_meanwhile_stops_the_run(
    delayed, fire, store, mailoutbox, time_machine, started, status_id, status
):
    delayed()
    fire()
    store.order.update(status_id=status_id, status=status)
    run = three_days_later(time_machine)
    assert mailoutbox == [] and run.status == "stopped"
    assert run.error == f"Stopped after the wait: the order is now {status}."


def test_which_order_statuses_stop_is_a_workflow_setting(
    delayed, fire, store, mailoutbox, time_machine, started, api_client, manager
):
    workflow = delayed()
    api_client.force_authenticate(manager)
    changed = api_client.patch(
        f"/api/v1/workflows/{workflow.pk}/", {"stop_on_order_statuses": [5]}, format="json"
    )
    assert changed.json()["stop_on_order_statuses"] == [5]
    fire()
    store.order.update(status_id=4, status="Refunded")  # no longer a stopping status
    assert three_days_later(time_machine).status == "succeeded" and len(mailoutbox) == 1


def test_a_store_that_cannot_be_reached_at_the_end_of_the_wait_is_asked_again_later(
    delayed, fire, store, mailoutbox, time_machine, started
):
    delayed()
    fire()
    store.fail_next("/v2/orders/", 503)
    run = three_days_later(time_machine)
    assert run.status == "waiting" and mailoutbox == []
    assert "Could not fetch fresh store data" in run.step_results.get(position=0).detail
    time_machine.move_to("2026-03-05 10:10:30Z", tick=False)
    tasks.sweep()
    run.refresh_from_db()
    assert run.status == "succeeded" and [m.to for m in mailoutbox] == [[CUSTOMER]]


def test_the_stopping_statuses_are_ticked_in_the_settings_form(client, manager, delayed):
    workflow = delayed(status="draft")
    client.force_login(manager)
    page = client.get(f"/workflows/{workflow.pk}/").content.decode()
    assert "After a wait, stop when the order is" in page
    data = {
        "settings-name": workflow.name,
        "settings-event": workflow.event,
        "settings-authentication": workflow.authentication_id,
        "settings-send_once_scope": "",
        "settings-send_once_days": "30",
        "settings-stop_on_order_statuses-sent": "1",
        "settings-stop_on_order_statuses": ["5", "14"],
    }
    client.post(f"/workflows/{workflow.pk}/settings/", data)
    workflow.refresh_from_db()
    assert workflow.stop_on_order_statuses == "5,14"
