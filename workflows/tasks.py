"""django-q2 task entry points. They take ids only and stay thin: the rules live in plain
modules, the queue plumbing in `broker`."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from django.conf import settings

from integrations import authentications, deliveries, subscriptions
from workflows import backfill, broker, engine, fanout, jobs, replay, retention, runs, services
from workflows.alerts import evaluate as alerts
from workflows.models import JobKind
from workflows.sending import suppression_import

logger = logging.getLogger(__name__)


def process_delivery(delivery_id: int) -> str:
    """Fetch the delivery's data once and fan it out to every active workflow."""
    delivery = deliveries.claim(delivery_id)
    if delivery is None:
        return "skipped: already taken or finished"
    return fanout.process(delivery)


def execute_run(run_id: int) -> str:
    return engine.execute(run_id)


# What each kind of job does, one batch at a time (workflows/jobs.py runs them).
JOB_STEPS = {
    JobKind.REPLAY_DELIVERIES: replay.replay_step,
    JobKind.IMPORT_SUPPRESSIONS: suppression_import.import_step,
    JobKind.BACKFILL: backfill.backfill_step,
}


def run_job(job_id: int) -> str:
    return jobs.run(job_id, JOB_STEPS)


def sweep() -> dict[str, int]:
    """Periodic: re-enqueue deliveries, runs and jobs that are due (retry time reached, never
    claimed, or held by a worker that died) — so nothing is lost."""
    delivery_ids = deliveries.due_ids()
    for delivery_id in delivery_ids:
        broker.enqueue_delivery(delivery_id)
    run_ids = runs.due_ids()
    for run_id in run_ids:
        broker.enqueue_run(run_id)
    job_ids = jobs.due_ids()
    for job_id in job_ids:
        broker.enqueue_job(job_id)
    if delivery_ids or run_ids or job_ids:
        logger.info(
            "Sweeper re-enqueued %s deliveries, %s runs and %s jobs",
            len(delivery_ids),
            len(run_ids),
            len(job_ids),
        )
    return {"deliveries": len(delivery_ids), "runs": len(run_ids), "jobs": len(job_ids)}


CHECK_SECONDS = 60  # a hook-check pass's time; the stores it did not reach go on anew


def check_subscriptions(started: int | None = None) -> dict[str, int]:
    """Periodic: repair BigCommerce hooks and record when each was last seen healthy; read
    the settings of stores with a send window again once a day (their time zones). A pass
    that runs out of time puts the rest on the queue, carrying its start (a Unix time) so the
    next takes only the stores not checked since."""
    # A first pass checks every store; a continuation only those not checked since the first
    # began (a store registered a moment ago is as due as any other on a first pass).
    first_started = time.time()
    since = datetime.fromtimestamp(started, tz=UTC) if started else None
    found = subscriptions.check_all(budget_seconds=CHECK_SECONDS, checked_before=since)
    if found.more:
        broker.enqueue_hook_check(started or int(first_started))
        return {**found.counts, "stores": found.stores}
    # The store settings hold the time zone the send windows use.
    read = authentications.refresh_store_settings(services.windowed_authentication_ids())
    return {**found.counts, "stores": found.stores, "timezones": read}


def check_alerts() -> dict[str, int]:
    """Periodic: open, email and resolve the accounts' alerts (workflows/alerts/)."""
    counts = alerts.run_pass()
    if counts["opened"] or counts["resolved"] or counts["emailed"]:
        logger.info("Alerts: %s", counts)
    return counts


PRUNE_SECONDS = 60  # a pass's time (at most half the task timeout); a longer one goes on anew


def prune(budget_seconds: int = PRUNE_SECONDS) -> dict:
    """Daily: delete deliveries and runs past their retention, in batches; a pass that runs
    out of time puts the rest on the queue as a new task."""
    budget_seconds = min(budget_seconds, settings.Q_CLUSTER["timeout"] // 2)
    pruned = retention.prune(budget_seconds=budget_seconds)
    if pruned.more:
        broker.enqueue_prune(budget_seconds)
    logger.info("Pruned %s", pruned.as_dict())
    return pruned.as_dict()
