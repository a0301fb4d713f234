"""Backfill as a job on the task cluster: after a hook repair (automatically) or by
`manage.py backfill`, the orders changed in a gap are read a page at a time and their missed
shipments and converted carts stored as backfilled deliveries (the rules are
`integrations.backfill`; docs/architecture.md, "Backfill"). The job's total is the orders
changed in the gap, `done` those looked at, and its params count what was created.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.dispatch import receiver

from integrations import backfill
from integrations.bigcommerce.errors import BigCommerceError
from integrations.models import BigCommerceAuthentication, WebhookSubscription
from integrations.signals import hook_repaired
from workflows import jobs
from workflows.models import Job, JobKind, JobStatus

logger = logging.getLogger(__name__)

RETRY_SECONDS = 60.0  # a BigCommerce outage: the job tries its page again then


class NothingToBackfill(Exception):
    """No workflow listens to an event that can be backfilled; the message says so."""


def start(
    auth: BigCommerceAuthentication,
    gap: backfill.Gap,
    *,
    events=backfill.BACKFILLABLE,
    user=None,
    reason: str = "",
) -> Job:
    """A job backfilling the gap for `auth`'s subscriptions to `events` that a workflow
    listens to; queued once the transaction commits."""
    subs = backfill.subscriptions_to_fill(auth, events)
    if not subs:
        raise NothingToBackfill(
            "No active workflow of this authentication listens to shipments or converted "
            "carts, so there is nothing to backfill. " + backfill.ABANDONED_CARTS
        )
    since, until = (w.isoformat() for w in (gap.since, gap.until))
    params = {
        "authentication_id": auth.pk,
        "events": sorted(subs),
        "since": since,
        "until": until,
        "reason": reason,
        "counted": False,
        "created": 0,
        "duplicates": 0,
    }
    return jobs.create(
        kind=JobKind.BACKFILL, account=auth.account, created_by=user, params=params, total=0
    )


def backfill_step(job: Job) -> bool:
    """The job's next page of orders (see `integrations.backfill.backfill_page`). BigCommerce
    out of reach or our API budget spent: the job waits (`jobs.Later`) and reads it again."""
    params = job.params
    auth = BigCommerceAuthentication.objects.filter(
        pk=params["authentication_id"], account=job.account
    ).first()
    if auth is None:
        raise ValueError("The authentication was deleted.")
    gap = backfill.Gap(
        datetime.fromisoformat(params["since"]), datetime.fromisoformat(params["until"])
    )
    subs = backfill.subscriptions_to_fill(auth, params["events"])
    if not subs:
        raise ValueError("No workflow listens to these events any more.")
    try:
        if not params["counted"]:
            job.total = backfill.count_orders(auth, gap)
            params["counted"] = True
        page = backfill.backfill_page(auth, subs, gap, job.last_id)
    except BigCommerceError as exc:
        if exc.retryable:
            raise jobs.Later(exc.retry_after or RETRY_SECONDS, exc.message) from None
        raise
    for order_id, error in page.errors:
        jobs.add_error(job, order_id, f"Order {order_id}: {error}")
    job.done += page.orders
    job.total = max(job.total, job.done)  # orders changed since the count are read too
    job.last_id = page.last_id
    params["created"] += page.created
    params["duplicates"] += page.duplicates
    return page.more


@receiver(hook_repaired, dispatch_uid="workflows.backfill.after_repair")
def after_repair(sender, subscription_id: int, since: datetime, until: datetime, **kwargs) -> None:
    """A hook was repaired: backfill its event over the gap (abandoned carts can't be)."""
    sub = (
        WebhookSubscription.objects.select_related("authentication__account")
        .filter(pk=subscription_id)
        .first()
    )
    if sub is None or sub.event not in backfill.BACKFILLABLE:
        return
    auth = sub.authentication
    already = Job.objects.filter(
        kind=JobKind.BACKFILL,
        account=auth.account,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        params__authentication_id=auth.pk,
        params__since=since.isoformat(),
    )
    if already.exists():
        return
    try:
        with transaction.atomic():
            job = start(
                auth,
                backfill.Gap(since, until),
                events=[sub.event],
                reason="after the hook was repaired",
            )
    except (NothingToBackfill, backfill.InvalidGap) as exc:
        logger.info("No backfill after repairing subscription %s: %s", sub.pk, exc)
        return
    logger.warning("Backfill job %s queued for the gap of subscription %s", job.pk, sub.pk)
