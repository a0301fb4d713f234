"""Periodic jobs cost a bounded number of queries per pass, whatever the number of rows, and
stay within a small share of each store's BigCommerce quota (bench/periodic.py's harness)."""

import pytest

from bench import periodic
from integrations.models import WebhookSubscription

pytestmark = pytest.mark.django_db


def pass_named(name):
    return next(p for p in periodic.PASSES if p.name.startswith(name))


def measured(standin, name, subscriptions, **rows):
    periodic.populate(standin, subscriptions, **rows)
    return periodic.measure_pass(pass_named(name), standin)


@pytest.mark.parametrize("name", [p.name for p in periodic.PASSES])
def test_a_pass_costs_the_same_queries_at_a_small_and_a_larger_size(standin, settings, name):
    # Given a few subscriptions (with a few stuck and old rows), measured once
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    small = measured(standin, name, 6, stuck=3, old=3)
    # When the tables hold several times more of each (earlier rows dealt with by then)
    WebhookSubscription.objects.all().delete()
    larger = measured(standin, name, 40, stuck=30, old=30)
    # Then the pass costs the same number of queries: none per row
    assert larger["queries"] == small["queries"]


def test_the_hook_check_calls_each_store_once_and_records_every_subscription(standin, settings):
    # Given 40 registered subscriptions over 8 stores (five events each), their hooks healthy
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    population = periodic.populate(standin, 40)
    # When the periodic check runs
    result = periodic.measure_pass(pass_named("hook check"), standin)
    # Then it asked each store for its hooks once, far within the store's quota
    assert result["stores_called"] == population.stores == 8
    assert result["max_calls_per_store"] == 1 <= periodic.PASS_CALL_BUDGET
    # ... and every subscription was seen healthy
    assert result["outcome"]["registered"] == 40
    assert not WebhookSubscription.objects.filter(last_healthy_at__isnull=True).exists()


def test_the_hook_check_repairs_a_missing_hook_among_healthy_ones(standin, settings):
    # Given healthy subscriptions, one of whose hooks BigCommerce lost
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    periodic.populate(standin, 9)
    lost = WebhookSubscription.objects.order_by("pk").first()
    with standin._lock:
        del standin._hooks[lost.hook_id]
    # When the periodic check runs
    result = periodic.measure_pass(pass_named("hook check"), standin)
    # Then that hook is registered again (one more call for its store), the others untouched
    lost.refresh_from_db()
    assert lost.status == "registered" and lost.hook_id in {h["id"] for h in standin.hooks()}
    assert len(standin.hooks()) == 9
    assert result["max_calls_per_store"] <= periodic.PASS_CALL_BUDGET


def test_a_hook_check_that_runs_out_of_time_goes_on_with_the_stores_it_did_not_reach(
    standin, settings, monkeypatch
):
    # Given stores in two batches and a pass with no time left after its first batch
    from integrations import subscriptions
    from workflows import broker, tasks

    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    monkeypatch.setattr(subscriptions, "CHECK_BATCH", 2)
    monkeypatch.setattr(tasks, "CHECK_SECONDS", -1)
    periodic.populate(standin, 20)  # four stores
    queued = []
    monkeypatch.setattr(broker, "enqueue_hook_check", queued.append)
    # When the scheduled pass runs
    first = tasks.check_subscriptions()
    # Then it checked one batch and put the rest on the queue with its start
    assert first["stores"] == 2 and len(queued) == 1
    # ... and the continuation takes only the two stores not checked since
    monkeypatch.setattr(tasks, "CHECK_SECONDS", 60)
    rest = tasks.check_subscriptions(queued[0])
    assert rest["stores"] == 2 and len(queued) == 1
    assert not WebhookSubscription.objects.filter(last_healthy_at__isnull=True).exists()


def test_a_store_that_fails_its_listing_costs_one_call_and_says_so_on_each_subscription(
    standin, settings
):
    # Given two stores of five subscriptions, the first of which BigCommerce fails (500)
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    periodic.populate(standin, 10)
    failing = WebhookSubscription.objects.order_by("pk").first().authentication
    standin.add_fault(f"/stores/{failing.store_hash}/v3/hooks", 500)
    # When the periodic check runs
    result = periodic.measure_pass(pass_named("hook check"), standin)
    # Then that store was asked once, and its five subscriptions carry the error
    assert standin.store_calls()[failing.store_hash] == 1
    assert result["outcome"]["error"] == 5 and result["outcome"]["registered"] == 5
    errors = WebhookSubscription.objects.filter(authentication=failing)
    assert {s.status for s in errors} == {"error"} and all(s.status_detail for s in errors)
