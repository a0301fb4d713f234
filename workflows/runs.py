"""Creating, claiming and retrying runs. Each run is created once per delivery × workflow."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

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


def create_for_delivery(
    workflow: Workflow, delivery: WebhookDelivery, merge_data: dict, subject_keys: dict
) -> tuple[WorkflowRun, bool]:
    """Get or create the run of `workflow` for `delivery` (must be called in a transaction).
    The caller starts new pending runs (see `fanout.start_runs`)."""
    existing = WorkflowRun.objects.filter(workflow=workflow, delivery=delivery).first()
    if existing is not None:
        return existing, False
    subject = ""
    if workflow.send_once_scope:
        subject = subject_keys.get(workflow.send_once_scope) or ""
    run = WorkflowRun(
        workflow=workflow,
        delivery=delivery,
        merge_data=merge_data,
        subject_key=subject[:200],
        resume_at=timezone.now() + lease(),
    )
    if subject:
        # Serialise guard checks per workflow so two deliveries of one order can't both pass.
        Workflow.objects.select_for_update().filter(pk=workflow.pk).first()
        earlier = already_ran_for(workflow, subject)
        if earlier is not None:
            run.status = RunStatus.STOPPED
            run.error = (
                f"Suppressed by the send-once guard: run #{earlier.pk} already ran for {subject} "
                f"within {workflow.send_once_days} day(s)."
            )
            run.finished_at = timezone.now()
            run.resume_at = None
    run.save()
    return run, True


def claim(run_id: int) -> WorkflowRun | None:
    """Take a run to execute it: pending, waiting whose time has come, or running whose worker
    died (its lease, kept in resume_at, ran out). None when there is nothing to do now."""
    now = timezone.now()
    claimable = Q(status=RunStatus.PENDING) | Q(
        status__in=[RunStatus.WAITING, RunStatus.RUNNING], resume_at__lte=now
    )
    taken = WorkflowRun.objects.filter(claimable, pk=run_id).update(
        status=RunStatus.RUNNING, resume_at=now + lease()
    )
    if not taken:
        return None
    run = WorkflowRun.objects.select_related("workflow", "triggered_by").get(pk=run_id)
    if run.started_at is None:
        run.started_at = now
        run.save(update_fields=["started_at"])
    return run


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
