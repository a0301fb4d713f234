"""Ingest: (a) a bare view, (b) one INSERT, (c) the real receiver — on each web server, one
database, 16 keep-alive clients; a warm-up per server and view, then rounds interleaving servers
and views; rows counted. Beside them, (d): a survey's public response page (GET), against (b)."""

from __future__ import annotations

import os
import statistics
import time

from bench import fixtures, loadgen, procstats
from tests import harness

VIEWS = [
    ("a", "bare Django view, 200", "/bench/bare/"),
    ("b", "one INSERT (autocommit)", "/bench/insert/"),
    ("c", "receiver (real deliveries)", None),
    ("d", "survey response page (GET)", "survey"),
]
# The views loaded with GET (the others POST a delivery).
GET_VIEWS = {"d"}
# (s): the receiver again, with slow clients connected the whole round (each sends one more
# header line or body byte every 2 s; tests.harness.SlowClients).
SLOW = ("s", "receiver, {n} slow clients")
SLOW_KEEP_SENDING = 10  # seconds past the round: they outlast it, then hang up
SETTLE_SECONDS = 0.5  # for requests still in flight when the client stopped


def stored_rows(key: str, prefix: str) -> int | None:
    """Rows stored by the requests of one run of view `key` (None: the view stores nothing)."""
    from bench.models import BaselineBody
    from integrations.models import WebhookDelivery

    if key == "b":
        return BaselineBody.objects.filter(body__contains=f'"hash":"{prefix}-').count()
    if key in ("c", "s"):
        return WebhookDelivery.objects.filter(hash__startswith=f"{prefix}-").count()
    return None


def one_run(
    url: str,
    prefix: str,
    cfg: dict,
    headers: dict,
    server_pgid: int,
    seconds: float,
    method: str = "POST",
):
    os.sync()  # the writeback of earlier runs' rows isn't left to stall this one's commits
    cpu0, server0 = procstats.cpu_times(), procstats.group_cpu_seconds(server_pgid)
    result = loadgen.run(
        cfg["wrk"],
        url,
        prefix,
        seconds=seconds,
        connections=cfg["connections"],
        threads=cfg["load_threads"],
        headers=headers,
        method=method,
    )
    time.sleep(SETTLE_SECONDS)
    server_cpu = procstats.group_cpu_seconds(server_pgid) - server0
    result["cpu_busy_percent"] = procstats.busy_percent(cpu0, procstats.cpu_times())
    result["server_cpu_ms_per_request"] = (
        round(1000 * server_cpu / result["requests"], 3) if result["requests"] else None
    )
    return result


def summarize(key: str, label: str, runs: list[dict], connections: int) -> dict:
    """The run with the median requests/s stands for the view; totals check the rows."""
    median = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
    ok, rows = sum(r["ok"] for r in runs), [r["rows"] for r in runs]
    stored = None if rows[0] is None else sum(rows)
    return {
        **median,
        "key": key,
        "label": label,
        "rps_rounds": [r["rps"] for r in runs],
        "p99_rounds": [r["latency_ms"]["p99"] for r in runs],
        "server_cpu_ms_per_request": statistics.median(cpu)
        if (cpu := [r["server_cpu_ms_per_request"] for r in runs if r["requests"]])
        else None,
        "ok_total": ok,
        "rows_total": stored,
        # Every 2xx stored its row; a few more rows may come from requests the client dropped
        # when its time ran out (at most one per connection and run).
        "every_2xx_stored": None
        if stored is None
        else ok <= stored <= ok + connections * len(runs),
    }


def run(sub, servers: list[dict], cfg: dict, tag: str) -> dict:
    """`servers`: each {"key", "url", "pgid"}, all serving at once (an idle one costs nothing).
    Each round runs every server's three views, then its receiver again with slow clients open
    (unless cfg["slow_clients"] is 0); the servers' order turns from round to round, so that a
    passing disturbance of the machine is shared out."""
    from integrations.subscriptions import SECRET_HEADER

    headers = {SECRET_HEADER: sub.secret}
    receiver = f"/webhooks/bigcommerce/{sub.uuid}/"
    survey = fixtures.survey_page(sub.authentication.account_id)

    def url(server: dict, path: str | None) -> str:
        return server["url"] + {None: receiver, "survey": survey}.get(path, path)

    def method(key: str) -> str:
        return "GET" if key in GET_VIEWS else "POST"

    for server in servers:
        for key, _, path in VIEWS:
            prefix = f"{tag}{server['key'][0]}w{key}"
            one_run(
                url(server, path), prefix, cfg, headers, server["pgid"], cfg["warmup"], method(key)
            )
    runs = {server["key"]: {key: [] for key, _, _ in VIEWS} for server in servers}
    slow_key, slow_label = SLOW[0], SLOW[1].format(n=cfg["slow_clients"])
    for n in range(cfg["rounds"]):
        for server in servers[n % len(servers) :] + servers[: n % len(servers)]:
            for key, label, path in VIEWS:
                prefix = f"{tag}{server['key'][0]}r{n}{key}"
                result = one_run(
                    url(server, path),
                    prefix,
                    cfg,
                    headers,
                    server["pgid"],
                    cfg["seconds"],
                    method(key),
                )
                _keep(runs[server["key"]], key, label, result, prefix, n, server)
            if cfg["slow_clients"]:
                prefix = f"{tag}{server['key'][0]}r{n}{slow_key}"
                with harness.slow_clients(
                    server["url"],
                    receiver,
                    cfg["slow_clients"],
                    for_seconds=cfg["seconds"] + SLOW_KEEP_SENDING,
                ):
                    result = one_run(
                        url(server, None), prefix, cfg, headers, server["pgid"], cfg["seconds"]
                    )
                _keep(runs[server["key"]], slow_key, slow_label, result, prefix, n, server)
    return {"servers": {key: _figures(by_view, cfg) for key, by_view in runs.items()}}


def _keep(by_view: dict, key: str, label: str, result: dict, prefix: str, n: int, server: dict):
    result["rows"], result["label"] = stored_rows(key, prefix), label
    by_view.setdefault(key, []).append(result)
    lat = result["latency_ms"]
    print(
        f"bench:   round {n + 1} {server['key']} ({key}) {label}: {result['rps']} req/s, p50 "
        f"{lat['p50']} ms, p99 {lat['p99']} ms, server CPU "
        f"{result['server_cpu_ms_per_request']} ms/req",
        flush=True,
    )


def _figures(by_view: dict[str, list[dict]], cfg: dict) -> dict:
    views = {
        key: summarize(key, runs[0]["label"], runs, cfg["connections"])
        for key, runs in by_view.items()
    }
    a, b, c = (views[k]["rps"] for k in "abc")
    d = views["d"]["rps"] if "d" in views else None
    return {
        "views": views,
        "c_over_b": round(c / b, 3) if b else None,
        "c_over_a": round(c / a, 3) if a else None,
        "d_over_b": round(d / b, 3) if b and d is not None else None,
        "every_200_stored": bool(views["c"]["every_2xx_stored"]),
    }


def cleanup(queue_name: str) -> None:
    """Drop what ingest left (deliveries, baseline rows, the unconsumed ingest queue)."""
    from django.conf import settings
    from django_q.models import OrmQ

    from bench.models import BaselineBody
    from integrations.models import WebhookDelivery

    WebhookDelivery.objects.all().delete()
    BaselineBody.objects.all().delete()
    OrmQ.objects.filter(key=queue_name).delete()
    if settings.REDIS_URL:
        import redis

        redis.from_url(settings.REDIS_URL).delete(f"django_q:{queue_name}:q")
