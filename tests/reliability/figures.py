"""Observed figures (counts, timings) recorded for the README: reported, never asserted."""

from __future__ import annotations

import fcntl
import json
import os
import statistics

from django.db import connection

from tests.harness import ARTIFACTS

FIGURES = ARTIFACTS / "reliability" / "figures.json"


def backend() -> str:
    from django.conf import settings

    db = "postgresql" if connection.vendor == "postgresql" else connection.vendor
    return f"{db}+{'redis' if settings.REDIS_URL else 'orm'}"


def record(name: str, **values) -> None:
    """Merge `values` under figures[backend][name] (one file for both database passes, which
    CI runs side by side: the merge holds a lock, and the new file replaces the old whole)."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with open(FIGURES.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
        data.setdefault(backend(), {})[name] = values
        partial = FIGURES.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        os.replace(partial, FIGURES)


def percentile(values: list[float], pct: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]
