"""The run page: status, merge data in event order, step log, error, retry."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import INTEGRATION_MANAGER_MESSAGE
from integrations.events import get_event
from tests.html import check_page
from workflows.models import StepResult

pytestmark = pytest.mark.django_db


def run_url(run):
    return reverse("workflows:run", args=[run.pk])


def test_run_page_shows_merge_data_in_event_order_and_step_log(as_member, run):
    response = as_member.get(run_url(run))
    html = check_page(response)
    codes = get_event("shipment_created").merge_codes
    assert [code for code, _v, _t in response.context["merge_data"]] == list(codes)
    positions = [html.index(f"[{code}]</code>") for code in codes]
    assert positions == sorted(positions)
    assert "Jane" in html  # sample customer's first name
    assert "Succeeded" in html and "Send email" in html
    assert "Test event: sent only to you" in html
    assert "Retry" not in html


def test_null_values_are_shown_as_null(as_member, workflow):
    from workflows.models import WorkflowRun

    run = WorkflowRun.objects.create(
        workflow=workflow,
        status="succeeded",
        merge_data={"BigCommerce | Customer | email": None, "BigCommerce | Order | id": 7},
    )
    html = as_member.get(run_url(run)).content.decode()
    assert '<span class="muted">null</span>' in html and ">7<" in html


def test_failed_run_shows_error_and_retry(
    as_manager, failed_run, django_capture_on_commit_callbacks, mailoutbox
):
    StepResult.objects.create(
        run=failed_run, position=0, type="send_email", status="failed", detail="Not sent: SMTP down"
    )
    html = check_page(as_manager.get(run_url(failed_run)))
    assert "Not sent: SMTP down" in html and "Retry from the failed step" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = as_manager.post(reverse("workflows:run-retry", args=[failed_run.pk]))
    assert response.url == run_url(failed_run)
    failed_run.refresh_from_db()
    assert (failed_run.status, failed_run.error) == ("succeeded", "")
    assert [m.to for m in mailoutbox] == [["jane@example.com"]]


def test_retry_of_a_run_that_did_not_fail_is_explained(as_manager, run):
    response = as_manager.post(reverse("workflows:run-retry", args=[run.pk]), follow=True)
    assert "Only failed runs can be retried" in response.content.decode()


def test_member_sees_no_retry_and_cannot_retry(as_member, failed_run):
    assert "Retry from the failed step" not in as_member.get(run_url(failed_run)).content.decode()
    response = as_member.post(reverse("workflows:run-retry", args=[failed_run.pk]))
    assert response.status_code == 403
    assert INTEGRATION_MANAGER_MESSAGE in response.content.decode()
    failed_run.refresh_from_db()
    assert failed_run.status == "failed"
