"""Retention: old deliveries and runs are pruned daily in batches (a bounded number of queries
each); whatever is still under way is kept, and so are survey responses."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from integrations.models import WebhookDelivery
from workflows import broker, retention, tasks
from workflows.models import Job, StepResult, WorkflowRun

pytestmark = pytest.mark.django_db


def aged(obj, days: int):
    """Make `obj` look `days` old (its creation time is set on insert)."""
    field = "received_at" if isinstance(obj, WebhookDelivery) else "created_at"
    type(obj).objects.filter(pk=obj.pk).update(**{field: timezone.now() - timedelta(days=days)})
    return obj


def exists(obj) -> bool:
    return type(obj).objects.filter(pk=obj.pk).exists()


@pytest.fixture
def workflow(make_workflow):
    return make_workflow("shipment_created")


def run(workflow, status="succeeded", days=0, delivery=None, steps=1):
    made = WorkflowRun.objects.create(workflow=workflow, status=status, delivery=delivery)
    for position in range(steps):
        StepResult.objects.create(run=made, position=position, type="delay", status="succeeded")
    return aged(made, days)


def test_what_is_past_its_retention_goes_and_what_is_under_way_stays(
    workflow, make_workflow, make_delivery, settings
):
    settings.DELIVERY_RETENTION_DAYS, settings.RUN_RETENTION_DAYS = 90, 365
    # Given deliveries and runs of every age and state
    old_delivery = aged(make_delivery(status="processed"), 91)
    its_old_run = run(workflow, days=400, delivery=old_delivery)
    other_workflow = make_workflow("shipment_created", name="Another")
    its_recent_run = run(other_workflow, status="failed", days=91, delivery=old_delivery)
    recent_delivery = aged(make_delivery(status="dead"), 89)
    old_unusable = aged(make_delivery(status="unusable"), 200)
    old_but_waiting = aged(make_delivery(status="processed"), 200)
    waiting_run = run(workflow, status="waiting", days=200, delivery=old_but_waiting)
    old_still_received = aged(make_delivery(status="received"), 100)
    ancient_pending_run = run(workflow, status="pending", days=500)
    old_test_run = run(workflow, status="stopped", days=366)
    young_run = run(workflow, days=364)
    old_job = Job.objects.create(
        kind="replay_deliveries", account=workflow.account, status="succeeded"
    )
    Job.objects.filter(pk=old_job.pk).update(finished_at=timezone.now() - timedelta(days=91))

    # When the daily pass runs
    pruned = retention.prune()

    # Then the old finished ones are gone, with their step results
    assert not exists(its_old_run) and not exists(old_test_run)
    assert not StepResult.objects.filter(run_id__in=[its_old_run.pk, old_test_run.pk]).exists()
    assert not exists(old_delivery) and not exists(old_unusable) and not exists(old_job)
    # A run younger than its retention stays, without its (older) delivery
    its_recent_run.refresh_from_db()
    assert its_recent_run.delivery_id is None and its_recent_run.step_results.count() == 1
    # What is under way stays, however old, and so does a delivery with such a run
    for kept in (waiting_run, ancient_pending_run, old_but_waiting, old_still_received):
        assert exists(kept)
    assert exists(recent_delivery) and exists(young_run)
    assert pruned.as_dict() == {
        "runs": 2,
        "deliveries": 2,
        "kept_deliveries": 2,
        "jobs": 1,
        "more": False,
    }


def test_the_command_prints_counts_and_a_dry_run_deletes_nothing(workflow, make_delivery):
    old = aged(make_delivery(status="dead"), 100)
    old_run = run(workflow, days=400)
    out = StringIO()

    call_command("prune", "--dry-run", stdout=out)

    assert "Runs older than 365 days: 1 would be deleted." in out.getvalue()
    assert "Deliveries older than 90 days: 1 would be deleted, 0 kept" in out.getvalue()
    assert "survey responses" in out.getvalue()
    assert exists(old) and exists(old_run)

    out = StringIO()
    call_command("prune", stdout=out)

    assert "Deliveries older than 90 days: 1 deleted" in out.getvalue()
    assert not exists(old) and not exists(old_run)


def test_zero_days_keeps_them_for_ever(workflow, make_delivery, settings):
    settings.DELIVERY_RETENTION_DAYS = settings.RUN_RETENTION_DAYS = 0
    old = aged(make_delivery(status="dead"), 5000)
    old_run = run(workflow, days=5000)

    out = StringIO()
    call_command("prune", stdout=out)

    assert exists(old) and exists(old_run)
    assert "Runs kept for ever (0): 0 deleted." in out.getvalue()


def queries_of_a_pass() -> int:
    with CaptureQueriesContext(connection) as ctx:
        retention.prune()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("steps", [1, 4])
def test_each_batch_costs_the_same_bounded_queries(
    workflow, make_delivery, monkeypatch, settings, steps
):
    settings.DELIVERY_RETENTION_DAYS = settings.RUN_RETENTION_DAYS = 30
    monkeypatch.setattr(retention, "BATCH", 4)

    def add(batches):
        for _ in range(4 * batches):
            delivery = aged(make_delivery(status="processed"), 40)
            run(workflow, days=40, delivery=delivery, steps=steps)

    add(1)
    one = queries_of_a_pass()
    add(3)
    three = queries_of_a_pass()

    # Whatever the step results per run, a batch costs the same few queries: a pass of three
    # batches of each table costs two batches more of each than a pass of one
    assert not WebhookDelivery.objects.exists() and not WorkflowRun.objects.exists()
    per_batch = three - one
    assert per_batch % 2 == 0 and per_batch // 2 == BATCH_QUERIES


# Per batch of runs: read the batch, the ids to delete, their step results, the runs (with a
# savepoint around the two deletes); of deliveries: read the batch, their runs under way, the
# ids to delete, detach their runs, the deliveries (and the savepoint); and the sent emails
# that recorded the runs' sends are detached from the runs and step results, not deleted (the
# frequency cap counts them); so are the survey invitations and responses of the runs (survey
# results outlive runs).
BATCH_QUERIES = 4 + 2 + 5 + 2 + 3 + 2


def test_a_pass_that_runs_out_of_time_goes_on_as_a_new_task(workflow, monkeypatch):
    run(workflow, days=400)
    queued = []
    monkeypatch.setattr(broker, "enqueue_prune", queued.append)

    result = tasks.prune(budget_seconds=0)

    assert result["more"] is True and queued == [0]
    assert WorkflowRun.objects.exists()  # nothing done in no time; the next task does it


def test_the_pass_is_scheduled_daily():
    schedule = Schedule.objects.get(func="workflows.tasks.prune")
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1


def test_nothing_named_a_survey_response_is_deleted_with_a_run_or_a_delivery():
    """Survey responses are kept: a model of them must not cascade from what is pruned."""
    pruned = (WorkflowRun, WebhookDelivery)
    for model in apps.get_models():
        if "survey" not in model.__name__.lower():
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey) and field.related_model in pruned:
                assert field.remote_field.on_delete is not models.CASCADE, (model, field.name)
