"""End-to-end latency: from a delivery's 200 to its first email handed to the email backend.

A workflow with one customer email (send-once and the frequency cap off, so every delivery
sends one; the sending gate still runs) listens alone. First its drain capacity: a backlog
stored at once, timed to its last email. Then deliveries are sent to the web server at a
steady rate of half that capacity (open loop: each at its planned time, whatever the answers
before it), and each one's email is matched to its 200 by the order id in the subject.
With PostgreSQL and Redis the steady phase runs twice, with the relay's wake-up and without
(`RELAY_WAKEUP=false`: the relay's poll alone), in the same run.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import fixtures, mail, pipeline
from tests import harness

SUBJECT = "Order [BigCommerce | Order | id]"
TARGET_P99_S = 1.0


def email_workflow(sub, workflows):
    """Pause the pipeline's workflows; the one email workflow active on the subscription."""
    from accounts.models import Account
    from workflows import services
    from workflows.models import Consent, Workflow, WorkflowStatus
    from workflows.steps import validate_step

    auth = sub.authentication
    Account.objects.filter(pk=auth.account_id).update(frequency_cap_emails=0)
    config = {
        "to": "[BigCommerce | Customer | email]",
        "subject": SUBJECT,
        "body": "Hello [BigCommerce | Customer | first_name], your order has shipped.",
        "format": "text",
    }
    step = {"type": "send_email", "config": validate_step("send_email", config, fixtures.EVENT)}
    workflow = services.create_workflow(
        account=auth.account,
        created_by=workflows[0].created_by,
        steps=[step],
        name="Bench latency",
        event=fixtures.EVENT,
        authentication=auth,
        send_once_scope="",
        consent=Consent.NOT_REQUIRED,
    )
    fixtures.set_active(workflows, 0)
    Workflow.objects.filter(pk=workflow.pk).update(status=WorkflowStatus.ACTIVE)
    return workflow


def orders(first: int, count: int) -> list[int]:
    """`count` distinct orders of registered customers from `first` on (the stand-in's
    multiples of 10 are guest orders, with no customer to email)."""
    return [o for o in range(first, first + 2 * count) if o % 10][:count]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _wait_for_emails(log: Path, subjects: set[str], timeout: float) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while True:
        sent = mail.read(log)
        if subjects <= sent.keys() or time.monotonic() > deadline:
            return {s: sent[s] for s in subjects if s in sent}
        time.sleep(0.25)


def capacity(sub, log: Path, count: int, first_order: int, timeout: float) -> dict:
    """Deliveries per second drained, from a backlog stored at once to its last email."""
    from integrations import receiver

    target = receiver.find_subscription(sub.uuid)
    backlog = orders(first_order, count)
    started = time.time()
    for n, order in enumerate(backlog):
        body = fixtures.shipment_body(f"cap-{first_order}-{n}", order)
        receiver.store(target, body.encode(), pipeline.HEADERS)
    sent = _wait_for_emails(log, {f"Order {o}" for o in backlog}, timeout)
    seconds = (max(sent.values()) - started) if sent else None
    return {
        "deliveries": count,
        "emails": len(sent),
        "seconds": round(seconds, 2) if seconds else None,
        "per_s": round(len(sent) / seconds, 1) if seconds else None,
    }


def steady(
    url: str, secret: str, log: Path, rate: float, seconds: float, first_order: int, timeout: float
) -> dict:
    """Send `rate` deliveries a second for `seconds`, each at its planned time; the latency
    of each from its 200 to its email."""
    from urllib.parse import urlsplit

    from integrations.subscriptions import SECRET_HEADER

    parts = urlsplit(url)
    headers = {SECRET_HEADER: secret, **pipeline.HEADERS}
    count = max(1, int(rate * seconds))
    planned = orders(first_order, count)
    answered: dict[str, float] = {}
    failures = []
    local = threading.local()
    lock = threading.Lock()

    def send(n: int, at: float) -> None:
        order = planned[n]
        delay = at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        conn = getattr(local, "conn", None) or http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=10
        )
        local.conn = conn
        body = fixtures.shipment_body(f"lat-{first_order}-{n}", order)
        try:
            conn.request("POST", parts.path, body, headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            local.conn = None
            with lock:
                failures.append(repr(exc))
            return
        with lock:
            if response.status == 200:
                answered[f"Order {order}"] = time.time()
            else:
                failures.append(response.status)

    start = time.monotonic() + 0.5
    with ThreadPoolExecutor(max_workers=16) as pool:
        for n in range(count):
            pool.submit(send, n, start + n / rate)
    sent = _wait_for_emails(log, set(answered), timeout)
    latencies = [sent[s] - answered[s] for s in answered if s in sent]
    result = {
        "rate_per_s": round(rate, 1),
        "sent": count,
        "answered_200": len(answered),
        "failed": len(failures),
        "emails": len(latencies),
    }
    if latencies:
        result.update(
            p50_s=round(_percentile(latencies, 50), 3),
            p90_s=round(_percentile(latencies, 90), 3),
            p99_s=round(_percentile(latencies, 99), 3),
            max_s=round(max(latencies), 3),
            mean_s=round(statistics.fmean(latencies), 3),
            over_target=sum(1 for x in latencies if x >= TARGET_P99_S),
        )
    return result


def run(sub, workflows, standin, env: dict, web_env: dict, logs: Path, cfg: dict) -> dict:
    """The latency part of one topology (the stand-in adds its 50 ms per call)."""
    from django.conf import settings

    from workflows.models import Workflow, WorkflowStatus

    workflow = email_workflow(sub, workflows)
    log = logs / f"emails-{time.monotonic_ns()}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**env, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_MAIL_LOG": str(log)}
    timeout = cfg["drain_timeout"]
    cluster = harness.start_qcluster(env, logs, name="qcluster-latency")
    result: dict = {"signal": _signal_name(settings)}
    try:
        result["capacity"] = capacity(sub, log, cfg["latency_backlog"], 100_000, timeout)
        rate = max(1.0, (result["capacity"]["per_s"] or 2.0) / 2)
        receiver = f"/webhooks/bigcommerce/{sub.uuid}/"
        if result["signal"] == "poll":  # SQLite: nothing to wake the relay with
            variants = [("poll", "true")]
        else:
            variants = [("wake-up", "true"), ("poll only", "false")]
        result["steady"] = {}
        for n, (label, wake) in enumerate(variants):
            web, url = harness.start_web(
                {**web_env, "RELAY_WAKEUP": wake},
                logs,
                threads=4,
                processes=1,
                name=f"web-latency-{n}",
            )
            try:
                figures = steady(
                    url + receiver,
                    sub.secret,
                    log,
                    rate,
                    cfg["latency_seconds"],
                    200_000 + 100_000 * n,
                    timeout,
                )
            finally:
                web.stop()
            result["steady"][label] = figures
            print(
                f"bench:   latency ({label}) at {figures['rate_per_s']}/s: p50 "
                f"{figures.get('p50_s')} s, p99 {figures.get('p99_s')} s over "
                f"{figures['emails']} emails",
                flush=True,
            )
    finally:
        cluster.stop()
        Workflow.objects.filter(pk=workflow.pk).update(status=WorkflowStatus.PAUSED)
    return result


def _signal_name(settings) -> str:
    from django.db import connection

    if settings.REDIS_URL:
        return "Redis list (BLPOP beside the queue)"
    if connection.vendor == "postgresql":
        return "PostgreSQL LISTEN/NOTIFY"
    return "poll"
