"""Claiming, retrying and finding due runs. A run is created once per delivery × workflow
(`fanout`); here it is taken by one worker at a time, for one lease (`leased_until`), and a
waiting run comes back at its `resume_at`."""

from __future__ import annotations

from django.db import transaction
from django.db.models import DateTimeField, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.deliveries import lease
from workflows import broker
from workflows.models import RunStatus, StepResult, StepStatus, WorkflowRun

# Never needed to execute a run (they stay encrypted, unread, in the row).
SECRET_FIELDS = ("client_id", "access_token")


def claim(run_id: int) -> WorkflowRun | None:
    """Take a run to execute it: pending, waiting whose time has come, or running whose worker
    died (its lease ran out). None when there is nothing to do now."""
    now = timezone.now()
    claimable = (
        Q(status=RunStatus.PENDING)
        | Q(status=RunStatus.WAITING, resume_at__lte=now)
        | Q(status=RunStatus.RUNNING, leased_until__lte=now)
    )
    taken = WorkflowRun.objects.filter(claimable, pk=run_id).update(
        status=RunStatus.RUNNING,
        resume_at=None,
        leased_until=now + lease(),
        started_at=Coalesce("started_at", Value(now, output_field=DateTimeField())),
    )
    if not taken:
        return None
    return (
        WorkflowRun.objects.select_related(
            "workflow__account", "workflow__authentication", "triggered_by"
        )
        .defer(*(f"workflow__authentication__{name}" for name in SECRET_FIELDS))
        .get(pk=run_id)
    )


def due_ids(limit: int = 500) -> list[int]:
    """Runs the sweeper hands out: waiting ones whose time has come, and pending or running ones
    whose lease is over (never started, or their worker died)."""
    now = timezone.now()
    ids = list(
        WorkflowRun.objects.filter(leased_until__lte=now)
        .order_by("leased_until")
        .values_list("pk", flat=True)[:limit]
    )
    ids += (
        WorkflowRun.objects.filter(status=RunStatus.WAITING, resume_at__lte=now)
        .order_by("resume_at")
        .values_list("pk", flat=True)[: limit - len(ids)]
    )
    return ids


class NotRetryable(Exception):
    pass


def retry(run: WorkflowRun) -> WorkflowRun:
    """Run a failed run again from the step that failed; earlier steps are not repeated (in
    an If / else's branch too: its decision and the branch's finished steps are kept)."""
    if run.status != RunStatus.FAILED:
        raise NotRetryable(f"Only failed runs can be retried; this one is {run.status}.")
    with transaction.atomic():
        failed_here = Q(position=run.next_position) & ~Q(status=StepStatus.SUCCEEDED)
        StepResult.objects.filter(Q(position__gt=run.next_position) | failed_here, run=run).delete()
        run.status = RunStatus.PENDING
        run.error = ""
        run.finished_at = None
        run.leased_until = timezone.now() + lease()
        run.save(update_fields=["status", "error", "finished_at", "leased_until"])
        transaction.on_commit(lambda: broker.enqueue_run(run.pk))
    return run


def retry_failed(candidates) -> list[WorkflowRun]:
    """Retry the failed runs among `candidates` (a queryset), each as `retry` does."""
    return [retry(run) for run in candidates.filter(status=RunStatus.FAILED)]
