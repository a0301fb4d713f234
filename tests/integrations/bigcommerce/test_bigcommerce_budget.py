"""A delivery task's BigCommerce waits fit in its queue timeout: computed from the settings in
one place, checked at start-up, and kept by the client at run time (it never sleeps, nor waits
on a reply, past what is left of its budget)."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import responses
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from integrations import merge_data
from integrations.bigcommerce import budget
from integrations.bigcommerce import client as client_module
from integrations.bigcommerce.client import BigCommerceClient
from integrations.bigcommerce.errors import BadResponse, RateLimited, Unavailable
from integrations.checks import (
    api_share_check,
    delivery_task_budget_check,
    queue_timeouts_check,
)
from integrations.events import EVENTS, EventKey
from integrations.payloads import DeliveryPayload

BASE = "https://api.bigcommerce.test"
STORE = "abc123"
ROOT = f"{BASE}/stores/{STORE}"
NAMED_SETTINGS = [
    "BIGCOMMERCE_CONNECT_TIMEOUT",
    "BIGCOMMERCE_READ_TIMEOUT",
    "BIGCOMMERCE_MAX_RETRIES",
    "BIGCOMMERCE_MAX_WAIT_SECONDS",
    "FANOUT_INLINE_SECONDS",
    "Q_TIMEOUT",
]


class FakeClock:
    """time.monotonic and time.sleep for one test: time moves only when a test (or a sleep)
    moves it."""

    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


def make_client(clock, **kwargs) -> BigCommerceClient:
    options = {"base_url": BASE, "sleep": clock.sleep, "clock": clock} | kwargs
    return BigCommerceClient(STORE, "tok-123", **options)


@pytest.fixture
def q_timeout(settings):
    def set_timeout(seconds):
        settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": seconds}

    return set_timeout


# --- the computation and the start-up check -----------------------------------------------


def test_the_defaults_fit_the_default_timeout():
    # Given the shipped settings
    task = budget.delivery_task()
    # Then 2 calls × (3 attempts × (5 + 10) s + 2 retries × 3 s) + 10 s inline < 120 s
    assert (task.calls, task.q_timeout) == (2, 120)
    assert task.bigcommerce_seconds == 2 * (3 * (5 + 10) + 2 * 3)
    assert task.total_seconds == 112 and task.fits
    assert delivery_task_budget_check() == []


def test_the_budget_is_computed_term_by_term_from_the_settings(settings, q_timeout):
    # Given other limits
    settings.BIGCOMMERCE_CONNECT_TIMEOUT = 2
    settings.BIGCOMMERCE_READ_TIMEOUT = 4
    settings.BIGCOMMERCE_MAX_RETRIES = 1
    settings.BIGCOMMERCE_MAX_WAIT_SECONDS = 1.5
    settings.FANOUT_INLINE_SECONDS = 3
    q_timeout(30)
    # When / Then
    task = budget.delivery_task()
    assert task.limits.call_seconds == 2 * (2 + 4) + 1 * 1.5
    assert task.bigcommerce_seconds == 2 * 13.5
    assert task.total_seconds == 30 and not task.fits  # equal is not less


@pytest.mark.parametrize(
    "change",
    [
        {"Q_TIMEOUT": 60},
        {"BIGCOMMERCE_READ_TIMEOUT": 60},
        {"BIGCOMMERCE_MAX_RETRIES": 6},
        {"BIGCOMMERCE_MAX_WAIT_SECONDS": 30},
        {"FANOUT_INLINE_SECONDS": 60},
    ],
    ids=lambda change: next(iter(change)),
)
def test_limits_that_outlive_the_timeout_fail_the_check_naming_the_settings(
    settings, q_timeout, change
):
    # Given one setting changed so that a delivery task could outlive Q_TIMEOUT
    for name, value in change.items():
        if name == "Q_TIMEOUT":
            q_timeout(value)
        else:
            setattr(settings, name, value)
    # When the system checks run
    (error,) = delivery_task_budget_check()
    # Then one error says how long a task may take, from which settings, and what to change
    assert error.id == "integrations.E002"
    text = f"{error.msg} {error.hint}"
    assert f"{budget.delivery_task().total_seconds:g} s" in error.msg
    assert all(name in text for name in NAMED_SETTINGS)


def test_manage_py_check_stops_on_it(settings, q_timeout):
    q_timeout(30)
    with pytest.raises(SystemCheckError, match="integrations.E002.*Q_TIMEOUT"):
        call_command("check")


@pytest.mark.parametrize(
    ("q_retry", "lease", "named"),
    [
        (120, 300, ["Q_RETRY"]),
        (180, 100, ["DELIVERY_LEASE_SECONDS"]),
        (60, 60, ["Q_RETRY", "DELIVERY_LEASE_SECONDS"]),
    ],
)
def test_retry_and_lease_must_outlast_the_timeout(settings, q_retry, lease, named):
    # Given Q_RETRY or the delivery lease no longer than Q_TIMEOUT (120 s)
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 120, "retry": q_retry}
    settings.DELIVERY_LEASE_SECONDS = lease
    # When the system checks run, Then one error names each setting that is too short
    (error,) = queue_timeouts_check()
    assert error.id == "integrations.E003"
    assert all(f"{name} is" in error.msg for name in named)
    assert "Q_TIMEOUT (120 s)" in error.msg


def test_the_shipped_retry_and_lease_outlast_the_timeout():
    assert queue_timeouts_check() == []


class CountingClient:
    """The fetch plan's view of a client: counts calls, every customer registered."""

    def __init__(self):
        self.calls = []

    def get_cart(self, cart_id):
        self.calls.append("cart")
        return {"id": cart_id, "customer_id": 7}

    def get_order(self, order_id):
        self.calls.append("order")
        return {"id": order_id, "customer_id": 7}

    def get_customer_v2(self, customer_id):
        self.calls.append("customer v2")
        return {"id": customer_id}

    def get_customer_v3(self, customer_id):
        self.calls.append("customer v3")
        return {"id": customer_id}


