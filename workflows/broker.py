"""django-q2's brokers with a delivery relay (Q_CLUSTER["broker_class"] names them).

The webhook receiver only stores a delivery: one INSERT, no task, no second system in the
request. Each cluster's pusher, on every poll, first takes the deliveries that are due
(`deliveries.hand_out`, one lease at a time, so several clusters never hand out the same one)
and turns them into `process_delivery` tasks; then it serves the broker's own queue (runs
handed to other workers, the sweeper, schedules) as django-q2 does. The delivery table is
the queue of deliveries: there is no task that can be lost between a stored delivery and
its processing, and a relayed task that is lost (a cluster stopped) comes back after its lease.
"""

from __future__ import annotations

from django import db
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.models import OrmQ

from initiator_site.db import fast_insert

RELAY_BATCH = 50  # deliveries per poll: a burst drains at up to 50 per poll interval


def relayed() -> list[tuple[None, str]]:
    """Due deliveries as (ack id, task package); None: there is no queue row to acknowledge."""
    from integrations import deliveries
    from workflows import tasks

    # The pusher is a long-lived loop with no requests to recycle its connection: drop it here
    # if it broke or aged out, as django-q2's ORM broker does on each poll (never mid-transaction).
    if transaction.get_autocommit():
        db.close_old_connections()
    return [
        (
            None,
            tasks.package("workflows.tasks.process_delivery", pk, f"delivery-{pk}", "deliveries"),
        )
        for pk in deliveries.hand_out(RELAY_BATCH)
    ]


class FastORM(ORM):
    """The ORM broker, plus the relay and a cheaper enqueue (`fast_insert`)."""

    def enqueue(self, task):
        row = OrmQ(key=self.list_key or Conf.CLUSTER_NAME, payload=task, lock=timezone.now())
        fast_insert.insert(row, using=Conf.ORM or DEFAULT_DB_ALIAS)
        return row.pk

    def dequeue(self):
        tasks = relayed()
        if not tasks:
            return super().dequeue()  # sleeps for the poll interval when empty
        if self.get_connection().filter(key=self.list_key, lock__lt=timezone.now()).exists():
            tasks += super().dequeue() or []  # queued tasks don't wait behind a burst
        return tasks

    def acknowledge(self, task_id):
        if task_id is not None:
            super().acknowledge(task_id)

    def fail(self, task_id):
        if task_id is not None:
            super().fail(task_id)


class RelayRedis(Redis):
    """The Redis broker, plus the relay; it waits at most the poll interval for a task, so a
    new delivery waits no longer than with the ORM broker."""

    def dequeue(self):
        tasks = relayed()
        if tasks:
            queued = self.connection.lpop(self.list_key)
            return tasks + ([(None, queued)] if queued else [])
        task = self.connection.blpop(self.list_key, Conf.POLL)
        if task:
            return [(None, task[1])]
        return None
