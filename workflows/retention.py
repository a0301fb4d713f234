"""Retention: runs older than `RUN_RETENTION_DAYS` and deliveries older than
`DELIVERY_RETENTION_DAYS` are deleted, daily, in batches (docs/architecture.md, "Retention").

Each table is walked oldest first by its primary key (ids grow with time), `BATCH` rows at a
time: a batch reads ids, times and states along the primary key's index and deletes those
that are due, so no pass scans or sorts a table and each batch costs a bounded number of
queries. The walk stops at the first batch that reaches rows younger than the cutoff.

Kept whatever their age: runs not finished (pending, running, waiting: a delay can be long);
deliveries not finished (received, processing) or with a run that is not; and survey
responses (nothing here deletes one, and none may cascade from a run or a delivery). Runs go
first; a delivery deleted later leaves its remaining runs with no delivery (SET_NULL).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import DeliveryStatus, WebhookDelivery
from workflows.models import Job, WorkflowRun
from workflows.states import FINISHED

BATCH = 1000
FINISHED_DELIVERIES = (
    DeliveryStatus.PROCESSED,
    DeliveryStatus.FAILED,
    DeliveryStatus.DEAD,
    DeliveryStatus.UNUSABLE,
)


@dataclass
class Pruned:
    runs: int = 0
    deliveries: int = 0
    kept_deliveries: int = 0  # old enough, but not finished or with a run that is not
    jobs: int = 0
    more: bool = False  # the time budget ran out before the walk was done

    def as_dict(self) -> dict:
        return asdict(self)


def cutoff(days: int, now):
    """Rows created before this are due; None when `days` is 0 (kept for ever)."""
    return now - timedelta(days=days) if days > 0 else None


def prune(*, dry_run: bool = False, budget_seconds: float | None = None, now=None) -> Pruned:
    """Delete (or, with `dry_run`, count) what is past its retention. With `budget_seconds`
    it stops between batches when the time is up and says so (`more`)."""
    now = now or timezone.now()
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    result = Pruned()
    run_cutoff = cutoff(settings.RUN_RETENTION_DAYS, now)
    delivery_cutoff = cutoff(settings.DELIVERY_RETENTION_DAYS, now)
    if run_cutoff is not None:
        result.more = not walk(WorkflowRun, "created_at", run_cutoff, dry_run, deadline, result)
    if delivery_cutoff is not None and not result.more:
        done = walk(WebhookDelivery, "received_at", delivery_cutoff, dry_run, deadline, result)
        result.more = not done
        finished_jobs = Job.objects.filter(finished_at__lt=delivery_cutoff)
        result.jobs = finished_jobs.count() if dry_run else finished_jobs.delete()[0]
    return result


def walk(model, time_field: str, before, dry_run: bool, deadline, result: Pruned) -> bool:
    """Prune `model`'s rows older than `before`, oldest first; False if the time ran out."""
    after = 0
    while True:
        if deadline is not None and time.monotonic() >= deadline:
            return False
        rows = list(
            model.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", time_field, "status")[:BATCH]
        )
        if not rows:
            return True
        prune_batch(
            model, [(pk, status) for pk, at, status in rows if at < before], dry_run, result
        )
        after, newest = rows[-1][0], rows[-1][1]
        if newest >= before or len(rows) < BATCH:
            return True


def prune_batch(model, old: list[tuple[int, str]], dry_run: bool, result: Pruned) -> None:
    if model is WorkflowRun:
        states = FINISHED
        due = [pk for pk, status in old if status in states]
        result.runs += len(due)
    else:
        states = FINISHED_DELIVERIES
        finished = [pk for pk, status in old if status in FINISHED_DELIVERIES]
        busy = set()
        if finished:
            busy = set(
                WorkflowRun.objects.filter(delivery_id__in=finished)
                .exclude(status__in=FINISHED)
                .values_list("delivery_id", flat=True)
            )
        due = [pk for pk in finished if pk not in busy]
        result.deliveries += len(due)
        result.kept_deliveries += len(old) - len(due)
    if due and not dry_run:
        with transaction.atomic():
            # Only the ids are read: Django's delete follows the foreign keys (a run's step
            # results are deleted with it; a delivery's runs keep going, with no delivery).
            # The state again: a row retried or replayed since it was read is kept.
            model.objects.filter(pk__in=due, status__in=states).only("pk").delete()
