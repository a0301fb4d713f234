"""The task queue, in one place: django-q2's brokers with a delivery relay (Q_CLUSTER's
"broker_class" names them) and the functions that put a task on the queue.

The webhook receiver only stores a delivery: one INSERT, no task, no second system in the
request. Each cluster's pusher, on every poll, first takes the deliveries that are due
(`deliveries.hand_out`, one lease at a time, so several clusters never hand out the same one)
and turns them into `process_delivery` tasks; then it serves the broker's own queue (runs
handed to other workers, the sweeper, schedules) as django-q2 does. The delivery table is
the queue of deliveries: there is no task that can be lost between a stored delivery and
its processing, and a relayed task that is lost (a cluster stopped) comes back after its lease.
When a delivery is stored, the web process wakes the relays (`wakeup`: Redis, or PostgreSQL's
NOTIFY) so that it is handed out at once; on SQLite, and if a wake-up is lost, the poll does.
"""

from __future__ import annotations

import logging
import uuid
from functools import cache, cached_property

from django import db
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.dispatch import receiver
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from initiator_site.db import fast_insert
from integrations import deliveries
from integrations.signals import delivery_stored
from workflows import wakeup

logger = logging.getLogger(__name__)

RELAY_BATCH = 50  # deliveries per poll: a burst drains at up to 50 per poll interval
PROCESS_DELIVERY = "workflows.tasks.process_delivery"
EXECUTE_RUN = "workflows.tasks.execute_run"
RUN_JOB = "workflows.tasks.run_job"
PRUNE = "workflows.tasks.prune"
CHECK_HOOKS = "workflows.tasks.check_subscriptions"


@cache
def shared_broker() -> Broker:
    """One broker per process: django-q2 would otherwise build one (and, for Redis, a new
    connection pool) for every task enqueued."""
    return get_broker()


def enqueue_delivery(delivery_id: int) -> None:
    push(PROCESS_DELIVERY, delivery_id, f"delivery-{delivery_id}", "deliveries")


def enqueue_run(run_id: int) -> None:
    push(EXECUTE_RUN, run_id, f"run-{run_id}", "runs")


def enqueue_job(job_id: int) -> None:
    push(RUN_JOB, job_id, f"job-{job_id}", "jobs")


def enqueue_prune(budget_seconds: int) -> None:
    push(PRUNE, budget_seconds, "prune", "retention")


def enqueue_hook_check(started: int) -> None:
    push(CHECK_HOOKS, started, "check-hooks", "hooks")


def push(func: str, arg: int, name: str, group: str) -> None:
    """Put one task on the broker: django-q2's own signed package, as `async_task` builds it,
    without what that adds per call (a humanhash name, an INFO log line per task, a signal
    nobody here listens to)."""
    if Conf.SYNC:  # tasks run inline (tests): let django-q2 do that its own way
        async_task(func, arg, task_name=name, group=group, q_options={"ack_failure": True})
        return
    shared_broker().enqueue(package(func, arg, name, group))


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


@receiver(delivery_stored, dispatch_uid="workflows.broker.on_delivery_stored")
def on_delivery_stored(sender, delivery_id: int, **kwargs) -> None:
    """With a cluster, wake its relays so the delivery is handed out now, not at the next
    poll. With tasks run inline (development, tests) there is no cluster and so no relay: the
    delivery is processed at once. A failure here loses nothing (the row is stored; the poll
    or the sweeper hands it out)."""
    try:
        if Conf.SYNC:
            enqueue_delivery(delivery_id)
        elif settings.RELAY_WAKEUP:
            shared_broker().wake()
    except Exception:
        logger.exception("Could not pass on delivery %s now; the relay's poll will", delivery_id)


def relayed() -> list[tuple[None, str]]:
    """Due deliveries as (ack id, task package); None: there is no queue row to acknowledge."""
    # The pusher is a long-lived loop with no requests to recycle its connection: drop it here
    # if it broke or aged out, as django-q2's ORM broker does on each poll (never mid-transaction).
    if transaction.get_autocommit():
        db.close_old_connections()
    return [
        (None, package(PROCESS_DELIVERY, pk, f"delivery-{pk}", "deliveries"))
        for pk in deliveries.hand_out(RELAY_BATCH)
    ]


class FastORM(ORM):
    """The ORM broker, plus the relay and a cheaper enqueue (`fast_insert`); on PostgreSQL
    the relay waits for a NOTIFY instead of sleeping out its poll interval."""

    wakeups = 0  # polls cut short by a wake-up (this process)

    @cached_property
    def alias(self) -> str:
        return Conf.ORM or DEFAULT_DB_ALIAS

    @cached_property
    def listener(self) -> wakeup.PostgresListener | None:
        if connections[self.alias].vendor != "postgresql":
            return None
        return wakeup.PostgresListener(self.alias)

    def wake(self) -> None:
        if self.listener is not None:
            wakeup.notify_postgres(self.alias)

    def enqueue(self, task):
        row = OrmQ(key=self.list_key or Conf.CLUSTER_NAME, payload=task, lock=timezone.now())
        fast_insert.insert(row, using=self.alias)
        return row.pk

    def dequeue(self):
        tasks = relayed()
        if not tasks:
            if self.listener is None or self._queued():
                return super().dequeue()  # sleeps for the poll interval when empty
            return self.relay_when_woken()
        if self._queued():
            tasks += super().dequeue() or []  # queued tasks don't wait behind a burst
        return tasks

    def _queued(self) -> bool:
        return self.get_connection().filter(key=self.list_key, lock__lt=timezone.now()).exists()

    def relay_when_woken(self):
        """Wait for a wake-up (at most the poll interval), then hand out what is due."""
        if not self.listener.wait(Conf.POLL):
            return None
        self.wakeups += 1
        return relayed() or None

    def acknowledge(self, task_id):
        if task_id is not None:
            super().acknowledge(task_id)

    def fail(self, task_id):
        if task_id is not None:
            super().fail(task_id)


class RelayRedis(Redis):
    """The Redis broker, plus the relay; it waits at most the poll interval for a task or for
    a wake-up (a delivery stored), whichever comes first."""

    wakeups = 0  # polls cut short by a wake-up (this process)

    @cached_property
    def wake_key(self) -> str:
        return wakeup.redis_wake_key(self.list_key)

    def wake(self) -> None:
        wakeup.notify_redis(self.connection, self.list_key)

    def dequeue(self):
        tasks = relayed()
        if tasks:
            queued = self.connection.lpop(self.list_key)
            return tasks + ([(None, queued)] if queued else [])
        popped = self.connection.blpop([self.list_key, self.wake_key], Conf.POLL)
        if not popped:
            return None
        key, value = popped
        if (key.decode() if isinstance(key, bytes) else key) == self.wake_key:
            self.wakeups += 1
            return relayed() or None
        return [(None, value)]
