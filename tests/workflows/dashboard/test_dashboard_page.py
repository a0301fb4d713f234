"""The home page is the dashboard: charts as inline SVG without script, the per-workflow
table, current problems with the button that fixes each; only the account's own data; a
number of queries that does not grow with workflows."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from integrations.models import SubscriptionStatus
from tests.factories import count_queries
from tests.html import check_page
from workflows.dashboard import stats
from workflows.models import WorkflowRun


def test_dashboard_shows_svg_charts_without_script(as_member, make_workflow, make_delivery):
    # Given a workflow with a delivery and a run
    workflow = make_workflow(name="Post-shipment survey")
    make_delivery(status="processed")
    WorkflowRun.objects.create(workflow=workflow, status="succeeded")

    # When the home page is opened
    html = check_page(as_member.get("/"))

    # Then each series is an inline SVG chart, with no script and nothing loaded from elsewhere
    for series in stats.DAILY_SERIES:
        chart = re.search(rf'id="chart-{series.key}">\s*(<svg.*?</svg>)', html, re.S)
        assert chart, series.key
        assert series.title in chart[1]
    assert "<script" not in html and "<?xml" not in html
    assert not re.search(r'(?:href|src)="https?://', html)
    # And the table has the workflow's figures, and the workflows list is a click away
    assert 'id="workflow-stats-' in html and "Post-shipment survey" in html
    assert f'href="{reverse("workflows:list")}"' in html


def test_dashboard_shows_only_the_accounts_data(as_member, make_workflow, other_workflow):
    # Given a workflow in each account
    make_workflow(name="Ours")

    # When a member opens the dashboard
    html = as_member.get("/").content.decode()

    # Then only their account's workflow is in it
    assert "Ours" in html and other_workflow.name not in html


def test_problems_each_with_its_fix(
    as_manager, account, auth, make_workflow, make_delivery, settings
):
    # Given a hook that is not registered, an authentication that fails, dead deliveries,
    # and a workflow failing more often than the threshold
    settings.ALERT_FAILURE_MIN_RUNS = 2
    workflow = make_workflow(name="Flaky")
    sub = workflow.authentication.subscriptions.get(event=workflow.event)
    sub.status, sub.status_detail = SubscriptionStatus.ERROR, "BigCommerce said 500"
    sub.save()
    auth.status, auth.status_detail = "failed", "The access token was rejected (401)."
    auth.save()
    make_delivery(status="dead")
    for _ in range(2):
        WorkflowRun.objects.create(workflow=workflow, status="failed")

    # When the manager opens the dashboard
    html = check_page(as_manager.get("/"))

    # Then each problem is listed with the action that fixes it
    assert reverse("workflows:subscription-repair", args=[sub.pk]) in html
    assert "BigCommerce said 500" in html
    assert reverse("authentications:rotate", args=[auth.pk]) in html
    assert reverse("authentications:verify", args=[auth.pk]) in html
    assert "1 delivery died" in html
    assert f'action="{reverse("workflows:deliveries-replay")}"' in html
    assert f"status=failed&amp;workflow={workflow.pk}" in html


def test_a_member_sees_problems_but_no_fix_buttons(as_member, auth):
    # Given a failing authentication
    auth.status = "failed"
    auth.save()

    # When a member without the permission opens the dashboard
    html = as_member.get("/").content.decode()

    # Then the problem is shown, and who can fix it, without the buttons
    assert "BigCommerce refuses an authentication" in html
    assert "An Integration Manager can fix this" in html
    assert reverse("authentications:verify", args=[auth.pk]) not in html


def test_dashboard_for_a_user_of_no_account(client, superuser):
    client.force_login(superuser)
    html = client.get("/").content.decode()
    assert "belongs to no account" in html


def test_dashboard_queries_do_not_grow_with_workflows(
    as_manager, make_workflow, django_assert_max_num_queries
):
    # Given the dashboard's queries with one workflow
    make_workflow(name="First")
    baseline = count_queries(as_manager, "/")

    # When there are many more workflows with runs and deliveries
    for i in range(15):
        WorkflowRun.objects.create(workflow=make_workflow(name=f"W{i}"), status="failed")

    # Then the page needs no more queries
    with django_assert_max_num_queries(baseline):
        assert as_manager.get("/").status_code == 200


@pytest.mark.parametrize("days", ["0", "366", "-3", "abc", "1.5"])
def test_stats_api_refuses_days_out_of_range(api_client, member, days):
    api_client.force_authenticate(member)
    response = api_client.get("/api/v1/stats/", {"days": days})
    assert response.status_code == 400
    assert "days" in response.json()


def test_stats_api_answers_the_dashboard_figures(api_client, member, make_workflow, other_workflow):
    # Given a workflow with a run today, and another account's workflow
    workflow = make_workflow(name="Ours")
    WorkflowRun.objects.create(workflow=workflow, status="succeeded")
    api_client.force_authenticate(member)

    # When a week is asked for
    body = api_client.get("/api/v1/stats/", {"days": 7}).json()

    # Then there are seven days, each series, and only the account's workflows
    assert body["days"] == 7 and len(body["dates"]) == 7
    assert [s["key"] for s in body["series"]] == [s.key for s in stats.DAILY_SERIES]
    runs = next(s for s in body["series"] if s["key"] == "runs")
    succeeded = next(line for line in runs["lines"] if line["key"] == "succeeded")
    assert succeeded["values"][-1] == 1 and len(succeeded["values"]) == 7
    assert [w["name"] for w in body["workflows"]] == ["Ours"]
    assert api_client.get("/api/v1/stats/").json()["days"] == 30


def test_stats_api_needs_a_signed_in_user(api_client):
    assert api_client.get("/api/v1/stats/").status_code == 403
