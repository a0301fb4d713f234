"""django-q2 task entry points. They take ids only and stay thin: the rules live in plain
modules, the queue plumbing in `broker`."""

from __future__ import annotations

import logging

from integrations import authentications, deliveries, subscriptions
from workflows import broker, engine, fanout, runs, services

logger = logging.getLogger(__name__)


def process_delivery(delivery_id: int) -> str:
    """Fetch the delivery's data once and fan it out to every active workflow."""
    delivery = deliveries.claim(delivery_id)
    if delivery is None:
        return "skipped: already taken or finished"
    return fanout.process(delivery)


def execute_run(run_id: int) -> str:
    return engine.execute(run_id)


def sweep() -> dict[str, int]:
    """Periodic: re-enqueue deliveries and runs that are due (retry time reached, never
    claimed, or held by a worker that died) — so nothing is lost."""
    delivery_ids = deliveries.due_ids()
    for delivery_id in delivery_ids:
        broker.enqueue_delivery(delivery_id)
    run_ids = runs.due_ids()
    for run_id in run_ids:
        broker.enqueue_run(run_id)
    if delivery_ids or run_ids:
        logger.info(
            "Sweeper re-enqueued %s deliveries and %s runs", len(delivery_ids), len(run_ids)
        )
    return {"deliveries": len(delivery_ids), "runs": len(run_ids)}


def check_subscriptions() -> dict[str, int]:
    """Periodic: repair BigCommerce hooks and record when each was last seen healthy; read
    stores' time zones again once a day (sending windows)."""
    counts = subscriptions.check_all()
    counts["timezones"] = authentications.refresh_timezones(services.windowed_authentication_ids())
    return counts
