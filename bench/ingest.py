"""Ingest: (a) a bare view, (b) one INSERT, (c) the real receiver — one gunicorn, one database,
16 keep-alive clients, each for a fixed time after a warm-up; then count the stored rows."""

from __future__ import annotations

import time

from bench import loadgen, procstats

VIEWS = [
    ("a", "bare Django view, 200", "/bench/bare/"),
    ("b", "one INSERT in a transaction", "/bench/insert/"),
    ("c", "receiver (real deliveries)", None),
]


def stored_rows(key: str, prefix: str) -> int | None:
    """Rows the measured run of view `key` stored (None: the view stores nothing)."""
    from bench.models import BaselineBody
    from integrations.models import WebhookDelivery

    if key == "b":
        return BaselineBody.objects.filter(body__contains=f'"hash":"{prefix}-').count()
    if key == "c":
        return WebhookDelivery.objects.filter(hash__startswith=f"{prefix}-").count()
    return None


def run(sub, base_url: str, cfg: dict, tag: str) -> dict:
    """Each view in turn: warm-up, measured run, stored rows checked against 2xx answers."""
    from integrations.subscriptions import SECRET_HEADER

    headers = {SECRET_HEADER: sub.secret}
    results = {}
    for key, label, path in VIEWS:
        url = base_url + (path or f"/webhooks/bigcommerce/{sub.uuid}/")
        load = dict(
            seconds=cfg["seconds"],
            connections=cfg["connections"],
            threads=cfg["load_threads"],
            headers=headers,
        )
        loadgen.run(cfg["wrk"], url, f"{tag}w{key}", **{**load, "seconds": cfg["warmup"]})
        time.sleep(0.5)  # let the warm-up's last requests finish
        prefix = f"{tag}m{key}"
        cpu0 = procstats.cpu_times()
        result = loadgen.run(cfg["wrk"], url, prefix, **load)
        cpu = procstats.busy_percent(cpu0, procstats.cpu_times())
        time.sleep(0.5)  # requests still in flight when the client stopped
        result.update(key=key, label=label, rows=stored_rows(key, prefix), cpu_busy_percent=cpu)
        results[key] = result
        print(
            f"bench:   ({key}) {label}: {result['rps']} req/s, p50 {result['latency_ms']['p50']}"
            f" ms, p99 {result['latency_ms']['p99']} ms, {result['ok']} x 2xx, "
            f"rows {result['rows']}",
            flush=True,
        )
    a, b, c = (results[k]["rps"] for k in "abc")
    c_result = results["c"]
    return {
        "views": results,
        "c_over_b": round(c / b, 3) if b else None,
        "c_over_a": round(c / a, 3) if a else None,
        # Every 200 stored a row; a few more rows may come from requests the client abandoned
        # when its time ran out (at most one per connection).
        "every_200_stored": c_result["rows"] >= c_result["ok"]
        and c_result["rows"] - c_result["ok"] <= cfg["connections"],
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
