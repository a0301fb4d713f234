"""The dashboard in a real headless Chromium: its charts render, and a problem's button fixes
it (a hook BigCommerce deactivated, reactivated at the stand-in; the banner goes)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from integrations import subscriptions
from workflows.alerts import evaluate
from workflows.dashboard import stats
from workflows.models import WorkflowRun

pytestmark = pytest.mark.browser


def test_charts_render_and_the_fix_button_reactivates_a_hook(
    page, live_standin, make_active_workflow, manager, login, shot
):
    # Given an active workflow with runs, whose hook BigCommerce then deactivated, alerted
    workflow, sub = make_active_workflow("Post-shipment survey")
    for status in ("succeeded", "succeeded", "failed"):
        WorkflowRun.objects.create(workflow=workflow, status=status)
    sub = subscriptions.ensure_registered(sub)
    live_standin.deactivate_hook(sub.hook_id)
    evaluate.run_pass()

    # When the manager signs in (the dashboard is the home page)
    login(page, manager)

    # Then every chart is drawn as SVG, with its bars, and the banner and the problem show
    for series in stats.DAILY_SERIES:
        chart = page.locator(f"#chart-{series.key} svg")
        expect(chart).to_be_visible()
        assert chart.bounding_box()["width"] > 200
    assert page.locator("#chart-runs svg .series rect").count() > 0
    expect(page.locator("#workflow-stats")).to_contain_text("Post-shipment survey")
    expect(page.locator("#alert-banner")).to_contain_text("BigCommerce deactivated a webhook")
    shot(page, "dashboard-1-problem")

    # When the manager presses the problem's button
    page.get_by_role("button", name="Reactivate the hook").click()

    # Then the hook is active at the stand-in again, the problem and the banner are gone
    expect(page.get_by_text("webhook is registered and active")).to_be_visible()
    expect(page.locator("#alert-banner")).to_have_count(0)
    expect(page.locator("#no-problems")).to_be_visible()
    assert all(h["is_active"] for h in live_standin.hooks())
    shot(page, "dashboard-2-fixed")
