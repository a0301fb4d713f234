"""Slow clients can't take the receiver down.

200 loopback connections dribble a request for at most 20 seconds: half send a request line,
then one header line every 2 seconds; half send their headers whole, then a byte of their
announced 4 KiB body every 2 seconds. Meanwhile real deliveries arrive: on the production
server (waitress, which reads each request whole before a thread takes it) every one answers
200 within a few seconds and is stored. The same slow clients hold gunicorn's sync workers,
one each, until its 30 s timeout: there a delivery gets no answer at all (the control that
shows the clients are slow enough to matter). Timings are recorded as figures; only generous
bounds are asserted.
"""

from __future__ import annotations

import concurrent.futures
import time

import pytest
import requests

from integrations.models import WebhookDelivery
from integrations.subscriptions import SECRET_HEADER
from tests import harness
from tests.factories import customer_order_ids, shipment
from tests.reliability import figures

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SLOW_CLIENTS = 200  # each sends one more header line or body byte every 2 s, for at most 20 s
WAVES, PER_WAVE, WAVE_EVERY = 8, 5, 0.5  # 40 deliveries over about 4 s, 5 at a time
ANSWER_WITHIN = 5.0  # seconds; a bound on a functional wait, not a performance claim


def post_delivery(hook_url: str, sub, order_id: int) -> tuple[int | str, float]:
    started = time.perf_counter()
    with requests.Session() as session:
        session.trust_env = False
        try:
            status = session.post(
                hook_url,
                json=shipment(order_id, event_hash=f"slow-{order_id}"),
                headers={SECRET_HEADER: sub.secret},
                timeout=ANSWER_WITHIN,
            ).status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
    return status, time.perf_counter() - started


def test_deliveries_answer_while_200_slow_clients_are_open(env, make_active_workflow, log_dir):
    # Given the production web server and an active workflow's subscription
    _wf, sub = make_active_workflow()
    web, url = harness.start_web(env, log_dir)
    path = f"/webhooks/bigcommerce/{sub.uuid}/"
    order_ids = customer_order_ids(WAVES * PER_WAVE)
    try:
        # When 200 slow clients hold connections open, dribbling their headers
        with (
            harness.slow_clients(url, path, SLOW_CLIENTS) as clients,
            concurrent.futures.ThreadPoolExecutor(PER_WAVE) as pool,
        ):
            # and meanwhile deliveries arrive in waves
            results = []
            for wave in range(WAVES):
                batch = order_ids[wave * PER_WAVE : (wave + 1) * PER_WAVE]
                results += pool.map(lambda n: post_delivery(url + path, sub, n), batch)
                time.sleep(WAVE_EVERY)
            open_after = clients.still_open()
    finally:
        web.stop()

    # Then every delivery answered 200 within the bound
    statuses = [status for status, _ in results]
    assert statuses == [200] * len(order_ids), statuses
    # And each one is stored: none lost
    stored = WebhookDelivery.objects.filter(hash__startswith="slow-")
    assert sorted(stored.values_list("hash", flat=True)) == sorted(f"slow-{n}" for n in order_ids)
    # While the slow clients were still connected, all of them (held, not dropped)
    assert open_after == SLOW_CLIENTS
    latencies = sorted(seconds for _, seconds in results)
    figures.record(
        "slow_clients",
        slow_clients=SLOW_CLIENTS,
        deliveries=len(results),
        answered_200=statuses.count(200),
        stored=stored.count(),
        slow_clients_still_open=open_after,
        p50_ms=round(figures.percentile(latencies, 50) * 1000, 1),
        p99_ms=round(figures.percentile(latencies, 99) * 1000, 1),
        max_ms=round(latencies[-1] * 1000, 1),
    )


def test_the_same_slow_clients_hold_gunicorns_sync_workers(env, make_active_workflow, log_dir):
    # Given gunicorn with two sync workers and nothing in front
    _wf, sub = make_active_workflow()
    web, url = harness.start_gunicorn(env, log_dir, workers=2, threads=1)
    path = f"/webhooks/bigcommerce/{sub.uuid}/"
    try:
        # When the slow clients are connected, a delivery gets no answer within the bound
        with harness.slow_clients(url, path, SLOW_CLIENTS):
            status, _ = post_delivery(url + path, sub, customer_order_ids(1)[0])
    finally:
        web.stop()
    assert status in ("ReadTimeout", "ConnectTimeout"), status
    # And it was never stored
    assert not WebhookDelivery.objects.filter(hash__startswith="slow-").exists()
