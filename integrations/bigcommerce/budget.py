"""How long BigCommerce may hold one delivery task, computed from the settings in one place.

The start-up check (`integrations.checks`) compares it with django-q2's task timeout, and the
client uses its BigCommerce share as its own time budget: it never starts a sleep, nor gives a
request a timeout, that would run past what is left of it.

Worst case of one delivery task::

    calls × ((retries + 1) × (connect timeout + read timeout) + retries × max wait)
    + the inline-runs window (FANOUT_INLINE_SECONDS)

`calls` is the most BigCommerce calls one delivery's fetch plan makes
(`integrations.merge_data.MAX_FETCH_CALLS`); each retry sleeps at most `max wait` (an
exponential backoff is capped by it, and a 429 asking for longer is not waited out in the task:
the delivery is rescheduled instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_WAIT_SECONDS = 3.0
DEFAULT_Q_TIMEOUT = 120
DEFAULT_FANOUT_INLINE_SECONDS = 10.0


def _settings() -> Any:
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018  (raises when Django is not configured)
    except ImproperlyConfigured:
        return None
    return settings


def _setting(name: str, default: Any) -> Any:
    configured = _settings()
    return default if configured is None else getattr(configured, name, default)


@dataclass(frozen=True)
class ClientLimits:
    """How long one client request may take, and how often it is retried within a task."""

    connect_timeout: float
    read_timeout: float
    max_retries: int
    max_wait: float  # the longest sleep before one retry (a backoff, or a short 429's wait)

    @property
    def attempt_seconds(self) -> float:
        return self.connect_timeout + self.read_timeout

    @property
    def call_seconds(self) -> float:
        """One logical call, worst case: every attempt times out, every retry sleeps max_wait."""
        return (self.max_retries + 1) * self.attempt_seconds + self.max_retries * self.max_wait


def client_limits() -> ClientLimits:
    """The client's limits from the settings (or their defaults)."""
    return ClientLimits(
        connect_timeout=float(_setting("BIGCOMMERCE_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)),
        read_timeout=float(_setting("BIGCOMMERCE_READ_TIMEOUT", DEFAULT_READ_TIMEOUT)),
        max_retries=max(0, int(_setting("BIGCOMMERCE_MAX_RETRIES", DEFAULT_MAX_RETRIES))),
        max_wait=max(
            0.0, float(_setting("BIGCOMMERCE_MAX_WAIT_SECONDS", DEFAULT_MAX_WAIT_SECONDS))
        ),
    )


@dataclass(frozen=True)
class TaskBudget:
    """The worst-case time of one delivery task, term by term, against its timeout."""

    limits: ClientLimits
    calls: int  # BigCommerce calls one delivery task makes at most
    inline_runs: float  # FANOUT_INLINE_SECONDS: runs executed in the task after the fetch
    q_timeout: float  # django-q2 kills a task that runs longer

    @property
    def bigcommerce_seconds(self) -> float:
        """The most a delivery task can spend on BigCommerce: the client's time budget."""
        return self.calls * self.limits.call_seconds

    @property
    def total_seconds(self) -> float:
        return self.bigcommerce_seconds + self.inline_runs

    @property
    def fits(self) -> bool:
        return self.total_seconds < self.q_timeout

    def explain(self) -> str:
        limits = self.limits
        return (
            f"A delivery task may take {self.total_seconds:g} s: {self.calls} BigCommerce "
            f"calls × ({limits.max_retries + 1} attempts × ({limits.connect_timeout:g} s "
            f"BIGCOMMERCE_CONNECT_TIMEOUT + {limits.read_timeout:g} s BIGCOMMERCE_READ_TIMEOUT) "
            f"+ {limits.max_retries} retries (BIGCOMMERCE_MAX_RETRIES) × {limits.max_wait:g} s "
            f"BIGCOMMERCE_MAX_WAIT_SECONDS) + {self.inline_runs:g} s FANOUT_INLINE_SECONDS; "
            f"Q_TIMEOUT is {self.q_timeout:g} s."
        )


def delivery_task() -> TaskBudget:
    """The delivery task's budget from the settings: the one computation everything shares."""
    from integrations.merge_data import MAX_FETCH_CALLS

    q_cluster = _setting("Q_CLUSTER", None) or {}
    return TaskBudget(
        limits=client_limits(),
        calls=MAX_FETCH_CALLS,
        inline_runs=float(_setting("FANOUT_INLINE_SECONDS", DEFAULT_FANOUT_INLINE_SECONDS)),
        q_timeout=float(q_cluster.get("timeout", DEFAULT_Q_TIMEOUT)),
    )
