"""From delivery to runs: one fetch per delivery, exact merge data, retry policy by error."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from integrations import deliveries
from integrations.events import get_event
from integrations.models import WebhookDelivery
from integrations.subscriptions import subscription_for
from tests.factories import delivery_body
from tests.harness import run_due_deliveries
from workflows import tasks
from workflows.models import Step, WorkflowRun

pytestmark = pytest.mark.django_db
EMAIL = {"to": "[BigCommerce | Customer | email]", "subject": "Thanks", "body": "Hello"}


def deliver(event, make_workflow, auth, post_delivery, n_workflows=1, **data):
    for i in range(n_workflows):
        make_workflow(event, name=f"wf{i}")
    sub = subscription_for(auth, event)
    response = post_delivery(sub, delivery_body(event, **data))
    assert response.status_code == 200
    return WebhookDelivery.objects.get()


def test_shipment_created_end_to_end(make_workflow, auth, post_delivery, store):
    delivery = deliver("shipment_created", make_workflow, auth, post_delivery)
    # Then the order (v2) and the customer (v3 by id) were fetched, once each
    assert store.resource_calls() == ["GET /v2/orders/251", "GET /v3/customers?id:in=11"]
    delivery.refresh_from_db()
    assert delivery.status == "processed" and delivery.attempts == 1
    run = WorkflowRun.objects.get()
    assert run.status == "succeeded"  # no steps: the run just records its merge data
    codes = get_event("shipment_created").brief_codes
    assert set(run.merge_data) == set(codes) and len(run.merge_data) == 104
    assert run.merge_data["BigCommerce | Order | id"] == 251
    assert run.merge_data["BigCommerce | Order | billing_address | city"] == "Austin"
    assert run.merge_data["BigCommerce | Customer | email"] == "jane.smith@example.com"
    assert run.merge_data["BigCommerce | Customer | channel_ids"] == [1]


def test_cart_converted_uses_v2_customer(make_workflow, auth, post_delivery, store):
    deliver("cart_converted", make_workflow, auth, post_delivery)
    assert store.resource_calls() == ["GET /v2/orders/252", "GET /v2/customers/11"]
    run = WorkflowRun.objects.get()
    assert len(run.merge_data) == 106
    assert run.merge_data["BigCommerce | Customer | first_name"] == "Jane"
    assert (
        run.merge_data["BigCommerce | Customer | addresses | resource"] == "/customers/1/addresses"
    )
    assert run.merge_data["BigCommerce | Order | total_inc_tax"] == "69.8400"


def test_cart_abandoned_fetches_cart_then_customer(make_workflow, auth, post_delivery, store):
    deliver("cart_abandoned", make_workflow, auth, post_delivery)
    assert store.resource_calls() == [
        "GET /v3/carts/09346904-4175-44fd-be53-f7e598531b6c",
        "GET /v2/customers/11",
    ]
    run = WorkflowRun.objects.get()
    assert len(run.merge_data) == 30
    assert run.merge_data["BigCommerce | Cart | currency | code"] == "USD"
    assert run.merge_data["BigCommerce | Cart | cart_amount"] == 25.5


def test_guest_customer_means_no_customer_call_and_null_codes(
    make_workflow, auth, post_delivery, store
):
    store.order["customer_id"] = 0
    deliver("cart_converted", make_workflow, auth, post_delivery)
    assert store.resource_calls() == ["GET /v2/orders/252"]
    run = WorkflowRun.objects.get()
    customer = {k: v for k, v in run.merge_data.items() if "| Customer |" in k}
    assert customer and all(v is None for v in customer.values())


@pytest.mark.parametrize(
    "event, customer_call",
    [
        ("cart_abandoned", "GET /v2/customers/11"),
        ("cart_converted", "GET /v2/customers/11"),
        ("shipment_created", "GET /v3/customers?id:in=11"),
    ],
)
def test_a_deleted_customer_gives_null_customer_codes_not_a_failure(
    make_workflow, auth, post_delivery, store, event, customer_call
):
    # Given the order's (or cart's) customer deleted from the store since: v2 answers 404,
    # v3 an empty list
    store.fail_next("/v2/customers/", 404)
    store.customer_v3 = None
    # When the delivery is processed
    delivery = deliver(event, make_workflow, auth, post_delivery)
    # Then the customer was asked for once, and the delivery is processed, not failed
    assert store.resource_calls()[-1] == customer_call and len(store.resource_calls()) == 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("processed", "")
    # And the run has the event's other codes, with every Customer code null
    run = WorkflowRun.objects.get()
    assert run.status == "succeeded"
    customer = {k: v for k, v in run.merge_data.items() if "| Customer |" in k}
    assert customer and all(v is None for v in customer.values())
    others = {k: v for k, v in run.merge_data.items() if "| Customer |" not in k}
    assert any(v is not None for v in others.values())


@pytest.mark.parametrize("order_id", ["251", 251])
def test_drifted_types_are_accepted(make_workflow, auth, post_delivery, store, order_id):
    deliver("shipment_created", make_workflow, auth, post_delivery, orderId=order_id)
    assert WorkflowRun.objects.get().merge_data["BigCommerce | Order | id"] == 251


def test_twenty_workflows_share_one_fetch(make_workflow, auth, post_delivery, store):
    deliver("shipment_created", make_workflow, auth, post_delivery, n_workflows=20)
    assert len(store.resource_calls()) == 2
    assert WorkflowRun.objects.count() == 20


def test_paused_and_draft_workflows_do_not_run(make_workflow, auth, post_delivery, store):
    make_workflow("shipment_created", name="paused", status="paused")
    make_workflow("shipment_created", name="draft", status="draft")
    deliver("shipment_created", make_workflow, auth, post_delivery)
    assert list(WorkflowRun.objects.values_list("workflow__name", flat=True)) == ["wf0"]


def test_5xx_is_retried_later_with_backoff(make_workflow, auth, post_delivery, store):
    store.fail_next("/v2/orders/", 503)
    delivery = deliver("shipment_created", make_workflow, auth, post_delivery)
    delivery.refresh_from_db()
    assert delivery.status == "received" and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=30)
    assert not WorkflowRun.objects.exists()
    # When the retry time has come, the cluster's relay hands it out again and it completes
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert run_due_deliveries() == 1
    delivery.refresh_from_db()
    assert delivery.status == "processed" and delivery.attempts == 2
    assert WorkflowRun.objects.count() == 1


def test_gives_up_as_dead_after_max_attempts(make_workflow, auth, post_delivery, store, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 2
    store.fail_next("/v2/orders/", 500, 500)
    delivery = deliver("shipment_created", make_workflow, auth, post_delivery)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    run_due_deliveries()
    delivery.refresh_from_db()
    assert delivery.status == "dead"
    assert "Gave up after 2 attempts" in delivery.last_error


def retry_when_due(delivery, time_machine) -> None:
    """Move the clock to the delivery's retry time and let the relay hand it out."""
    delivery.refresh_from_db()
    time_machine.move_to(delivery.next_attempt_at, tick=False)
    assert run_due_deliveries() == 1
    delivery.refresh_from_db()


