"""One topology's figures in a process of its own (Django settings are per process).

`python -m bench.topology sqlite|postgres CONFIG_FILE OUT_FILE` (JSON files): a fresh database,
the stand-in, migrations and bench data; then ingest (on each web server) and pipeline
(qcluster).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import sys
import uuid
from pathlib import Path

from bench import fixtures

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def fresh_database(topology: dict):
    """A new empty database for this run (a SQLite file on disk, or a PostgreSQL database),
    removed afterwards."""
    if topology["db"] == "sqlite":
        path = RESULTS / "tmp" / f"bench-{os.getpid()}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = os.environ.get("BENCH_PG_DATABASE") or f"initiator_bench_{os.getpid()}"
    admin = topology["pg_admin_url"]
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def configure(topology: dict, database_url: str, standin_url: str, web_port: int, cfg: dict):
    """The environment of this process and, through harness.child_env, of its children."""
    from cryptography.fernet import Fernet

    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{web_port}",
        WEBHOOK_ALLOW_HTTP="true",
        BIGCOMMERCE_API_BASE_URL=standin_url,
        Q_CLUSTER_NAME=cfg["pipeline_queue"],
        Q_WORKERS=str(cfg["workers"]),
        LOG_LEVEL="WARNING",
    )
    # Set even when empty: an unset REDIS_URL could be filled in from a developer's .env file.
    os.environ["REDIS_URL"] = topology.get("redis_url", "")


def describe_database() -> dict:
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        db = f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)"
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            db = f"PostgreSQL {cursor.fetchone()[0]}"
    broker = "ORM (same database)"
    if settings.REDIS_URL:
        import redis

        broker = f"Redis {redis.from_url(settings.REDIS_URL).info('server')['redis_version']}"
    return {"database": db, "broker": broker}


def quiet_hook_checks() -> None:
    """Move the periodic hook check past the run: it calls BigCommerce (GET /v3/hooks) and would
    blur the calls-per-delivery count. The sweeper keeps its schedule."""
    from django.utils import timezone
    from django_q.models import Schedule

    later = timezone.now() + timezone.timedelta(days=1)
    Schedule.objects.filter(func="workflows.tasks.check_subscriptions").update(next_run=later)


class SavedResult(dict):
    """A topology's figures, written to its file as each part completes: a topology stopped
    for taking too long still reports the parts it finished."""

    def __init__(self, path: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.path = path

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        Path(self.path).write_text(json.dumps(self, indent=2, default=str))


def measure(topology: dict, cfg: dict, standin, web_port: int, out: str = "") -> dict:
    from django.core.management import call_command

    from bench import api_budget, event_data, pipeline
    from tests import harness

    call_command("migrate", verbosity=0)
    # As a release does: pages that link their CSS (the survey page, (d)) need the manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    quiet_hook_checks()
    sub, workflows = fixtures.create(max(cfg["deliveries"]))
    fixtures.set_active(workflows, 1)
    logs = RESULTS / "logs" / topology["key"]
    result = SavedResult(out, {"topology": topology["label"], **describe_database()})
    if "ingest" in cfg["parts"]:
        result["ingest"] = measure_ingest(sub, cfg, topology["key"], logs, web_port)
    standin.latency_ms = cfg["latency_ms"]
    cluster_env = harness.child_env(DEBUG="false", Q_WORKERS=str(cfg["workers"]), LOG_LEVEL="INFO")
    if "pipeline" in cfg["parts"]:
        print(f"bench: [{topology['key']}] pipeline", flush=True)
        result["pipeline"] = [
            pipeline.run(sub, workflows, active, standin, cluster_env, logs, cfg)
            for active in sorted(cfg["deliveries"])
        ]
        result["event_data"] = event_data.measure(sub, workflows, standin)
    if "budget" in cfg["parts"]:
        print(f"bench: [{topology['key']}] API budget", flush=True)
        result["api_budget"] = api_budget.run(sub, workflows, standin, cluster_env, logs, cfg)
    measure_scale(topology, cfg, standin, web_port, sub, workflows, logs, result)
    return result


def measure_scale(topology, cfg, standin, web_port, sub, workflows, logs, result) -> None:
    """Latency, memory, periodic jobs and growth (the last, as it leaves a million rows)."""
    from bench import growth, latency, memory, periodic, pipeline
    from tests import harness

    key, parts = topology["key"], cfg["parts"]
    standin.latency_ms = cfg["latency_ms"]
    cluster_env = harness.child_env(DEBUG="false", Q_WORKERS=str(cfg["workers"]), LOG_LEVEL="INFO")
    if "latency" in parts:
        print(f"bench: [{key}] latency", flush=True)
        web_env = harness.child_env(
            DEBUG="false", Q_CLUSTER_NAME=cfg["pipeline_queue"], LOG_LEVEL="WARNING"
        )
        web_env["WEB_BIND"] = f"127.0.0.1:{web_port}"
        result["latency"] = latency.run(sub, workflows, standin, cluster_env, web_env, logs, cfg)
    scale_here = key == cfg["scale_topology"] or cfg["scale_topology"] not in cfg["only_topologies"]
    if "memory" in parts and scale_here and cfg["memory_deliveries"]:
        print(f"bench: [{key}] memory over {cfg['memory_deliveries']} deliveries", flush=True)
        result["memory"] = memory.run(sub, workflows, standin, cluster_env, logs, cfg)
    if "periodic" in parts and scale_here and cfg["periodic_subscriptions"]:
        print(f"bench: [{key}] periodic jobs", flush=True)
        result["periodic"] = periodic.run(standin, cfg)
    if "growth" in parts and topology["db"] == "postgres" and cfg["growth_rows"]:
        print(f"bench: [{key}] growth: loading {cfg['growth_rows']:,} rows", flush=True)
        fixtures.set_active(workflows, 1)
        grown = {"load": growth.load(sub, workflows[0], cfg["growth_rows"])}
        grown["sizes"] = growth.sizes()
        grown["plans"] = growth.plan_summary(sub, workflows[0])
        result["growth"] = grown
        if "ingest" in parts:
            quick = {**cfg, "slow_clients": 0, "servers": cfg["servers"][-1:]}
            grown["ingest"] = measure_ingest(sub, quick, key, logs, web_port)
            result["growth"] = grown
        if "pipeline" in parts:
            grown["pipeline"] = pipeline.run(
                sub, workflows, 1, standin, cluster_env, logs, cfg, tag="g"
            )
        grown["ratios"] = growth.ratios(result, grown)
        print(f"bench:   growth ratios {grown['ratios']}", flush=True)
        result["growth"] = grown


def measure_ingest(sub, cfg: dict, key: str, logs: Path, web_port: int) -> dict:
    from bench import ingest
    from tests import harness

    web_env = harness.child_env(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="false",
        Q_CLUSTER_NAME=cfg["ingest_queue"],
        LOG_LEVEL="INFO",  # both servers write their access log
        GUNICORN_MAX_REQUESTS="0",  # no worker restarts in the middle of a measurement
    )
    print(f"bench: [{key}] ingest on {', '.join(cfg['servers'])}", flush=True)
    servers, children = [], []
    after = pipeline_after()
    try:
        for name in cfg["servers"]:
            if name == "gunicorn":
                child, url = harness.start_gunicorn(
                    web_env,
                    logs,
                    workers=cfg["web_workers"],
                    threads=cfg["web_threads"],
                    port=web_port,
                )
            else:
                child, url = harness.start_web(
                    web_env,
                    logs,
                    threads=cfg["serve_threads"],
                    processes=cfg["serve_processes"],
                    name=name,
                )
            children.append(child)
            servers.append({"key": name, "url": url, "pgid": child.pid})
        return ingest.run(sub, servers, cfg, tag=uuid.uuid4().hex[:6])
    finally:
        for child in children:
            child.stop()
        ingest.cleanup(cfg["ingest_queue"], after)


def pipeline_after() -> int:
    from bench import pipeline

    return pipeline.newer_than_now()[0]


def forget_queues(cfg: dict) -> None:
    from django.conf import settings

    if settings.REDIS_URL:
        import redis

        client = redis.from_url(settings.REDIS_URL)
        for name in (cfg["ingest_queue"], cfg["pipeline_queue"]):
            client.delete(f"django_q:{name}:q")


def forget_api_budget() -> None:
    """The bench store's API budget starts afresh: a ledger in Redis outlives a bench run
    that was stopped during the API budget part, with that part's small quota learned."""
    from django.conf import settings

    from integrations.bigcommerce.quota import KEY_PREFIX

    if settings.REDIS_URL:
        import redis

        redis.from_url(settings.REDIS_URL).delete(KEY_PREFIX + fixtures.STORE)


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(f"bench: stopped by signal {signum}")  # so that every `finally` runs


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    key, cfg_path, out = argv
    cfg = json.loads(Path(cfg_path).read_text())
    cfg["deliveries"] = {int(k): v for k, v in cfg["deliveries"].items()}
    topology = cfg["topologies"][key]
    from integrations.standin import StandIn

    web_port = free_port()
    with (
        StandIn(port=0, stores={fixtures.STORE: fixtures.TOKEN}) as standin,
        fresh_database(topology) as database_url,
    ):
        configure(topology, database_url, standin.base_url, web_port, cfg)
        import django

        django.setup()
        forget_api_budget()
        try:
            result = measure(topology, cfg, standin, web_port, out)
        finally:
            forget_queues(cfg)
    Path(out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
