"""Waking the delivery relay when a delivery is stored, so that it is handed out at once
rather than at the relay's next poll (docs/architecture.md, "The path of one delivery").

The signal travels beside the broker: a short Redis list next to the Redis broker's queue, or
PostgreSQL's LISTEN/NOTIFY with the ORM broker on PostgreSQL. SQLite has neither, so there the
relay polls. Polling stays as the fallback everywhere: a lost signal delays a delivery by one
poll interval and never loses it (the delivery's row is the queue).
"""

from __future__ import annotations

import contextlib
import logging
import time

import psycopg
from django.db import connections

logger = logging.getLogger(__name__)

CHANNEL = "initiator_delivery_stored"
# Wake-ups kept while no relay takes them: a burst wakes a few relays (each hands out up to a
# batch), and a stopped cluster leaves a short list that expires, not one entry per delivery.
REDIS_TOKENS = 8
REDIS_TOKEN_SECONDS = 60


def redis_wake_key(list_key: str) -> str:
    return f"{list_key}:wake"


def notify_redis(connection, list_key: str) -> None:
    """One wake-up on the list the relays' BLPOP watches beside their queue."""
    key = redis_wake_key(list_key)
    pipe = connection.pipeline(transaction=False)
    pipe.rpush(key, 1)
    pipe.ltrim(key, -REDIS_TOKENS, -1)
    pipe.expire(key, REDIS_TOKEN_SECONDS)
    pipe.execute()


def notify_postgres(alias: str) -> None:
    """NOTIFY every listening relay (sent when the caller's transaction commits)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(f"NOTIFY {CHANNEL}")


class PostgresListener:
    """A connection of its own that LISTENs on the channel: Django's connection is closed and
    reopened between polls, and a listener must stay connected to hear anything."""

    def __init__(self, alias: str):
        self.alias = alias
        self._conn: psycopg.Connection | None = None

    def connect(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            wrapper = connections[self.alias]
            conn = wrapper.get_new_connection(wrapper.get_connection_params())
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            self._conn = conn
        return self._conn

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a notification; True when one came. The others
        already queued are read too: one hand-out serves the whole burst."""
        try:
            conn = self.connect()
            woken = any(True for _ in conn.notifies(timeout=timeout, stop_after=1))
            if woken:
                for _ in conn.notifies(timeout=0):
                    pass
            return woken
        except psycopg.Error as exc:
            logger.warning("Delivery wake-ups unavailable (%s); polling meanwhile", exc)
            self.close()
            time.sleep(timeout)
            return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None
