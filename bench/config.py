"""What `make bench` measures and how hard; each value can be changed from the environment."""

from __future__ import annotations

import os
import uuid


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def build(wrk: str | None) -> dict:
    run = uuid.uuid4().hex[:8]
    return {
        "wrk": wrk,
        # Ingest: every view gets the same load, after its own warm-up.
        "connections": 16,
        "load_threads": 2,
        "warmup": _int("BENCH_WARMUP", 2),
        "seconds": _int("BENCH_SECONDS", 8),
        # One gunicorn configuration for all three views (gthread, like production).
        "web_workers": _int("BENCH_WEB_WORKERS", 2),
        "web_threads": _int("BENCH_WEB_THREADS", 4),
        # Pipeline: W task workers; a backlog per number of active workflows.
        "workers": _int("BENCH_Q_WORKERS", 4),
        "latency_ms": 50,
        "deliveries": {
            1: _int("BENCH_DELIVERIES_1", 300),
            20: _int("BENCH_DELIVERIES_20", 100),
        },
        "drain_timeout": _int("BENCH_DRAIN_TIMEOUT", 90),
        "ingest_queue": f"bench-ingest-{run}",
        "pipeline_queue": f"bench-pipeline-{run}",
        "topologies": {
            "sqlite": {"key": "sqlite", "label": "SQLite + ORM broker", "db": "sqlite"},
            "postgres": {
                "key": "postgres",
                "label": "PostgreSQL + Redis broker",
                "db": "postgres",
                "pg_admin_url": os.environ.get(
                    "BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
                ),
                "redis_url": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
            },
        },
    }


def unreachable(topology: dict) -> str | None:
    """Why a topology's services can't be used (None: they answer)."""
    if topology["db"] != "postgres":
        return None
    try:
        import psycopg

        psycopg.connect(topology["pg_admin_url"], connect_timeout=3).close()
    except Exception as exc:
        return f"PostgreSQL unreachable at {topology['pg_admin_url']}: {exc}".strip()
    try:
        import redis

        redis.from_url(topology["redis_url"], socket_timeout=3, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis unreachable at {topology['redis_url']}: {exc}".strip()
    return None
