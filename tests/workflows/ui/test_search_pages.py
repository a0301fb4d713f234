"""The runs and deliveries pages: linked from every page, the search keeps what was typed,
says what is wrong (never a 500), pages through the results keeping the filters, and costs
the same queries however many rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.models import WebhookDelivery
from tests.html import check_page
from workflows.models import WorkflowRun
from workflows.ui import search

pytestmark = pytest.mark.django_db

RUNS = reverse("workflows:runs")
DELIVERIES = reverse("workflows:deliveries")


def rows(html: str, table: str) -> str:
    return (
        html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0] if f'id="{table}"' in html else ""
    )


def test_both_lists_are_in_the_navigation(as_member):
    html = as_member.get(reverse("workflows:list")).content.decode()
    assert f'href="{RUNS}"' in html and f'href="{DELIVERIES}"' in html


def test_runs_page_finds_a_customers_runs(as_member, make_workflow):
    # Given runs for two customers
    workflow = make_workflow("shipment_created", name="Survey")
    jane = WorkflowRun.objects.create(
        workflow=workflow, status="succeeded", order_id=101, customer_email="jane@example.com"
    )
    WorkflowRun.objects.create(
        workflow=workflow, status="failed", order_id=102, customer_email="bob@example.com"
    )

    # When a member searches by Jane's email, typed in capitals
    response = as_member.get(RUNS, {"customer_email": "JANE@example.com"})

    # Then only her run is listed, linked to its page, and the form kept what was typed
    html = check_page(response)
    table = rows(html, "runs")
    assert reverse("workflows:run", args=[jane.pk]) in table
    assert "bob@example.com" not in table and "101" in table
    assert 'value="JANE@example.com"' in html


def test_deliveries_page_filters_by_status_and_order(as_member, make_delivery, make_workflow):
    make_workflow("shipment_created")
    dead = make_delivery(status="dead", order_id=251)
    make_delivery(status="processed", order_id=251)
    make_delivery(status="dead", order_id=252)

    response = as_member.get(DELIVERIES, {"status": ["dead", "failed"], "order_id": "251"})

    html = check_page(response)
    table = rows(html, "deliveries")
    assert f'id="delivery-{dead.pk}"' in table
    assert table.count('<tr id="delivery-') == 1
    assert "Gave up after 6 attempts" in table  # why it died
    # The boxes ticked stay ticked
    assert re.search(r'<input type="checkbox" name="status" value="dead"[^>]* checked', html)
    assert not re.search(
        r'<input type="checkbox" name="status" value="processed"[^>]* checked', html
    )
    # A member (no Integration Manager permission) sees no replay button
    assert "Replay" not in table


@pytest.mark.parametrize("url", [RUNS, DELIVERIES])
@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"created_after": "31/01/2025"}, "Enter a date as YYYY-MM-DD"),
        ({"created_before": "2025-02-30"}, "Enter a date as YYYY-MM-DD"),
        ({"created_after": "2025-03-02", "created_before": "2025-03-01"}, "Must be later than"),
        ({"order_id": "12x"}, "Enter a whole number."),
        ({"order_id": "99999999999999999999999"}, "less than or equal to"),
        ({"workflow": "999999"}, "Select a valid choice."),
    ],
)
def test_bad_filters_say_what_is_wrong_and_keep_the_input(as_member, url, params, says):
    response = as_member.get(url, params)

    assert response.status_code == 200
    html = check_page(response)
    assert "Fix the filters below" in html and says in html
    for name, value in params.items():
        if name != "workflow":  # a choice list can only show its own choices
            assert f'value="{value}"' in html
    assert 'id="runs"' not in html and 'id="deliveries"' not in html


def test_pages_keep_the_filters(as_member, make_workflow, monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    workflow = make_workflow("shipment_created")
    for _ in range(5):
        WorkflowRun.objects.create(workflow=workflow, status="failed")
    WorkflowRun.objects.create(workflow=workflow, status="succeeded")

    html = as_member.get(RUNS, {"status": "failed", "page": 2}).content.decode()

    assert "Page 2 of 3 (5 found)" in html
    assert "?status=failed&amp;page=3" in html and "?status=failed&amp;page=1" in html


def test_another_accounts_rows_are_not_listed(client, other_member, make_workflow, make_delivery):
    # (a name no page shows otherwise: the menu has "Surveys")
    workflow = make_workflow("shipment_created", name="Our private flow")
    WorkflowRun.objects.create(workflow=workflow, status="failed", order_id=251)
    make_delivery(status="dead", order_id=251)
    client.force_login(other_member)

    for url in (RUNS, DELIVERIES):
        html = client.get(url, {"order_id": 251}).content.decode()
        assert "No " in html and "matches these filters" in html
        # Nor is our workflow offered as a choice
        assert workflow.name not in html


def test_list_pages_cost_the_same_queries_however_many_rows(
    as_manager, make_workflow, make_delivery, django_assert_max_num_queries
):
    workflow = make_workflow("shipment_created")

    def add(count):
        for i in range(count):
            delivery = make_delivery(status="dead" if i % 2 else "processed", order_id=251)
            WorkflowRun.objects.create(
                workflow=workflow, delivery=delivery, status="failed", order_id=251
            )
        WebhookDelivery.objects.update(received_at=datetime(2025, 5, 1, tzinfo=UTC))

    params = {"order_id": "251", "created_after": "2025-01-01", "workflow": workflow.pk}
    add(2)
    baseline = {}
    for url in (RUNS, DELIVERIES):
        with CaptureQueriesContext(connection) as ctx:
            assert as_manager.get(url, params).status_code == 200
        baseline[url] = len(ctx.captured_queries)
    add(30)
    for url in (RUNS, DELIVERIES):
        with django_assert_max_num_queries(baseline[url]):
            html = as_manager.get(url, params).content.decode()
        assert "32 found" in html
