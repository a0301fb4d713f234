"""What `make bench` measures and how hard; each value can be changed from the environment."""

from __future__ import annotations

import os
import re
import runpy
import uuid
from pathlib import Path

GUNICORN_CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"
# Ingest is measured on each of these servers, in the same rounds: the production server
# (waitress, `python -m initiator_site.serve`) and gunicorn with its sync workers, the shape
# for behind a buffering proxy (and the production server before waitress).
SERVERS = {
    "gunicorn": "gunicorn sync (gunicorn.conf.py)",
    "waitress": "waitress (initiator_site.serve)",
}


PARTS = ("ingest", "pipeline", "budget", "latency", "memory", "periodic", "growth")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "")
    return [part.strip() for part in raw.split(",") if part.strip()] or default


def production_gunicorn() -> dict:
    """Workers and threads as the production gunicorn.conf.py sets them on this machine."""
    conf = runpy.run_path(str(GUNICORN_CONF))
    return {"workers": conf["workers"], "threads": conf["threads"]}


def production_serve() -> dict:
    """Processes and threads as `python -m initiator_site.serve` sets them from the environment."""
    from initiator_site.serve import options, process_count

    return {"processes": process_count(), "threads": options()["threads"]}


def worker_class(threads: int) -> str:
    """gunicorn's own rule: its default sync worker becomes gthread with more than one thread."""
    return "gthread" if threads > 1 else "sync"


def build(wrk: str | None) -> dict:
    run = uuid.uuid4().hex[:8]
    web, serve = production_gunicorn(), production_serve()
    return {
        "wrk": wrk,
        # Ingest: every view gets the same load: a warm-up, then rounds interleaving the views
        # (a, b, c, a, b, c, ...) so that a passing disturbance doesn't hit one view only.
        "connections": 16,
        "load_threads": 2,
        "warmup": _int("BENCH_WARMUP", 2),
        "seconds": _int("BENCH_SECONDS", 4),
        "rounds": _int("BENCH_ROUNDS", 3),
        # gunicorn for all three views: gunicorn.conf.py (gunicorn reads it
        # from the working directory), its workers and threads, without worker recycling.
        "web_workers": _int("BENCH_WEB_WORKERS", web["workers"]),
        "web_threads": _int("BENCH_WEB_THREADS", web["threads"]),
        # And the production server: its processes (WEB_PROCESSES) and threads (WEB_THREADS).
        "serve_processes": _int("BENCH_SERVE_PROCESSES", serve["processes"]),
        "serve_threads": _int("BENCH_SERVE_THREADS", serve["threads"]),
        "servers": [s for s in _list("BENCH_SERVERS", list(SERVERS)) if s in SERVERS],
        # In each round, the receiver once more with this many slow clients connected (0: not).
        "slow_clients": _int("BENCH_SLOW_CLIENTS", 200),
        # Pipeline: W task workers; a backlog per number of active workflows.
        "workers": _int("BENCH_Q_WORKERS", 4),
        "latency_ms": 50,
        "deliveries": {
            1: _int("BENCH_DELIVERIES_1", 300),
            20: _int("BENCH_DELIVERIES_20", 200),
        },
        "drain_timeout": _int("BENCH_DRAIN_TIMEOUT", 90),
        # Latency: a backlog to measure the email workflow's drain capacity, then this many
        # seconds of deliveries at half of it.
        "latency_backlog": _int("BENCH_LATENCY_BACKLOG", 100),
        "latency_seconds": _int("BENCH_LATENCY_SECONDS", 15),
        # Growth (PostgreSQL): deliveries and runs loaded before ingest and drain again (0: skip).
        "growth_rows": _int("BENCH_GROWTH_ROWS", 1_000_000),
        # Periodic jobs and memory run on one topology (the production one by default).
        "scale_topology": os.environ.get("BENCH_SCALE_TOPOLOGY", "postgres"),
        "periodic_subscriptions": _int("BENCH_PERIODIC_SUBSCRIPTIONS", 10_000),
        "memory_deliveries": _int("BENCH_MEMORY_DELIVERIES", 10_000),
        "memory_timeout": _int("BENCH_MEMORY_TIMEOUT", 300),
        "ingest_queue": f"bench-ingest-{run}",
        "pipeline_queue": f"bench-pipeline-{run}",
        # Parts and topologies to run (default all): BENCH_PARTS=ingest,pipeline,budget,latency,
        # memory,periodic,growth, BENCH_TOPOLOGIES=sqlite,postgres — for a quicker look.
        "parts": _list("BENCH_PARTS", list(PARTS)),
        "only_topologies": _list("BENCH_TOPOLOGIES", ["sqlite", "postgres"]),
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


def _shown(url: str) -> str:
    return re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", url)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def unreachable(topology: dict) -> str | None:
    """Why a topology's services can't be used (None: they answer)."""
    if topology["db"] != "postgres":
        return None
    try:
        import psycopg

        psycopg.connect(topology["pg_admin_url"], connect_timeout=3).close()
    except Exception as exc:
        return f"PostgreSQL unreachable at {_shown(topology['pg_admin_url'])}: {_first_line(exc)}"
    try:
        import redis

        redis.from_url(topology["redis_url"], socket_timeout=3, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis unreachable at {_shown(topology['redis_url'])}: {_first_line(exc)}"
    return None
