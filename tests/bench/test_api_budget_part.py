"""The API budget part sets a small quota on the stand-in for its own runs only: the parts
measured after it (latency's drain capacity, memory, growth) need the large one back, and a
run starts with no budget learned by an earlier one."""

from types import SimpleNamespace

import pytest
import redis
from django.conf import settings

from bench import api_budget, fixtures, topology
from integrations.bigcommerce.quota import KEY_PREFIX
from integrations.standin.quota import DEFAULT_QUOTA, DEFAULT_WINDOW_MS, RateLimiter


def test_the_stand_ins_large_quota_is_back_after_the_part_even_when_a_run_fails(monkeypatch):
    # Given the stand-in's limiter, and a share's run that sets the small quota, then fails
    standin = SimpleNamespace(rate_limit=RateLimiter())

    def small_then_failing(sub, share, standin, *args):
        standin.rate_limit.configure(api_budget.QUOTA, api_budget.WINDOW_MS)
        raise TimeoutError("the cluster never started")

    monkeypatch.setattr(api_budget, "run_share", small_then_failing)
    monkeypatch.setattr(api_budget.fixtures, "set_active", lambda workflows, count: None)
    # When the part runs
    with pytest.raises(TimeoutError):
        api_budget.run(None, [], standin, {}, None, {})
    # Then the stand-in serves the parts after it at its large quota again
    assert (standin.rate_limit.quota, standin.rate_limit.window_ms) == (
        DEFAULT_QUOTA,
        DEFAULT_WINDOW_MS,
    )


@pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis ledger is tested on the Redis pass")
def test_a_bench_run_starts_with_the_bench_stores_budget_forgotten():
    # Given the bench store's ledger left in Redis by a run stopped in the API budget part,
    # beside another store's
    client = redis.from_url(settings.REDIS_URL)
    ours, other = KEY_PREFIX + fixtures.STORE, KEY_PREFIX + "another-store"
    client.hset(ours, "quota", 40)
    client.hset(other, "quota", 40)
    try:
        # When a topology's bench starts
        topology.forget_api_budget()
        # Then only the bench store's ledger is gone
        assert not client.exists(ours) and client.exists(other)
    finally:
        client.delete(ours, other)
