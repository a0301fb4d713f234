"""Jobs on the task cluster: progress saved batch by batch, a long job carried on from its
bookmark in a later task, a lost one handed out again by the sweeper, a broken one failed
with its reason; a replay batch costs the same queries whatever its size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import WebhookDelivery
from workflows import jobs, replay, tasks
from workflows.models import Job, JobStatus

pytestmark = pytest.mark.django_db


def statuses(deliveries) -> list[str]:
    found = dict(WebhookDelivery.objects.values_list("pk", "status"))
    return [found[d.pk] for d in deliveries]


@pytest.fixture
def dead(make_delivery, make_workflow):
    make_workflow("shipment_created")
    return [make_delivery(status="dead", order_id=300 + i) for i in range(5)]


def start_job(account, manager, query="") -> Job:
    """A replay job as the API queues it, not yet handed to a worker."""
    return replay.start(account, manager, QueryDict(query))


def test_progress_is_saved_after_each_batch(account, manager, dead, monkeypatch):
    monkeypatch.setattr(replay, "BATCH", 2)
    job = start_job(account, manager)
    seen = []

    def step(job):
        seen.append(Job.objects.get(pk=job.pk).done)  # what the job page would show now
        return replay.replay_step(job)

    assert jobs.run(job.pk, {job.kind: step}) == "succeeded: 5 of 5, 0 error(s)"
    assert seen == [0, 2, 4, 5]
    assert statuses(dead) == ["received"] * 5


def test_a_long_job_goes_back_on_the_queue_and_carries_on_from_its_bookmark(
    account, manager, dead, monkeypatch, django_capture_on_commit_callbacks
):
    # Given a job that can do only one batch of 2 per task
    monkeypatch.setattr(replay, "BATCH", 2)
    monkeypatch.setattr(jobs, "SLICE_SECONDS", 0)

    # When it is queued (each continuation is a new task, run here)
    with django_capture_on_commit_callbacks(execute=True):
        job = start_job(account, manager)

    # Then it finished over several tasks, each delivery replayed once
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.error_count) == ("succeeded", 5, 5, 0)
    assert job.last_id == dead[-1].pk and job.leased_until is None
    assert statuses(dead) == ["received"] * 5


def test_a_job_whose_worker_died_is_handed_out_again_by_the_sweeper(account, manager, dead):
    # Given a job that a worker took, did the first delivery of, then died
    job = start_job(account, manager)
    WebhookDelivery.objects.filter(pk=dead[0].pk).update(status="processed")
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        done=1,
        last_id=dead[0].pk,
        started_at=timezone.now() - timedelta(minutes=10),
        leased_until=timezone.now() - timedelta(seconds=1),
    )
    # While its lease lasts, no one else takes it
    Job.objects.filter(pk=job.pk).update(leased_until=timezone.now() + timedelta(minutes=1))
    assert tasks.sweep()["jobs"] == 0
    assert tasks.run_job(job.pk) == "skipped: not due or already running"

    # When its lease is over, the sweeper hands it out and it goes on from its bookmark
    Job.objects.filter(pk=job.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
    assert tasks.sweep()["jobs"] == 1

    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("succeeded", 5, 5)
    assert statuses(dead) == ["processed"] + ["received"] * 4


def test_deliveries_that_changed_before_their_turn_are_counted_and_said(account, manager, dead):
    job = start_job(account, manager)
    WebhookDelivery.objects.filter(pk__in=[dead[1].pk, dead[3].pk]).update(status="received")

    tasks.run_job(job.pk)

    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.error_count) == ("succeeded", 3, 5, 2)
    assert job.errors == [
        {
            "id": None,
            "error": "2 changed before their turn (replayed or processed meanwhile) and were "
            "left as they are.",
        }
    ]


def test_a_job_that_cannot_go_on_fails_saying_why(
    account, manager, make_workflow, make_delivery, auth
):
    # Given a replay of one workflow's deliveries, and the workflow deleted before it ran
    workflow = make_workflow("cart_converted", name="Gone soon")
    make_delivery("cart_converted", status="dead")
    job = start_job(account, manager, f"workflow={workflow.pk}")
    workflow.delete()

    tasks.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    assert "The filters are no longer valid" in job.errors[-1]["error"]
    assert "workflow" in job.errors[-1]["error"]


def test_a_replay_batch_costs_the_same_queries_whatever_its_size(
    account, manager, make_delivery, make_workflow, monkeypatch
):
    make_workflow("shipment_created")
    monkeypatch.setattr(replay, "BATCH", 40)
    for i in range(43):
        make_delivery(status="dead" if i % 2 else "failed", order_id=251)

    def batch_queries(job) -> int:
        with CaptureQueriesContext(connection) as ctx:
            replay.replay_step(job)
        return len(ctx.captured_queries)

    job = start_job(account, manager, "order_id=251&customer_email=&event=shipment_created")
    job.started_at = timezone.now()
    big = batch_queries(job)  # 40 deliveries
    small = batch_queries(job)  # the 3 left
    assert job.done == 43
    assert big == small <= 3
