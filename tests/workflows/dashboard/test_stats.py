"""The dashboard's figures against known rows: per day, per workflow, only the account's own,
in a number of queries that does not grow with workflows or days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import WebhookDelivery
from workflows.dashboard import stats
from workflows.models import FilteredDelivery, SentEmail, WorkflowRun

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def at(days_ago: int, hour: int = 10) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(hour=hour)


def make_run(workflow, when, status="succeeded", skip_reason="", is_test=False):
    run = WorkflowRun.objects.create(
        workflow=workflow, status=status, skip_reason=skip_reason, is_test=is_test
    )
    WorkflowRun.objects.filter(pk=run.pk).update(created_at=when)
    return run


def make_email(account, run, when):
    return SentEmail.objects.create(
        account=account, recipient="a@example.com", run=run, sent_at=when
    )


def received(delivery, when):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=when)


@pytest.fixture
def activity(account, other_account, other_auth, make_workflow, make_delivery):
    """Two workflows of the account on the same store and event, one of another account, with
    deliveries, runs and emails on known days (and some outside the window)."""
    survey = make_workflow(name="Survey")
    thanks = make_workflow(name="Thanks")
    rival = make_workflow(name="Rival", account=other_account, authentication=other_auth)
    for days_ago in (2, 2, 0, 40):
        received(make_delivery(status="processed"), at(days_ago))
    received(make_delivery(status="processed", authentication=other_auth), at(0))
    ok = make_run(survey, at(1))
    make_run(survey, at(1))
    make_run(survey, at(1), status="failed")
    make_run(thanks, at(0), status="skipped", skip_reason="send_once")
    make_run(thanks, at(0), status="stopped")
    make_run(thanks, at(0), status="waiting")
    make_run(survey, at(0), is_test=True)  # a test event is not the store's activity
    make_run(survey, at(31))  # before the window
    make_run(rival, at(0), status="failed")
    make_email(account, ok, at(1))
    make_email(account, ok, at(1, hour=23))
    make_email(other_account, None, at(1))
    held = FilteredDelivery.objects.create(
        delivery=make_delivery(status="processed"), workflow=thanks, reason="status is Pending"
    )
    FilteredDelivery.objects.filter(pk=held.pk).update(created_at=at(3))
    return survey, thanks


def test_daily_series_count_each_day_of_the_account(account, activity):
    # Given the known activity, when the last 30 days are counted
    win = stats.window(30, NOW)
    series = {s["key"]: s for s in stats.daily(account.pk, win)}
    dates = win.dates()

    def line(key, line_key):
        values = next(x["values"] for x in series[key]["lines"] if x["key"] == line_key)
        return {d: v for d, v in zip(dates, values, strict=True) if v}

    # Then each day has exactly the account's rows of that day, test runs and older rows left out
    assert len(dates) == 30 and dates[-1] == NOW.date()
    assert line("deliveries", "received") == {at(2).date(): 2, at(0).date(): 1}
    assert line("filtered", "held_back") == {at(3).date(): 1}
    assert line("runs", "succeeded") == {at(1).date(): 2}
    assert line("runs", "failed") == {at(1).date(): 1}
    assert line("runs", "skipped_send_once") == {at(0).date(): 1}
    assert line("runs", "skipped_suppressed") == {}
    assert line("runs", "stopped") == {at(0).date(): 1}
    assert line("runs", "in_progress") == {at(0).date(): 1}
    assert line("emails", "sent") == {at(1).date(): 2}


def test_each_skip_reason_is_its_own_line(account):
    # Given the run chart's lines, then every skip reason has one
    keys = {line.key for line in stats.RUN_LINES}
    assert {"skipped_suppressed", "skipped_no_consent", "skipped_frequency_cap"} <= keys


def test_per_workflow_table(account, activity):
    # Given the activity, when each workflow's totals are computed
    survey, thanks = activity
    rows = {row["name"]: row for row in stats.per_workflow(account.pk, stats.window(30, NOW))}

    # Then both see their store's deliveries, each its own runs and emails and failure rate
    assert set(rows) == {"Survey", "Thanks"}
    assert (rows["Survey"]["deliveries"], rows["Thanks"]["deliveries"]) == (3, 3)
    assert (rows["Survey"]["succeeded"], rows["Survey"]["failed"]) == (2, 1)
    assert rows["Survey"]["failure_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert rows["Survey"]["emails"] == 2
    assert (rows["Thanks"]["skipped"], rows["Thanks"]["stopped"]) == (1, 1)
    assert rows["Thanks"]["in_progress"] == 1
    assert rows["Thanks"]["failure_rate"] is None  # nothing succeeded or failed


def test_a_window_is_bounded():
    # Given days outside 1..365, then no window is made
    for days in (0, -1, 366):
        with pytest.raises(ValueError):
            stats.window(days, NOW)
    assert stats.window(1, NOW).first == NOW.date()


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_workflows_or_days(account, make_workflow, activity):
    # Given the figures for 3 days with two workflows
    def figures(days):
        win = stats.window(days, NOW)
        return lambda: (stats.daily(account.pk, win), stats.per_workflow(account.pk, win))

    few = count_queries(figures(3))

    # When there are ten more workflows with runs, and a year is asked for
    for i in range(10):
        make_run(make_workflow(name=f"More {i}"), at(i))
    many = count_queries(figures(365))

    # Then the same number of queries answers: one per series, five for the table
    assert many == few == len(stats.DAILY_SERIES) + 5