# The brief's plans; the catalog's (a refund's three calls) share the budget like the extra
# resources do (tests/integrations/test_more_events.py counts them).
@pytest.mark.parametrize("event", [key for key in EventKey if not EVENTS[key].fetch])
def test_no_fetch_plan_makes_more_calls_than_the_budget_counts(event):
    # Given a delivery of each event for a registered customer
    payload = DeliveryPayload(
        event_key=event,
        scope="",
        store_hash=STORE,
        hash="h",
        created_at=None,
        cart_id="09346904-4175-44fd-be53-f7e598531b6c",
        order_id=5,
        shipment_id=6,
        raw={},
    )
    fake = CountingClient()
    # When its resources are fetched
    merge_data.fetch_resources(fake, payload)
    # Then it took the plan's most calls, no more
    assert len(fake.calls) == merge_data.MAX_FETCH_CALLS


# --- the client keeps its budget ----------------------------------------------------------


def test_the_client_budget_defaults_to_the_delivery_task_share():
    bc = BigCommerceClient(STORE, "tok-123", base_url=BASE)
    assert bc.time_left() == budget.delivery_task().bigcommerce_seconds


def test_a_429_asking_longer_than_what_is_left_is_not_slept(clock):
    # Given a client with 10 s of budget, of which 8.5 s pass on a slow first answer
    bc = make_client(clock, budget_seconds=10, max_retries=3, max_wait_seconds=5)

    def slow_429(request):
        clock.now += 8.5
        return (429, {"X-Retry-After": "2"}, "")

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, f"{ROOT}/v2/orders/5", callback=slow_429)
        # When BigCommerce asks for 2 s (within max_wait, beyond the 1.5 s left)
        with pytest.raises(RateLimited) as caught:
            bc.get_order(5)
    # Then the client gives up at once, carrying the wait for the delivery's reschedule
    assert clock.slept == [] and bc.calls == 1
    assert caught.value.retry_after == 2.0 and caught.value.retryable


def test_backoff_that_would_outlast_the_budget_is_not_slept(clock):
    # Given a 503 that took all but 0.1 s of the budget
    bc = make_client(clock, budget_seconds=5, max_retries=3)

    def slow_503(request):
        clock.now += 4.9
        return (503, {}, "")

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, f"{ROOT}/v2/orders/5", callback=slow_503)
        with pytest.raises(Unavailable, match="HTTP 503"):
            bc.get_order(5)
    assert clock.slept == [] and bc.calls == 1


