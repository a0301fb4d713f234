"""One delivery, many workflows: the fan-out costs the same few queries however many listen,
and steps without side effects are evaluated as the runs are created (no task per run)."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import WebhookDelivery
from integrations.subscriptions import subscription_for
from tests.factories import delivery_body
from workflows import tasks
from workflows.models import Step, StepResult, WorkflowRun

pytestmark = pytest.mark.django_db
REGISTERED = {
    "match": "all",
    "rules": [{"merge_code": "BigCommerce | Customer | email", "operator": "is_not_empty"}],
}
BIG_ORDER = {
    "match": "all",
    "rules": [
        {"merge_code": "BigCommerce | Order | total_inc_tax", "operator": "gt", "value": "1000"}
    ],
}


def condition_workflows(make_workflow, count, condition=REGISTERED, start=0):
    for i in range(start, start + count):
        wf = make_workflow("shipment_created", name=f"wf{i}")
        Step.objects.create(workflow=wf, position=0, type="condition", config=condition)


SHIPMENT_IDS = itertools.count(100)


def stored_delivery(auth, post_delivery, monkeypatch, hash_):
    """A delivery received and stored, not yet processed."""
    with monkeypatch.context() as m:
        m.setattr("workflows.broker.enqueue_delivery", lambda _id: None)
        body = delivery_body("shipment_created", id=next(SHIPMENT_IDS))  # one per shipment
        body["hash"] = hash_
        assert post_delivery(subscription_for(auth, "shipment_created"), body).status_code == 200
    return WebhookDelivery.objects.get(hash=hash_)


def queries_to_process(delivery) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert tasks.process_delivery(delivery.pk).startswith("processed")
    return len(ctx.captured_queries)


def test_fan_out_to_twelve_workflows_costs_no_more_queries_than_to_one(
    make_workflow, auth, post_delivery, store, monkeypatch
):
    # Given one workflow with a condition, and a delivery for it (after a first one: the
    # store's API budget row then exists, as it does after a store's first call)
    condition_workflows(make_workflow, 1)
    queries_to_process(stored_delivery(auth, post_delivery, monkeypatch, "h-first"))
    one = queries_to_process(stored_delivery(auth, post_delivery, monkeypatch, "h-one"))
    # When eleven more workflows listen and the next delivery arrives
    condition_workflows(make_workflow, 11, start=1)
    twelve = queries_to_process(stored_delivery(auth, post_delivery, monkeypatch, "h-twelve"))
    # Then it took the same number of queries, and every run finished with its step logged
    assert twelve == one
    runs = WorkflowRun.objects.filter(delivery__hash="h-twelve")
    assert runs.count() == 12
    assert set(runs.values_list("status", flat=True)) == {"succeeded"}
    assert StepResult.objects.filter(run__in=runs, status="succeeded").count() == 12


def test_a_run_that_stops_at_a_condition_is_never_a_task(
    make_workflow, auth, post_delivery, store, monkeypatch
):
    # Given a workflow whose condition is false for this order, then an email
    wf = make_workflow("shipment_created")
    Step.objects.create(workflow=wf, position=0, type="condition", config=BIG_ORDER)
    Step.objects.create(
        workflow=wf,
        position=1,
        type="send_email",
        config={"to": "[BigCommerce | Customer | email]", "subject": "Hi", "body": "Hello"},
    )
    handed_out = []
    monkeypatch.setattr("workflows.broker.enqueue_run", handed_out.append)
    # When the delivery is processed
    queries_to_process(stored_delivery(auth, post_delivery, monkeypatch, "h-small"))
    # Then the run was stored already stopped, with the condition's result, and never queued
    run = WorkflowRun.objects.get()
    assert run.status == "stopped" and run.error.startswith("Condition not met")
    assert run.started_at is not None and run.finished_at is not None
    assert run.next_position == 0
    (result,) = run.step_results.all()
    assert (result.position, result.status) == (0, "stopped")
    assert handed_out == []
