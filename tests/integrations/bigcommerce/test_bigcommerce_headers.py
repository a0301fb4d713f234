"""BigCommerce's response headers are input: every value is read finite and bounded.

At the parser (integrations.bigcommerce.headers) and through the client, against `responses`
mocks answering 429 with hostile rate-limit headers.
"""

import math
from datetime import UTC, datetime

import pytest
import responses

from integrations.bigcommerce import headers
from integrations.bigcommerce.client import BigCommerceClient, rate_limit_wait
from integrations.bigcommerce.errors import RateLimited, Unavailable

HORIZON = 600.0
BASE = "https://api.bigcommerce.test"
STORE = "abc123"
ROOT = f"{BASE}/stores/{STORE}"

# value -> what it reads as: "horizon" (clamped up), 0.0 (clamped down), None (not a number)
HOSTILE = {
    "1e20": "horizon",
    "1E+308": "horizon",
    "1e999": "horizon",  # float() gives inf
    "inf": "horizon",
    "+Infinity": "horizon",
    "-inf": 0.0,
    "nan": None,
    "NaN": None,
    "-5": 0.0,
    "-1e20": 0.0,
    "99999999999999999999999999": "horizon",
    "9" * 65: None,  # longer than any header worth reading
    "12abc": None,
    "0x10": None,
    "1_000": None,
    "١٢": None,  # non-ASCII digits
    "": None,
    "   ": None,
    "\x00": None,
}


@pytest.fixture(autouse=True)
def _horizon(settings):
    settings.BIGCOMMERCE_RETRY_HORIZON_SECONDS = HORIZON


def expected_seconds(outcome):
    return HORIZON if outcome == "horizon" else outcome


# --- the parser ----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "outcome"), HOSTILE.items(), ids=repr)
def test_a_hostile_duration_reads_finite_and_within_the_horizon(value, outcome):
    # when a duration header carries the value, in seconds and in milliseconds
    in_seconds = headers.seconds(value)
    in_ms = headers.seconds(value, unit=1000.0)
    # then it is clamped to [0, horizon], or reads as absent
    assert in_seconds == expected_seconds(outcome)
    assert in_ms == (None if outcome is None else min(expected_seconds(outcome), HORIZON))
    for found in (in_seconds, in_ms):
        assert found is None or (math.isfinite(found) and 0 <= found <= HORIZON)


@pytest.mark.parametrize(("value", "outcome"), HOSTILE.items(), ids=repr)
def test_a_hostile_count_reads_as_a_bounded_int(value, outcome):
    found = headers.count(value)
    if outcome is None:
        assert found is None
    else:
        assert isinstance(found, int) and 0 <= found <= headers.MAX_COUNT
        assert found == (headers.MAX_COUNT if outcome == "horizon" else 0)


@pytest.mark.parametrize("value", [None, 12, 1e20, float("nan"), b"\xff", object()])
def test_a_value_that_is_not_text_reads_as_absent(value):
    assert headers.seconds(value) is None and headers.count(value) is None


def test_ordinary_values_read_as_sent():
    # given BigCommerce's usual headers
    sent = {
        "X-Rate-Limit-Time-Reset-Ms": "15000",
        "X-Rate-Limit-Time-Window-Ms": "30000",
        "X-Rate-Limit-Requests-Left": "0",
        "X-Rate-Limit-Requests-Quota": "150",
        "X-Retry-After": "2",
    }
    # when / then
    assert headers.rate_limit(sent) == headers.RateLimit(
        reset_after=15.0, retry_after=2.0, requests_left=0, requests_quota=150, window=30.0
    )
    assert headers.rate_limit(sent).wait == 15.0


def test_names_are_case_insensitive_and_the_longer_retry_after_wins():
    found = headers.rate_limit({"x-retry-after": "3", "RETRY-AFTER": "7"})
    assert found.retry_after == 7.0 and found.wait == 7.0 and found.reset_after is None


def test_retry_after_may_be_an_http_date_and_is_clamped():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    in_ten = "Thu, 01 Jan 2026 12:00:10 GMT"
    assert headers.retry_after(in_ten, now=now) == 10.0
    assert headers.retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now=now) == HORIZON
    assert headers.retry_after("Mon, 01 Jan 1900 00:00:00 GMT", now=now) == 0.0
    assert headers.retry_after("Someday, 99 Foo 20x6", now=now) is None


@pytest.mark.parametrize("raw", [1e20, math.inf, -math.inf, math.nan, -3, "7", None, "x"])
def test_clamp_seconds_bounds_any_number_and_drops_the_rest(raw):
    found = headers.clamp_seconds(raw)
    assert found is None or (math.isfinite(found) and 0 <= found <= HORIZON)
    assert (found is None) == (raw is None or raw == "x" or (isinstance(raw, float) and raw != raw))


@pytest.mark.parametrize("configured", [0, -1, math.inf, math.nan, "garbage", 10**12])
def test_the_horizon_setting_itself_is_bounded(settings, configured):
    settings.BIGCOMMERCE_RETRY_HORIZON_SECONDS = configured
    assert 1.0 <= headers.horizon() <= 7 * 86400


def test_a_rate_limited_error_is_clamped_whoever_raises_it():
    assert RateLimited("x", retry_after=1e20).retry_after == HORIZON
    assert RateLimited("x", retry_after=math.nan).retry_after is None
    assert Unavailable("x", retry_after=-math.inf).retry_after == 0.0


# --- through the client --------------------------------------------------------------------


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(sleeps):
    with BigCommerceClient(
        STORE, "tok-123", base_url=BASE, max_retries=1, max_wait_seconds=3, sleep=sleeps.append
    ) as bc:
        yield bc


HEADER_NAMES = ["X-Rate-Limit-Time-Reset-Ms", "X-Retry-After", "Retry-After"]


@pytest.mark.parametrize("name", HEADER_NAMES)
@pytest.mark.parametrize(("value", "outcome"), HOSTILE.items(), ids=repr)
def test_a_429_with_a_hostile_header_never_sleeps_or_retries_unbounded(
    client, sleeps, name, value, outcome
):
    # given a 429 whose rate-limit header is hostile, other headers hostile too, then success
    hostile = {
        name: value,
        "X-Rate-Limit-Requests-Left": value,
        "X-Rate-Limit-Requests-Quota": value,
        "X-Rate-Limit-Time-Window-Ms": value,
    }
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.get(f"{ROOT}/v2/orders/5", status=429, headers=hostile)
        mocked.get(f"{ROOT}/v2/orders/5", json={"id": 5})
        # when the order is fetched
        try:
            order = client.get_order(5)
        except RateLimited as error:
            # then either the client gives up with a bounded wait to reschedule by ...
            assert outcome == "horizon"
            assert error.retry_after == HORIZON
            assert sleeps == []
            return
    # ... or it slept a finite, short time (at most its max wait) and asked again
    assert order == {"id": 5}
    (slept,) = sleeps
    assert math.isfinite(slept) and 0 <= slept <= 3
    if outcome is not None:
        assert slept == expected_seconds(outcome) / (1000.0 if name.endswith("-Ms") else 1.0)


def test_rate_limit_wait_is_the_bounded_parser():
    assert rate_limit_wait({"X-Rate-Limit-Time-Reset-Ms": "1e20"}) == HORIZON
    assert rate_limit_wait({"X-Retry-After": "nan"}) is None
