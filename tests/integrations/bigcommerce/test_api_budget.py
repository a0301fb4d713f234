"""The shared API budget: every client of a store, in any process, keeps together to
BIGCOMMERCE_API_SHARE of the store's quota per window, learnt from the rate-limit headers.

Two ledgers stand for two processes (each keeps its own memory of the row or talks over its
own Redis connection); they share only the database or the Redis db. The stand-in enforces its
quota and counts what it served and refused per window.
"""

import itertools
import time

import pytest
import responses
from django.db import connection

from integrations.bigcommerce import quota
from integrations.bigcommerce.client import BigCommerceClient
from integrations.bigcommerce.errors import OverBudget
from integrations.bigcommerce.headers import RateLimit
from integrations.models import ApiBudget
from tests.factories import STANDIN_STORE

pytestmark = pytest.mark.django_db(transaction=True)


def redis_url(settings) -> str:
    if not settings.REDIS_URL:
        pytest.skip("no REDIS_URL: the Redis ledger is tested on the Redis pass")
    return settings.REDIS_URL


@pytest.fixture(params=["database", "redis"])
def two_ledgers(request, settings):
    """Two ledgers of one store's budget, as two processes (or nodes) would have."""
    if request.param == "database":
        yield quota.DatabaseLedger(), quota.DatabaseLedger()
        return
    url = redis_url(settings)
    first, second = quota.RedisLedger(url), quota.RedisLedger(url)
    yield first, second
    first.forget(STANDIN_STORE)


def clients(standin, store_token, ledgers):
    return [
        BigCommerceClient(
            STANDIN_STORE,
            store_token,
            base_url=standin.base_url,
            max_retries=0,
            api_budget=quota.SharedBudget(ledger),
        )
        for ledger in ledgers
    ]


def served_per_window(standin) -> list[int]:
    return [w["served"] for w in standin.rate_limit.describe()["windows"]]


def test_two_processes_share_one_budget_and_never_pass_the_share(
    standin, store_token, two_ledgers, settings
):
    # Given a store whose quota is 10 requests per 2 s, half of it ours, and two processes
    settings.BIGCOMMERCE_API_SHARE = 50
    standin.rate_limit.configure(quota=10, window_ms=2000)
    first, second = clients(standin, store_token, two_ledgers)
    # When both send a burst of 40 requests, taking turns, for a little over two windows
    sent, waits = 0, []
    for client in itertools.islice(itertools.cycle([first, second]), 40):
        try:
            client.get_order(101)
            sent += 1
        except OverBudget as exc:
            waits.append(exc.retry_after)
            time.sleep(0.05)
    # Then together they sent at most 5 in any window of the store, and were never refused
    limits = standin.rate_limit.describe()
    assert limits["refused"] == 0
    assert max(served_per_window(standin)) <= 5
    assert sum(served_per_window(standin)) == sent == first.calls + second.calls
    # And a request beyond the share was told to wait until the window resets, never longer
    assert waits and all(0 < wait <= 2.0 for wait in waits)


def test_a_burst_from_many_threads_keeps_to_the_share(standin, store_token, settings):
    # Given the database ledger, a quota of 20 per 5 s and a share of 25%
    settings.BIGCOMMERCE_API_SHARE = 25
    standin.rate_limit.configure(quota=20, window_ms=5000)
    ledgers = [quota.DatabaseLedger() for _ in range(4)]
    first = clients(standin, store_token, ledgers[:1])[0]
    first.get_store()  # the first reply tells every process the quota
    # When four workers each try 10 requests at once
    from concurrent.futures import ThreadPoolExecutor

    def burst(ledger):
        client = clients(standin, store_token, [ledger])[0]
        done = 0
        try:
            for _ in range(10):
                try:
                    client.get_order(102)
                    done += 1
                except OverBudget:
                    pass
        finally:
            connection.close()  # this thread's own
        return done

    with ThreadPoolExecutor(4) as pool:
        done = sum(pool.map(burst, ledgers))
    # Then five went through in that window (one of them the first call), none was refused
    assert done + 1 == sum(served_per_window(standin)) <= 5
    assert standin.rate_limit.describe()["refused"] == 0


