"""The API budget part sets a small quota on the stand-in for its own runs only: the parts
measured after it (latency's drain capacity, memory, growth) need the large one back."""

from types import SimpleNamespace

import pytest

from bench import api_budget
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
