"""HTML email in a real headless Chromium: the preview in the step editor (guest sample data),
and the run page's sent email, shown in a sandboxed frame where no script runs — even one
planted in the stored email itself."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import OVERFLOW_JS
from workflows.models import SentMessage, Step, StepResult, WorkflowRun

pytestmark = pytest.mark.browser

HTML_EMAIL = {
    "to": "[BigCommerce | Customer | email] or [BigCommerce | Order | billing_address | email]",
    "subject": "Your order [BigCommerce | Order | id]",
    "body": "<h1>Hi [BigCommerce | Customer | first_name | default:there]!</h1>"
    "<p>Thanks for your order.</p>",
    "format": "html",
}
PLANTED = (
    "<!DOCTYPE html><html><body><p>Planted email</p>"
    "<script>window.top.document.title = 'pwned'; window.top.__pwned = 1;</script>"
    '<img src=x onerror="window.top.__pwned = 2"></body></html>'
)


def test_preview_in_the_step_editor_then_the_sent_email_on_the_run_page(
    page, phone, live_server, workflow, manager, login, shot
):
    # Given a workflow whose email step is HTML
    Step.objects.filter(workflow=workflow).update(config=HTML_EMAIL)
    login(page, manager)

    # When the manager edits it and previews it on a guest checkout
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/steps/0/edit/")
    page.get_by_label("Preview with").select_option(label="Sample data: a guest checkout")
    page.get_by_role("button", name="Preview email").click()

    # Then the email shows in a frame, in the layout, with the guest's default greeting
    expect(page.locator("#preview-data")).to_contain_text("a guest checkout")
    email = page.frame_locator("#email-preview iframe")
    expect(email.get_by_role("heading", name="Hi there!")).to_be_visible()
    expect(email.get_by_text("BigCommerce", exact=True)).to_be_visible()  # the store's name
    expect(page.locator("#preview-subject")).to_have_text("Your order 218")
    expect(page.get_by_label("Subject")).to_have_value(HTML_EMAIL["subject"])  # input kept
    shot(page, "email-preview")

    # When a test event is sent on the registered customer's sample
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/")
    page.get_by_role("button", name="Send test event").click()

    # Then the run page shows the email sent, in its frame
    expect(page.locator("#run-status")).to_have_text("Succeeded")
    sent = page.frame_locator("#sent-messages iframe")
    expect(sent.get_by_role("heading", name="Hi Jane!")).to_be_visible()
    shot(page, "run-sent-email")

    # And on a phone the email fits the screen (the layout is fluid)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(page.url)
    frame = phone.frame_locator("#sent-messages iframe")
    expect(frame.get_by_role("heading", name="Hi Jane!")).to_be_visible()
    assert phone.evaluate(OVERFLOW_JS) <= 0
    shot(phone, "run-sent-email-phone")


def test_a_script_in_a_stored_email_does_not_run_on_the_run_page(
    page, live_server, workflow, manager, login
):
    # Given a run whose stored email holds a script and an event handler
    run = WorkflowRun.objects.create(
        workflow=workflow, is_test=True, triggered_by=manager, status="succeeded"
    )
    StepResult.objects.create(run=run, position=0, type="send_email", status="succeeded")
    SentMessage.objects.create(
        run=run,
        position=0,
        to=["jane@example.com"],
        subject="Planted",
        text_body="Planted email",
        html_body=PLANTED,
        sent_at=timezone.now(),
    )
    login(page, manager)

    # When the run page is opened
    page.goto(f"{live_server.url}/runs/{run.pk}/")

    # Then the email shows, and neither its script nor its handler ran
    expect(page.frame_locator("#sent-messages iframe").get_by_text("Planted email")).to_be_visible()
    page.wait_for_timeout(300)  # time for an image error to fire, were it allowed to
    assert page.evaluate("() => window.__pwned") is None
    assert page.title() != "pwned"