def test_a_503_lasting_47_hours_is_still_delivered(
    make_workflow, auth, post_delivery, store, time_machine
):
    # Given BigCommerce answering 503 from the first attempt on, for 47 hours
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    store.fail_next("/v2/orders/", *[503] * 200)
    delivery = deliver("shipment_created", make_workflow, auth, post_delivery)
    first_failure = timezone.now()
    # When the delivery is retried each time it is due, until the outage ends
    while timezone.now() < first_failure + timedelta(hours=47):
        retry_when_due(delivery, time_machine)
        assert delivery.status == "received", delivery.last_error
        assert delivery.next_attempt_at - timezone.now() <= timedelta(hours=1)  # backoff's cap
    store.failures.clear()
    retry_when_due(delivery, time_machine)
    # Then it is processed, with its run, after some 50 attempts
    assert delivery.status == "processed" and delivery.retrying_since is None
    assert 45 <= delivery.attempts <= 55
    assert WorkflowRun.objects.count() == 1


def test_an_outage_past_48_hours_gives_up_at_the_horizon(
    make_workflow, auth, post_delivery, store, time_machine
):
    # Given BigCommerce down for good
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    store.fail_next("/v2/orders/", *[503] * 200)
    delivery = deliver("shipment_created", make_workflow, auth, post_delivery)
    first_failure = timezone.now()
    # When it is retried each time it is due
    while delivery.status == "received":
        retry_when_due(delivery, time_machine)
    # Then the last attempt was at 48 h exactly (none later), and then it is dead, saying why
    assert delivery.status == "dead"
    assert timezone.now() == first_failure + timedelta(hours=48)
    assert delivery.last_error.startswith(f"Gave up after {delivery.attempts} attempts over 48.0 h")
    assert "503" in delivery.last_error or "unavailable" in delivery.last_error.lower()
    assert not WorkflowRun.objects.exists()


