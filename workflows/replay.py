"""Replaying deliveries in bulk: the deliveries list's filters become a job on the task cluster
that hands the matching failed and dead deliveries back to the queue, a batch at a time
(docs/architecture.md, "Replay"). One delivery is replayed by `deliveries.replay` directly.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from integrations import deliveries
from integrations.models import DeliveryStatus, WebhookDelivery
from workflows import jobs
from workflows.filters import DeliveryFilter
from workflows.models import Job, JobKind

BATCH = 500


class InvalidFilters(Exception):
    def __init__(self, errors: dict):
        super().__init__("Invalid filters")
        self.errors = errors


class NothingToReplay(Exception):
    """No failed or dead delivery matches; the message says so (and why, for unusable ones)."""


def of_account(account) -> QuerySet:
    return WebhookDelivery.objects.filter(subscription__authentication__account=account)


def filter_params(query: QueryDict) -> QueryDict:
    """Only the filters of `query` (no page number or other noise), to keep with the job."""
    kept = QueryDict(mutable=True)
    for name in DeliveryFilter.base_filters:
        values = [v for v in query.getlist(name) if v != ""]
        if values:
            kept.setlist(name, values)
    return kept


def matching(account, query: QueryDict) -> QuerySet:
    """The account's deliveries that `query`'s filters select; `InvalidFilters` if one is bad."""
    filterset = DeliveryFilter(query, of_account(account), account=account)
    if not filterset.is_valid():
        raise InvalidFilters(filterset.errors)
    return filterset.qs


def start(account, user, query: QueryDict) -> Job:
    """A job replaying every failed and dead delivery of `account` that `query` selects now
    (deliveries that fail later are not part of it). One query, then the job is queued."""
    filters = filter_params(query)
    found = matching(account, filters).aggregate(
        total=Count("pk", filter=Q(status__in=deliveries.REPLAYABLE)),
        last_id=Max("pk", filter=Q(status__in=deliveries.REPLAYABLE)),
        unusable=Count("pk", filter=Q(status=DeliveryStatus.UNUSABLE)),
    )
    note = ""
    if found["unusable"] == 1:
        note = "1 unusable delivery matches too, and can't be replayed: its body can't be used."
    elif found["unusable"]:
        note = (
            f"{found['unusable']} unusable deliveries match too, and can't be replayed: their "
            "body can't be used."
        )
    if not found["total"]:
        raise NothingToReplay(f"No failed or dead delivery matches these filters. {note}".strip())
    return jobs.create(
        kind=JobKind.REPLAY_DELIVERIES,
        account=account,
        created_by=user,
        params={"filters": filters.urlencode(), "max_id": found["last_id"]},
        total=found["total"],
        errors=[{"id": None, "error": note}] if note else [],
        error_count=found["unusable"],
    )


def replay_step(job: Job) -> bool:
    """The job's next batch of matching failed and dead deliveries, back to the queue, due at
    `DELIVERY_REPLAY_PER_SECOND` from where the previous batch left off."""
    try:
        selected = matching(job.account, QueryDict(job.params["filters"]))
    except InvalidFilters as exc:  # e.g. the workflow filtered on was deleted since
        raise ValueError(f"The filters are no longer valid: {exc.errors}") from None
    ids = list(
        selected.filter(
            pk__gt=job.last_id, pk__lte=job.params["max_id"], status__in=deliveries.REPLAYABLE
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    if not ids:
        left = job.total - job.done
        if left > 0:
            jobs.add_error(
                job,
                None,
                f"{left} changed before their turn (replayed or processed meanwhile) and were "
                "left as they are.",
                count=left,
            )
        return False
    rate = settings.DELIVERY_REPLAY_PER_SECOND  # 0: all due at once
    now = timezone.now()
    due = now
    if rate > 0:
        due = max(now, (job.started_at or now) + timedelta(seconds=job.done / rate))
    job.done += deliveries.replay_many(ids, start=due, per_second=rate or None)
    job.last_id = ids[-1]
    return True