def test_waits_within_the_budget_are_slept_and_retried(clock):
    bc = make_client(clock, budget_seconds=10, max_retries=1, max_wait_seconds=5)
    with responses.RequestsMock() as mocked:
        mocked.get(f"{ROOT}/v2/orders/5", status=429, headers={"X-Retry-After": "2"})
        mocked.get(f"{ROOT}/v2/orders/5", json={"id": 5})
        assert bc.get_order(5) == {"id": 5}
    assert clock.slept == [2.0] and bc.calls == 2


def test_each_request_timeout_is_capped_by_what_is_left(clock):
    # Given 4 s left of the budget and timeouts of 5 s and 10 s
    bc = make_client(clock, budget_seconds=4, connect_timeout=5, read_timeout=10)
    with responses.RequestsMock() as mocked:
        mocked.get(f"{ROOT}/v2/store", json={"name": "S"})
        bc.get_store()
        # Then the request may wait 4 s at most
        assert mocked.calls[0].request.req_kwargs["timeout"] == (4, 4)


def test_no_request_is_sent_once_the_budget_is_spent(clock):
    # Given a client whose budget the first call (and the time after it) spent
    bc = make_client(clock, budget_seconds=3, max_retries=0)

    def slow(request):
        clock.now += 2.5
        return (200, {}, '{"id": 1}')

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, f"{ROOT}/v2/orders/1", callback=slow)
        bc.get_order(1)
        clock.now += 0.5
        # When the next call of the same task comes
        with pytest.raises(Unavailable, match="longer than this task may wait"):
            bc.get_order(2)
        # Then it was refused before sending anything (retryable: the delivery is retried later)
        assert bc.calls == 1 and len(mocked.calls) == 1


def test_a_reply_over_the_size_limit_is_a_bad_response(clock, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_RESPONSE_BYTES", 1000)
    bc = make_client(clock, budget_seconds=10)
    with responses.RequestsMock() as mocked:
        mocked.get(f"{ROOT}/v2/orders/1", body=b"[" + b" " * 2000 + b"]")
        with pytest.raises(BadResponse, match="over 1000 bytes"):
            bc.get_order(1)


class Trickle(BaseHTTPRequestHandler):
    """Answers 200 and then sends its body one byte every 0.2 s: never idle long enough for a
    read timeout, yet never done."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the client gave up, as it should

    def log_message(self, *args):
        pass


@pytest.fixture
def trickling_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_trickling_reply_is_cut_at_the_budget_over_real_http(trickling_server):
    # Given a BigCommerce on loopback that trickles its reply (20 s in all), a read timeout of
    # 1 s it never trips, and a client budget of 1.5 s
    bc = BigCommerceClient(
        STORE,
        "tok-123",
        base_url=trickling_server,
        read_timeout=1,
        budget_seconds=1.5,
        max_retries=0,
    )
    started = time.monotonic()
    # When the order is fetched
    with pytest.raises(Unavailable, match="did not answer in time"):
        bc.get_order(1)
    # Then the client gave up when its budget ran out, not when the reply would have ended
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("raw", [0, -5, 250, "nan", "inf", "half"])
def test_an_api_share_that_is_not_a_percentage_stops_start_up(settings, raw):
    # Given BIGCOMMERCE_API_SHARE outside (0, 100]
    settings.BIGCOMMERCE_API_SHARE = raw
    # When the system checks run, then one error names the setting and its value
    (error,) = api_share_check()
    assert error.id == "integrations.E004"
    assert f"BIGCOMMERCE_API_SHARE is {raw!r}" in error.msg
    with pytest.raises(SystemCheckError, match="integrations.E004"):
        call_command("check")


@pytest.mark.parametrize("raw", [50, 100, 0.5, "75"])
def test_a_percentage_passes_the_check(settings, raw):
    settings.BIGCOMMERCE_API_SHARE = raw
    assert api_share_check() == []
