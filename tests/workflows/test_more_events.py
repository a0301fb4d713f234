"""The catalog's events through the whole pipeline (BigCommerce's delivery → one fetch → runs),
their trigger filters letting deliveries through or holding them back, and a refund stopping a
review request that waits."""

import pytest

from integrations import deliveries
from integrations.models import WebhookDelivery
from tests.factories import SURVEY
from workflows import tasks
from workflows.dashboard import stats
from workflows.models import FilteredDelivery, Step, WorkflowRun

pytestmark = pytest.mark.django_db

STATUS_EMAIL = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "Order [BigCommerce | Order | id] is now [BigCommerce | Status | new]",
    "body": "It was [BigCommerce | Status | previous].",
}
REFUND_EMAIL = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "Refund of [BigCommerce | Refund | amount]",
    "body": "Reason: [BigCommerce | Refund | reason]",
}
TO_SHIPPED = {"type": "order", "id": 218, "status": {"previous_status_id": 11, "new_status_id": 2}}


def email_workflow(make_workflow, event, config, **fields):
    workflow = make_workflow(event, **fields)
    Step.objects.create(workflow=workflow, position=0, type="send_email", config=config)
    return workflow


def test_a_status_change_emails_the_previous_and_new_status(make_workflow, fire, store, mailoutbox):
    # Given a workflow on status changes that emails the customer
    email_workflow(make_workflow, "order_status_updated", STATUS_EMAIL)
    # When BigCommerce says order 218 went from Awaiting Fulfillment to Shipped
    fire("order_status_updated", **TO_SHIPPED)
    # Then the email names both, from the order and customer read once each
    (email,) = mailoutbox
    assert email.subject == "Order 218 is now Shipped"
    assert email.body.startswith("It was Awaiting Fulfillment.")
    assert store.resource_calls() == ["GET /v2/orders/218", "GET /v2/customers/11"]


def test_a_refund_emails_its_amount_and_reason_with_three_calls(
    make_workflow, fire, store, mailoutbox
):
    email_workflow(make_workflow, "order_refunded", REFUND_EMAIL)
    # When BigCommerce announces refund 3 of order 250 (its example)
    fire("order_refunded")
    (email,) = mailoutbox
    assert email.subject == "Refund of 49"
    assert email.body.startswith("Reason: Item arrived damaged")
    assert store.resource_calls() == [
        "GET /v2/orders/250",
        "GET /v3/orders/250/payment_actions/refunds",
        "GET /v2/customers/11",
    ]


def test_a_refund_the_store_does_not_list_fails_the_delivery_clearly(make_workflow, fire, store):
    make_workflow("order_refunded")
    fire("order_refunded", refund={"refund_id": 99})
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert "refund 99 of order 250" in delivery.last_error
    assert not WorkflowRun.objects.exists()


def test_a_new_customer_is_read_with_one_call(make_workflow, fire, store, mailoutbox):
    email_workflow(
        make_workflow,
        "customer_created",
        {"to": "[BigCommerce | Customer | email]", "subject": "Welcome", "body": "Hi"},
    )
    fire("customer_created", id=11)
    assert [m.to for m in mailoutbox] == [["jane@example.com"]]
    assert store.resource_calls() == ["GET /v2/customers/11"]
    run = WorkflowRun.objects.get()
    assert run.merge_data["BigCommerce | Customer | first_name"] == "Jane"


def test_calls_stay_at_the_minimum_however_many_workflows_listen(make_workflow, fire, store):
    # Given three workflows on refunds, one filtered out
    for name in ("A", "B"):
        make_workflow("order_refunded", name=name)
    make_workflow("order_refunded", name="C", trigger_filter={"channels": [2]})
    fire("order_refunded")
    # Then the store was read once: order, refund, customer
    assert len(store.resource_calls()) == 3
    assert WorkflowRun.objects.count() == 2
    assert FilteredDelivery.objects.count() == 1


# --- trigger filters -----------------------------------------------------------------------


def test_a_status_filter_lets_through_and_holds_back(make_workflow, fire, store):
    # Given a workflow that starts only when an order becomes Shipped or Completed
    workflow = make_workflow("order_status_updated", trigger_filter={"status_to": [2, 10]})
    # When one order becomes Awaiting Shipment, then one becomes Shipped
    store.order.update(status_id=9, status="Awaiting Shipment")
    fire("order_status_updated", status={"previous_status_id": 11, "new_status_id": 9})
    store.order.update(status_id=2, status="Shipped")
    fire("order_status_updated", **TO_SHIPPED)
    # Then only the second started a run; the first is processed, counted, and says why
    held, passed = WebhookDelivery.objects.order_by("pk")
    assert [run.delivery_id for run in WorkflowRun.objects.all()] == [passed.pk]
    assert held.status == "processed"
    assert "status is now Awaiting Shipment (9), not Shipped (2) or Completed (10)" in held.note
    (row,) = FilteredDelivery.objects.all()
    assert (row.delivery_id, row.workflow_id) == (held.pk, workflow.pk)
    # And the dashboard's chart of held-back deliveries counts it
    win = stats.window()
    held_back = stats.filtered_per_day(workflow.account_id, win.start, win.end)["held_back"]
    assert sum(held_back.values()) == 1


def test_a_status_from_filter_reads_the_previous_status(make_workflow, fire, store):
    make_workflow("order_status_updated", trigger_filter={"status_from": [0]})
    fire("order_status_updated", **TO_SHIPPED)  # from 11
    fire("order_status_updated")  # BigCommerce's example: from 0 (Incomplete) to 11
    assert WorkflowRun.objects.count() == 1
    assert "changed from Awaiting Fulfillment (11), not Incomplete (0)" in (
        WebhookDelivery.objects.order_by("pk").first().note
    )


