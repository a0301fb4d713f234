"""Jobs: long work someone asked for, done on the task cluster a batch at a time.

A job is queued with a lease (like a pending run) and handed to a worker as a task. The worker
claims it, runs its kind's step — one batch, which advances `done` and the `last_id` bookmark —
and saves the progress after each batch, so the job page shows it as it goes. After
`SLICE_SECONDS` it puts the job back on the queue rather than run into the task timeout; if its
worker dies, the sweeper hands it out again when its lease is over, and it goes on from its
bookmark. A step that raises fails the job, with the reason in its errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.deliveries import lease
from workflows import broker
from workflows.models import Job, JobStatus

logger = logging.getLogger(__name__)

SLICE_SECONDS = 20.0  # at most a quarter of the task timeout
MAX_ERRORS_KEPT = 50

# A kind's step: work on the next batch of `job` (updating its counters and bookmark in
# memory); True while there is more to do.
Step = Callable[[Job], bool]


class Later(Exception):
    """Raised by a step that can't go on for now (e.g. the store's API budget is spent): the
    job waits `seconds`, keeping its progress, and the sweeper hands it out again then."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = max(1.0, float(seconds))
        self.reason = reason


def create(
    *, kind: str, account, created_by, params: dict, total: int, errors=(), error_count=0
) -> Job:
    """Store a job and hand it to the cluster once the transaction commits."""
    job = Job.objects.create(
        kind=kind,
        account=account,
        created_by=created_by,
        params=params,
        total=total,
        errors=list(errors)[:MAX_ERRORS_KEPT],
        error_count=error_count,
        leased_until=timezone.now() + lease(),
    )
    transaction.on_commit(lambda: broker.enqueue_job(job.pk))
    return job


def add_error(job: Job, row_id: int | None, error: str, count: int = 1) -> None:
    """Record a problem (about `count` rows) on the job; the first few are kept in words."""
    job.error_count += count
    if len(job.errors) < MAX_ERRORS_KEPT:
        job.errors.append({"id": row_id, "error": error[:500]})


def claim(job_id: int) -> Job | None:
    """Take a job to work on it: queued, or running whose worker died (lease over)."""
    now = timezone.now()
    claimable = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, leased_until__lte=now)
    taken = Job.objects.filter(claimable, pk=job_id).update(
        status=JobStatus.RUNNING, leased_until=now + lease()
    )
    if not taken:
        return None
    job = Job.objects.select_related("account").get(pk=job_id)
    if job.started_at is None:
        job.started_at = now
    return job


PROGRESS = [
    *["total", "done", "error_count", "errors", "last_id", "params"],
    *["started_at", "leased_until"],
]


def run(job_id: int, steps: Mapping[str, Step]) -> str:
    """Work on a job for up to `SLICE_SECONDS`, saving progress after each batch."""
    job = claim(job_id)
    if job is None:
        return "skipped: not due or already running"
    deadline = time.monotonic() + min(SLICE_SECONDS, settings.Q_CLUSTER["timeout"] / 4)
    try:
        while steps[job.kind](job):
            job.leased_until = timezone.now() + lease()
            job.save(update_fields=PROGRESS)
            if time.monotonic() >= deadline:
                job.status = JobStatus.QUEUED
                job.save(update_fields=["status"])
                broker.enqueue_job(job.pk)
                return f"continued: {job.done} of {job.total}"
    except Later as later:
        job.status = JobStatus.QUEUED
        job.leased_until = timezone.now() + timedelta(seconds=later.seconds)
        job.save(update_fields=[*PROGRESS, "status"])
        return f"waiting {later.seconds:.0f} s: {later.reason}"
    except Exception as exc:  # the job fails visibly, with its reason; nothing is retried
        logger.exception("Job %s failed", job.pk)
        add_error(job, None, f"The job stopped: {type(exc).__name__}: {exc}")
        return finish(job, JobStatus.FAILED)
    return finish(job, JobStatus.SUCCEEDED)


def finish(job: Job, status: str) -> str:
    job.status = status
    job.finished_at = timezone.now()
    job.leased_until = None
    job.save(update_fields=[*PROGRESS, "status", "finished_at"])
    return f"{status}: {job.done} of {job.total}, {job.error_count} error(s)"


def due_ids(limit: int = 100) -> list[int]:
    """Jobs the sweeper hands out again: queued or running, their lease over (the task was
    lost, or its worker died)."""
    return list(
        Job.objects.filter(leased_until__lte=timezone.now())
        .order_by("leased_until")
        .values_list("pk", flat=True)[:limit]
    )
