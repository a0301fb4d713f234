"""A burst of 1,000 deliveries from concurrent clients against the web server, then drained.

Real processes on loopback: the production web server (waitress, 4 threads) stores each
delivery; a task cluster (2 workers) fetches from the BigCommerce stand-in, creates the runs
and sends the emails (file email backend). Timings are recorded as figures, never asserted.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections import Counter

import pytest
from django.db.models import Count

from integrations.models import WebhookDelivery
from tests import harness
from tests.factories import customer_order_ids, shipment
from tests.harness import queue_size, sent_emails
from tests.reliability import figures
from workflows.models import StepResult, WorkflowRun

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BURST = 1_000
CLIENTS = 16
DRAIN_TIMEOUT = 150  # seconds; a bound on the wait, not a performance claim


def test_burst_of_1000_concurrent_deliveries(
    env, standin, make_active_workflow, log_dir, maildir, no_schedules, cluster_name
):
    # Given an active workflow emailing the customer, the web server and a cluster
    _wf, sub = make_active_workflow()
    order_ids = customer_order_ids(BURST)
    web, url = harness.start_web(env, log_dir)
    cluster = harness.start_qcluster(env, log_dir)
    try:
        # When 1,000 distinct deliveries arrive from 16 concurrent clients
        local = threading.local()

        def post(order_id: int) -> tuple[int, float]:
            if not hasattr(local, "session"):
                local.session = harness.session()
            started = time.perf_counter()
            status = harness.deliver_over_http(
                url, sub, shipment(order_id), client=local.session, timeout=60
            )
            return status, time.perf_counter() - started

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(post, order_ids))
        ingest_seconds = time.perf_counter() - started

        # Then every one is answered 200 (none refused, none failed)
        statuses = Counter(status for status, _ in results)
        assert statuses == {200: BURST}, statuses
        assert WebhookDelivery.objects.count() == BURST

        # And the cluster drains the queue
        harness.wait_until(
            lambda: WorkflowRun.objects.filter(status="succeeded").count() == BURST,
            DRAIN_TIMEOUT,
            interval=0.5,
            what="every run to succeed",
        )
        drain_seconds = time.perf_counter() - started
    finally:
        for child in (cluster, web):
            child.stop()

    # Every delivery processed once, by one claim, into exactly one run and one email
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("processed", 1)}
    assert WorkflowRun.objects.count() == BURST
    per_delivery = WorkflowRun.objects.values("delivery").annotate(n=Count("id"))
    assert {row["n"] for row in per_delivery} == {1} and len(per_delivery) == BURST
    assert StepResult.objects.filter(status="succeeded").count() == BURST
    emails = sent_emails(maildir)
    assert len(emails) == BURST
    assert len({m["Subject"] for m in emails}) == BURST
    # BigCommerce was asked the minimum: one order and one customer per delivery (the cluster's
    # own periodic passes, which may read the store's hooks meanwhile, aside)
    calls = standin.stats()["calls"]
    assert calls.get("GET /v2/orders/{id}") == calls.get("GET /v3/customers") == BURST
    assert sum(n for key, n in calls.items() if "/hooks" not in key) == 2 * BURST
    # And nothing is left on the broker
    assert queue_size(cluster_name) == 0

    latencies = sorted(seconds for _, seconds in results)
    figures.record(
        "burst",
        deliveries=BURST,
        clients=CLIENTS,
        non_2xx=BURST - statuses[200],
        stored=BURST,
        runs=BURST,
        emails=len(emails),
        ingest_seconds=round(ingest_seconds, 2),
        ingest_per_second=round(BURST / ingest_seconds, 1),
        p50_ms=round(figures.percentile(latencies, 50) * 1000, 1),
        p99_ms=round(figures.percentile(latencies, 99) * 1000, 1),
        drained_after_seconds=round(drain_seconds, 1),
    )