def test_a_condition_filter_holds_back_a_small_order(make_workflow, fire, store):
    # Given a filter in the condition language: orders over 100 only
    rules = [
        {"merge_code": "BigCommerce | Order | total_inc_tax", "operator": "gt", "value": "100"}
    ]
    make_workflow("order_created", trigger_filter={"match": "all", "rules": rules})
    store.order.update(total_inc_tax="69.8400")
    fire("order_created")
    store.order.update(total_inc_tax="169.8400")
    fire("order_created")
    assert WorkflowRun.objects.count() == 1
    assert "its conditions do not hold" in WebhookDelivery.objects.order_by("pk").first().note


def test_a_filter_on_an_extra_code_fetches_what_it_reads(make_workflow, fire, store):
    rules = [{"merge_code": "Store | name", "operator": "equals", "value": "Not this store"}]
    make_workflow("order_created", trigger_filter={"rules": rules})
    fire("order_created")
    assert not WorkflowRun.objects.exists()
    assert "GET /v2/store" in store.resource_calls()


def test_a_channel_filter_holds_back_another_channel(make_workflow, fire, store):
    make_workflow("order_created", trigger_filter={"channels": [1]}, name="Storefront")
    make_workflow("order_created", trigger_filter={"channels": [2]}, name="Marketplace")
    fire("order_created")  # the example order is on channel 1
    assert list(WorkflowRun.objects.values_list("workflow__name", flat=True)) == ["Storefront"]
    assert FilteredDelivery.objects.get().reason == "channel 1 is not one of 2"


def test_an_incomplete_order_is_skipped_by_default(create_workflow, fire, store):
    # Given a workflow on new orders made as the UI and the API make one
    workflow = create_workflow(name="New order", event="order_created", steps=[])
    workflow.status = "active"
    workflow.save()
    assert workflow.trigger_filter == {"skip_statuses": [0, 1, 7]}
    # When an incomplete order is created, then one awaiting fulfillment
    store.order.update(status_id=0, status="Incomplete")
    fire("order_created", id=251)
    store.order.update(status_id=11, status="Awaiting Fulfillment")
    fire("order_created", id=252)
    # Then the first starts nothing, is not failed, and says why
    skipped, started = WebhookDelivery.objects.order_by("pk")
    assert skipped.status == "processed" and skipped.last_error == ""
    assert "the order is Incomplete (0), one of the statuses this workflow skips" in skipped.note
    assert [run.delivery_id for run in WorkflowRun.objects.all()] == [started.pk]


def test_a_replayed_filtered_delivery_is_counted_once(make_workflow, fire, store):
    make_workflow("order_created", trigger_filter={"skip_statuses": [7]})
    fire("order_created")
    delivery = WebhookDelivery.objects.get()
    delivery.status = "failed"
    delivery.save()
    deliveries.replay(delivery)
    tasks.process_delivery(delivery.pk)
    assert FilteredDelivery.objects.count() == 1


# --- a refund stops a pending review request ----------------------------------------------


def test_a_refund_stops_a_review_request_that_waits(
    make_workflow, fire, store, mailoutbox, time_machine
):
    # Given a review request three days after a shipment, waiting
    time_machine.move_to("2026-03-02 10:00Z", tick=False)
    review = make_workflow("shipment_created", name="Review")
    Step.objects.create(
        workflow=review, position=0, type="delay", config={"amount": 3, "unit": "days"}
    )
    Step.objects.create(workflow=review, position=1, type="send_email", config=SURVEY)
    fire("shipment_created")
    assert WorkflowRun.objects.get().status == "waiting"
    # When the order is refunded meanwhile (BigCommerce announces the refund too)
    store.order.update(status_id=4, status="Refunded")
    fire("order_refunded", id=store.order["id"])
    # Then at the end of the wait the review request stops, and no email goes out
    time_machine.move_to("2026-03-05 10:00Z", tick=False)
    tasks.sweep()
    run = WorkflowRun.objects.get(workflow=review)
    assert run.status == "stopped" and mailoutbox == []
    assert run.error == "Stopped after the wait: the order is now Refunded."


def test_a_refund_workflow_is_not_stopped_by_its_own_refund(
    create_workflow, fire, store, mailoutbox, time_machine
):
    time_machine.move_to("2026-03-02 10:00Z", tick=False)
    workflow = create_workflow(
        name="Sorry",
        event="order_refunded",
        steps=[
            {"type": "delay", "config": {"amount": 1, "unit": "days"}},
            {"type": "send_email", "config": REFUND_EMAIL},
        ],
    )
    workflow.status = "active"
    workflow.save()
    assert workflow.stop_on_order_statuses == "5,6"
    store.order.update(status_id=4, status="Refunded")
    fire("order_refunded")
    time_machine.move_to("2026-03-03 10:00Z", tick=False)
    tasks.sweep()
    assert WorkflowRun.objects.get().status == "succeeded" and len(mailoutbox) == 1


def test_the_deliveries_page_shows_what_was_filtered_and_why(
    make_workflow, fire, store, client, manager
):
    make_workflow("order_created", trigger_filter={"skip_statuses": [7]})
    fire("order_created")
    client.force_login(manager)
    page = client.get("/deliveries/").content.decode()
    assert "1 filtered" in page
    assert "Awaiting Payment (7), one of the statuses this workflow skips" in page
