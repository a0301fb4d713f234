"""django-q2 tasks. They take ids only and stay thin: the rules live in plain modules."""

from __future__ import annotations

import logging
import uuid
from functools import cache

from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from integrations import deliveries, subscriptions
from workflows import engine, fanout, runs

logger = logging.getLogger(__name__)


@cache
def broker() -> Broker:
    """One broker per process: django-q2 would otherwise build one (and, for Redis, a new
    connection pool) for every task enqueued — the receiver's hot path."""
    return get_broker()


def enqueue_delivery(delivery_id: int) -> None:
    push("workflows.tasks.process_delivery", delivery_id, f"delivery-{delivery_id}", "deliveries")


def enqueue_run(run_id: int) -> None:
    push("workflows.tasks.execute_run", run_id, f"run-{run_id}", "runs")


def push(func: str, arg: int, name: str, group: str) -> None:
    """Put one task on the broker: django-q2's own signed package, as `async_task` builds it,
    without what that adds per call (a humanhash name, an INFO log line per task, a signal
    nobody here listens to)."""
    if Conf.SYNC:  # tasks run inline (tests): let django-q2 do that its own way
        async_task(func, arg, task_name=name, group=group, q_options={"ack_failure": True})
        return
    broker().enqueue(package(func, arg, name, group))


def package(func: str, arg: int, name: str, group: str) -> str:
    """A signed django-q2 task package calling `func(arg)`."""
    task = {
        "id": uuid.uuid4().hex,
        "name": name,
        "func": func,
        "args": (arg,),
        "kwargs": {},
        "group": group,
        "ack_failure": True,
        "started": timezone.now(),
    }
    if Conf.CACHED:
        task["cached"] = Conf.CACHED
    return SignedPackage.dumps(task)


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
        enqueue_delivery(delivery_id)
    run_ids = runs.due_ids()
    for run_id in run_ids:
        enqueue_run(run_id)
    if delivery_ids or run_ids:
        logger.info(
            "Sweeper re-enqueued %s deliveries and %s runs", len(delivery_ids), len(run_ids)
        )
    return {"deliveries": len(delivery_ids), "runs": len(run_ids)}


def check_subscriptions() -> dict[str, int]:
    """Periodic: repair BigCommerce hooks and record when each was last seen healthy."""
    return subscriptions.check_all()