def test_the_other_apps_spending_the_quota_closes_ours_until_the_reset(
    standin, store_token, settings
):
    # Given our share is 50% of 10, and the store's other apps spend 9 of them
    settings.BIGCOMMERCE_API_SHARE = 50
    standin.rate_limit.configure(quota=10, window_ms=3000)
    standin.rate_limit.spend(STANDIN_STORE, 9)
    client = clients(standin, store_token, [quota.DatabaseLedger()])[0]
    # When we send the one request left, then another
    client.get_order(103)
    with pytest.raises(OverBudget) as waited:
        client.get_order(104)
    # Then the second was never sent: the reply said none were left, so we wait for the reset
    assert standin.rate_limit.describe()["refused"] == 0
    assert 0 < waited.value.retry_after <= 3.0


def test_a_bare_client_has_no_budget(standin, store_token):
    # Given a client made without the shared budget (a script, a unit test)
    client = BigCommerceClient(STANDIN_STORE, store_token, base_url=standin.base_url)
    # When it calls the store
    client.get_store()
    # Then no ledger row was written
    assert not ApiBudget.objects.exists()


HOSTILE_HEADERS = [
    {"X-Rate-Limit-Requests-Quota": "1e999", "X-Rate-Limit-Time-Reset-Ms": "1e20"},
    {"X-Rate-Limit-Requests-Quota": "-5", "X-Rate-Limit-Time-Window-Ms": "nan"},
    {"X-Rate-Limit-Requests-Quota": "9" * 80, "X-Rate-Limit-Time-Reset-Ms": "-inf"},
    {"X-Rate-Limit-Requests-Left": "abc", "X-Rate-Limit-Time-Window-Ms": "1e999"},
    {"X-Rate-Limit-Requests-Quota": "0", "X-Rate-Limit-Time-Reset-Ms": "inf"},
]


@pytest.mark.parametrize("hostile", HOSTILE_HEADERS)
def test_hostile_rate_limit_headers_leave_the_budget_bounded(hostile, settings):
    # Given a server whose replies carry hostile rate-limit headers
    settings.BIGCOMMERCE_RETRY_HORIZON_SECONDS = 600
    ledger = quota.DatabaseLedger()
    client = BigCommerceClient(
        "abc123",
        "token",
        base_url="https://api.bigcommerce.test",
        max_retries=0,
        api_budget=quota.SharedBudget(ledger),
    )
    with responses.RequestsMock() as mock:
        mock.get(
            "https://api.bigcommerce.test/stores/abc123/v2/orders/5",
            json={"id": 5},
            headers=hostile,
        )
        mock.get(
            "https://api.bigcommerce.test/stores/abc123/v2/orders/6",
            json={"id": 6},
            headers=hostile,
        )
        # When the client calls it twice
        before = quota.now_ms()
        assert client.get_order(5) == {"id": 5}
        outcome = None
        try:
            client.get_order(6)
        except OverBudget as exc:
            outcome = exc.retry_after
    # Then the budget holds finite, bounded values: a quota of at most a billion, a window
    # ending within the retry horizon, and any wait within it too
    row = ApiBudget.objects.get(store_hash="abc123")
    assert row.quota is None or 1 <= row.quota <= 10**9
    assert row.end_ms <= before + 600_000 + 5_000
    assert outcome is None or 0 < outcome <= 600


def test_the_share_setting_is_read_within_bounds(settings):
    # Given settings written by hand
    for raw, fraction in [(50, 0.5), ("75", 0.75), (250, 1.0), (0, 0.5), ("nan", 0.5), ("x", 0.5)]:
        settings.BIGCOMMERCE_API_SHARE = raw
        # Then the share is a fraction in (0, 1], a bad value reading as the default 50%
        assert quota.share() == fraction
    # And our allowance is at least one request per window
    assert quota.allowance(1, 0.5) == 1 and quota.allowance(150, 0.5) == 75


def test_an_unreachable_redis_lets_calls_through_unchecked(no_sockets):
    # Given a budget kept in a Redis that can't be reached
    budget = quota.SharedBudget(quota.RedisLedger("redis://127.0.0.1:6379/0"))

    # When a client takes a slot, and reports a reply's headers
    grant = budget.acquire(STANDIN_STORE)
    budget.observe(STANDIN_STORE, RateLimit(requests_left=10, requests_quota=100, window=30.0))

    # Then the call goes ahead unchecked (BigCommerce's own 429 still stops it), nothing raised
    assert grant.granted and not grant.limited
    assert no_sockets  # Redis was tried