def test_the_retry_horizon_is_a_setting_and_a_replay_starts_it_again(
    make_workflow, auth, post_delivery, store, time_machine, settings
):
    # Given a 2-hour horizon and BigCommerce down
    settings.DELIVERY_RETRY_HOURS = 2
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    store.fail_next("/v2/orders/", *[503] * 200)
    delivery = deliver("shipment_created", make_workflow, auth, post_delivery)
    while delivery.status == "received":
        retry_when_due(delivery, time_machine)
    # Then it is dead 2 hours after its first failure
    assert delivery.status == "dead" and "over 2.0 h" in delivery.last_error
    # When it is replayed days later and BigCommerce still fails, it has 2 hours again
    time_machine.move_to("2026-03-05 09:00Z", tick=False)
    deliveries.replay(delivery)
    assert run_due_deliveries() == 1
    delivery.refresh_from_db()
    assert delivery.status == "received" and delivery.retrying_since == timezone.now()
    while delivery.status == "received":
        retry_when_due(delivery, time_machine)
    assert delivery.status == "dead"
    assert timezone.now() == datetime(2026, 3, 5, 11, tzinfo=UTC)


def test_404_fails_without_retry(make_workflow, auth, post_delivery, store):
    store.fail_next("/v2/orders/", 404)
    delivery = deliver("shipment_created", make_workflow, auth, post_delivery)
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "no longer exists" in delivery.last_error
    assert delivery.next_attempt_at is None and delivery.leased_until is None


def test_401_fails_and_marks_the_authentication(make_workflow, auth, post_delivery, store):
    store.fail_next("/v2/orders/", 401)
    delivery = deliver("shipment_created", make_workflow, auth, post_delivery)
    delivery.refresh_from_db()
    auth.refresh_from_db()
    assert delivery.status == "failed"
    assert auth.status == "failed"
    assert "access token" in auth.status_detail.lower()


def test_worker_died_mid_delivery_sweeper_completes_it(
    make_workflow, auth, post_delivery, store, monkeypatch
):
    # Given a delivery whose task never ran
    with monkeypatch.context() as m:
        m.setattr("workflows.broker.enqueue_delivery", lambda _id: None)
        delivery = deliver("shipment_created", make_workflow, auth, post_delivery)
    # ... and a worker that claimed it and died (status processing, lease running)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="processing", attempts=1, leased_until=timezone.now() + timedelta(minutes=5)
    )
    # When the lease has not expired, the sweeper leaves it alone
    assert tasks.sweep()["deliveries"] == 0
    # When the lease expires, the sweeper re-enqueues it and it completes exactly once
    WebhookDelivery.objects.filter(pk=delivery.pk).update(leased_until=timezone.now())
    assert tasks.sweep()["deliveries"] == 1
    delivery.refresh_from_db()
    assert delivery.status == "processed"
    assert WorkflowRun.objects.count() == 1


def test_duplicate_task_for_a_processed_delivery_is_a_noop(
    make_workflow, auth, post_delivery, store
):
    delivery = deliver("shipment_created", make_workflow, auth, post_delivery)
    calls = len(store.resource_calls())
    assert tasks.process_delivery(delivery.pk).startswith("skipped")
    assert len(store.resource_calls()) == calls
    assert WorkflowRun.objects.count() == 1


def test_no_active_workflow_processes_without_fetching(auth, post_delivery, store, make_workflow):
    make_workflow("shipment_created", status="paused")
    sub = subscription_for(auth, "shipment_created")
    post_delivery(sub, delivery_body("shipment_created"))
    assert WebhookDelivery.objects.get().status == "processed"
    assert store.resource_calls() == []


def test_runs_beyond_the_inline_budget_go_to_other_workers(
    make_workflow, auth, post_delivery, store, settings, monkeypatch
):
    # Given no time to run anything inline, and three workflows that send an email
    settings.FANOUT_INLINE_SECONDS = 0
    handed_out = []
    monkeypatch.setattr("workflows.broker.enqueue_run", handed_out.append)
    for i in range(3):
        wf = make_workflow("shipment_created", name=f"wf{i}")
        Step.objects.create(workflow=wf, position=0, type="send_email", config=EMAIL)
    # When a delivery reaches them
    deliver("shipment_created", make_workflow, auth, post_delivery, n_workflows=0)
    # Then every run is handed to the queue, still pending
    assert sorted(handed_out) == sorted(WorkflowRun.objects.values_list("pk", flat=True))
    assert set(WorkflowRun.objects.values_list("status", flat=True)) == {"pending"}
