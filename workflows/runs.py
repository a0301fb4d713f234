"""Creating, claiming and retrying runs. Each run is created once per delivery × workflow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import DateTimeField, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from initiator_site.db import fast_insert
from integrations.deliveries import lease
from integrations.models import WebhookDelivery
from workflows.models import RunStatus, StepResult, Workflow, WorkflowRun


def enqueue(run_id: int) -> None:
    from workflows.tasks import enqueue_run  # tasks imports this module

    enqueue_run(run_id)


def _enqueue_after_commit(run: WorkflowRun) -> None:
    transaction.on_commit(lambda: enqueue(run.pk))


def already_ran_for(workflow: Workflow, subject_key: str) -> WorkflowRun | None:
    """The send-once guard: an earlier real run of `workflow` for the same subject within the
    window (suppressed runs don't count: they never did anything)."""
    since = timezone.now() - timedelta(days=workflow.send_once_days)
    return (
        WorkflowRun.objects.filter(
            workflow=workflow, subject_key=subject_key, is_test=False, created_at__gte=since
        )
        .exclude(status=RunStatus.STOPPED, error__startswith="Suppressed")
        .order_by("created_at")
        .first()
    )


@dataclass
class Planned:
    """A run prepared in memory: not stored, its side-effect-free first steps evaluated."""

    run: WorkflowRun
    ahead: list[StepResult]


def plan_for_delivery(
    workflows: list[Workflow], delivery: WebhookDelivery, merge_data: dict, subject_keys: dict
) -> list[Planned]:
    """The runs `delivery` would start, built and evaluated in memory (conditions, delays)
    before any transaction: on SQLite the write lock is then held only for the writes."""
    from workflows import engine  # engine imports this module

    steps = engine.steps_of(wf.pk for wf in workflows)
    now = timezone.now()
    planned = []
    for workflow in workflows:
        subject = ""
        if workflow.send_once_scope:
            subject = subject_keys.get(workflow.send_once_scope) or ""
        run = WorkflowRun(
            workflow=workflow,
            delivery=delivery,
            merge_data=merge_data,
            subject_key=subject[:200],
            resume_at=now + lease(),
        )
        ahead = engine.run_ahead(run, steps[workflow.pk], engine.context_for(run, now))
        planned.append(Planned(run, ahead))
    return planned


def store_planned(planned: list[Planned], delivery: WebhookDelivery) -> list[WorkflowRun]:
    """Store the planned runs that don't exist yet (call in a transaction) and return them: a
    few queries whatever the fan-out, plus the send-once guard's for workflows that use it.
    The caller starts the pending ones (see `fanout.start_runs`)."""
    existing = set(
        WorkflowRun.objects.filter(
            delivery=delivery, workflow__in=[p.run.workflow for p in planned]
        ).values_list("workflow_id", flat=True)
    )
    todo = [p for p in planned if p.run.workflow_id not in existing]
    for p in todo:
        if p.run.subject_key and suppress_repeat(p.run):
            p.ahead = []
    new_runs = [p.run for p in todo]
    fast_insert.insert_many(new_runs)  # each run holds a copy of the merge data: see fast_insert
    for p in todo:
        for result in p.ahead:
            result.run = p.run
    fast_insert.insert_many([result for p in todo for result in p.ahead])
    return new_runs


def suppress_repeat(run: WorkflowRun) -> bool:
    """The send-once guard, for an unsaved run with a subject: if its workflow already ran for
    that subject within the window, mark the run stopped (it never executes) and say so."""
    workflow, now = run.workflow, timezone.now()
    # Serialise guard checks per workflow so two deliveries of one order can't both pass.
    Workflow.objects.select_for_update().filter(pk=workflow.pk).first()
    earlier = already_ran_for(workflow, run.subject_key)
    if earlier is None:
        return False
    run.status = RunStatus.STOPPED
    run.error = (
        f"Suppressed by the send-once guard: run #{earlier.pk} already ran for "
        f"{run.subject_key} within {workflow.send_once_days} day(s)."
    )
    run.next_position = 0
    run.started_at = None
    run.finished_at = now
    run.resume_at = None
    return True


def claim(run_id: int) -> WorkflowRun | None:
    """Take a run to execute it: pending, waiting whose time has come, or running whose worker
    died (its lease, kept in resume_at, ran out). None when there is nothing to do now."""
    now = timezone.now()
    claimable = Q(status=RunStatus.PENDING) | Q(
        status__in=[RunStatus.WAITING, RunStatus.RUNNING], resume_at__lte=now
    )
    taken = WorkflowRun.objects.filter(claimable, pk=run_id).update(
        status=RunStatus.RUNNING,
        resume_at=now + lease(),
        started_at=Coalesce("started_at", Value(now, output_field=DateTimeField())),
    )
    if not taken:
        return None
    return WorkflowRun.objects.select_related("workflow", "triggered_by").get(pk=run_id)


def due_ids(limit: int = 500) -> list[int]:
    return list(
        WorkflowRun.objects.filter(
            status__in=[RunStatus.PENDING, RunStatus.WAITING, RunStatus.RUNNING],
            resume_at__lte=timezone.now(),
        )
        .order_by("resume_at")
        .values_list("pk", flat=True)[:limit]
    )


class NotRetryable(Exception):
    pass


def retry(run: WorkflowRun) -> WorkflowRun:
    """Run a failed run again from the step that failed; earlier steps are not repeated."""
    if run.status != RunStatus.FAILED:
        raise NotRetryable(f"Only failed runs can be retried; this one is {run.status}.")
    with transaction.atomic():
        StepResult.objects.filter(run=run, position__gte=run.next_position).delete()
        run.status = RunStatus.PENDING
        run.error = ""
        run.finished_at = None
        run.resume_at = timezone.now() + lease()
        run.save(update_fields=["status", "error", "finished_at", "resume_at"])
        _enqueue_after_commit(run)
    return run
