"""The web UI in a real headless Chromium: the wizard, the permission message, a test event,
form errors keeping input, phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import INTEGRATION_MANAGER_MESSAGE
from integrations.events import get_event
from tests.browser.conftest import OVERFLOW_JS, UNLABELLED_FIELDS_JS
from tests.factories import STANDIN_STORE as STORE
from tests.factories import create_workflow
from workflows import services
from workflows.models import Workflow

pytestmark = pytest.mark.browser

SUBJECT_TAG = "[BigCommerce | Customer | first_name]"


def assert_tidy(page):
    assert page.evaluate(UNLABELLED_FIELDS_JS) == [], page.url


@pytest.fixture
def workflow(standin_auth, manager, account):
    return create_workflow(
        steps=[], account=account, created_by=manager, authentication=standin_auth
    )


def test_wizard_creates_a_workflow_with_a_new_authentication(
    page, live_server, live_standin, store_token, manager, login, shot
):
    login(page, manager)
    page.get_by_role("link", name="Create a new Workflow").first.click()
    page.get_by_label("Workflow name").fill("Feedback after shipment")
    assert_tidy(page)
    shot(page, "wizard-1-name")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Select an initiator")).to_be_visible()
    shot(page, "wizard-2-initiator")
    page.get_by_role("button", name="Select BigCommerce").click()

    expect(page.get_by_text("A store created a shipment", exact=False)).to_have_count(0)
    page.get_by_label(re.compile("Shipment Created")).check()
    assert_tidy(page)
    shot(page, "wizard-3-event")
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="BigCommerce · Shipment Created")).to_be_visible()
    # the brief's 104 codes, then the shipment, order products and store groups
    codes = get_event("shipment_created").merge_codes
    expect(page.locator(".code-groups code")).to_have_count(len(codes))
    shot(page, "wizard-4-overview")
    page.get_by_role("link", name="Next").click()

    expect(page.get_by_text("A store-level API account is recommended.")).to_be_visible()
    expect(page.get_by_text("Settings › Store-level API accounts")).to_be_visible()
    page.get_by_label("Client ID").fill("standin-client-id")
    page.get_by_label("Access Token").fill(store_token)
    page.get_by_label("Store Hash").fill(STORE)
    assert_tidy(page)
    shot(page, "wizard-5-authentication")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("saved as a draft")).to_be_visible()
    workflow = Workflow.objects.get()
    assert page.url == f"{live_server.url}/workflows/{workflow.pk}/"
    assert (workflow.name, workflow.event, workflow.status) == (
        "Feedback after shipment",
        "shipment_created",
        "draft",
    )
    assert workflow.authentication.store_name == f"BigCommerce Stand-in ({STORE})"
    expect(page.locator("h1 .badge")).to_have_text("Draft")
    shot(page, "workflow-draft")

    # Activating registers the webhook with the stand-in ("BigCommerce").
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("#subscription-status")).to_have_text("Registered")
    assert [h["scope"] for h in live_standin.hooks(STORE)] == ["store/shipment/created"]


def test_member_without_permission_sees_the_message(page, member, login, shot):
    login(page, member)
    page.get_by_role("link", name="Create a new Workflow").first.click()
    page.get_by_label("Workflow name").fill("Not allowed")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Select BigCommerce").click()
    message = page.locator("#permission-message")
    expect(message).to_contain_text(INTEGRATION_MANAGER_MESSAGE)
    expect(page.get_by_role("heading", name="Select an initiator")).to_be_visible()
    assert page.url.endswith("/workflows/new/initiator/")
    shot(page, "permission-message")
    assert not Workflow.objects.exists()


def test_test_event_shows_a_run_with_merge_data(page, live_server, workflow, manager, login, shot):
    login(page, manager)
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/")
    page.get_by_role("link", name="+ Send email").click()
    insert = page.get_by_role("button", name="Insert at cursor")
    expect(insert).to_be_visible()  # shown by the script: the picker is live
    page.get_by_label("To", exact=True).fill("[BigCommerce | Customer | email]")
    subject = page.get_by_label("Subject")
    subject.fill("Thanks, ")
    # The merge-code picker inserts at the cursor of the field last focused.
    page.get_by_label("Merge code", exact=True).select_option(SUBJECT_TAG)
    insert.click()
    expect(subject).to_have_value(f"Thanks, {SUBJECT_TAG}")
    page.get_by_label("Body", exact=True).fill("How was order [BigCommerce | Order | id]?")
    assert_tidy(page)
    shot(page, "step-editor")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_text("Step saved.")).to_be_visible()
    expect(page.locator("ol.steps")).to_contain_text(f"Thanks, {SUBJECT_TAG}")

    page.get_by_role("button", name="Send test event").click()
    expect(page.locator("#run-status")).to_have_text("Succeeded")
    merge_data = page.locator("#merge-data")
    expect(merge_data).to_contain_text("[BigCommerce | Customer | first_name]")
    row = merge_data.locator("tr", has_text="[BigCommerce | Customer | first_name]")
    expect(row.locator("td")).to_have_text("Jane")
    expect(page.locator("#step-log")).to_contain_text("Test event: sent only to you")
    shot(page, "run-page")
    shot(page, "run-page-top", full_page=False)


def test_form_errors_keep_input(page, live_server, live_standin, workflow, manager, login, shot):
    login(page, manager)
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/steps/add/send_email/")
    page.get_by_label("To", exact=True).fill("[BigCommerce | Customer | email]")
    page.get_by_label("Subject").fill("Hello [BigCommerce | Customer | firstname]")
    page.get_by_role("button", name="Save step").click()
    subject = page.get_by_label("Subject")
    expect(subject).to_have_value("Hello [BigCommerce | Customer | firstname]")
    expect(subject).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_step-subject_error")).to_contain_text(
        "did you mean [BigCommerce | Customer | first_name]"
    )
    expect(page.locator("#id_step-body_error")).to_contain_text("required")
    shot(page, "step-form-error")

    # A token BigCommerce refuses: said next to Access Token; other input kept, secrets not.
    page.goto(f"{live_server.url}/authentications/new/")
    page.get_by_label("Client ID").fill("some-client")
    page.get_by_label("Access Token").fill("wrong-token")
    page.get_by_label("Store Hash").fill(STORE)
    page.get_by_label("Name (optional)").fill("Second store")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_access_token_error")).to_contain_text("rejected the access token")
    expect(page.get_by_label("Store Hash")).to_have_value(STORE)
    expect(page.get_by_label("Name (optional)")).to_have_value("Second store")
    expect(page.get_by_label("Access Token")).to_have_value("")
    shot(page, "authentication-form-error")


def test_pages_fit_a_phone(phone, live_server, workflow, manager, login, shot):
    services.update_workflow(
        workflow,
        steps=[
            {
                "type": "condition",
                "config": {
                    "match": "all",
                    "rules": [
                        {
                            "merge_code": "BigCommerce | Order | total_inc_tax",
                            "operator": "gt",
                            "value": "50",
                        }
                    ],
                },
            },
            {
                "type": "send_email",
                "config": {
                    "to": "[BigCommerce | Customer | email]",
                    "subject": f"Hi {SUBJECT_TAG}",
                    "body": "Thanks!",
                    "format": "text",
                },
            },
        ],
    )
    run = services.run_test_event(workflow, manager)
    login(phone, manager)
    pages = {
        "phone-workflow-list": "/workflows/",
        "phone-workflow": f"/workflows/{workflow.pk}/",
        "phone-step-condition": f"/workflows/{workflow.pk}/steps/0/edit/",
        "phone-run": f"/runs/{run.pk}/",
        "phone-authentications": "/authentications/",
        "phone-authentication-new": "/authentications/new/",
        "phone-api-token": "/account/api-token/",
        "phone-wizard-name": "/workflows/new/",
    }
    for name, path in pages.items():
        phone.goto(live_server.url + path)
        assert phone.evaluate(OVERFLOW_JS) <= 0, f"{path} scrolls horizontally"
        assert_tidy(phone)
        shot(phone, name)
        shot(phone, f"{name}-top", full_page=False)
    phone.goto(f"{live_server.url}/workflows/{workflow.pk}/steps/0/edit/")
    shot(phone.locator("#step-form"), "phone-step-condition-form", full_page=None)
    phone.goto(f"{live_server.url}/workflows/new/")
    # The rest of the wizard, too.
    phone.get_by_label("Workflow name").fill("Phone flow")
    phone.get_by_role("button", name="Next").click()
    phone.get_by_role("button", name="Select BigCommerce").click()
    phone.get_by_label(re.compile("Cart Converted")).check()
    phone.get_by_role("button", name="Next").click()
    assert phone.evaluate(OVERFLOW_JS) <= 0
    shot(phone, "phone-wizard-overview")
    phone.get_by_role("link", name="Next").click()
    assert phone.evaluate(OVERFLOW_JS) <= 0
    assert_tidy(phone)
    shot(phone, "phone-wizard-authentication")


def test_the_merge_code_picker_searches_and_inserts_a_formatted_code(
    page, live_server, workflow, manager, login
):
    # given the form to add an email step to a shipment workflow
    login(page, manager)
    page.goto(f"{live_server.url}/workflows/{workflow.pk}/")
    page.get_by_role("link", name="+ Send email").click()
    body = page.get_by_label("Body", exact=True)
    body.fill("Total: ")
    # when searching the codes, picking the order total and the money format
    page.get_by_label("Search codes").fill("total inc")
    picker = page.get_by_label("Merge code", exact=True)
    picker.select_option("[BigCommerce | Order | total_inc_tax]")
    page.get_by_label("Format", exact=True).select_option("money")
    # then the picker shows the code's (sample) value, and inserts the formatted tag
    expect(page.locator("[data-merge-picked]")).to_contain_text("69.8400 (sample)")
    page.get_by_role("button", name="Insert at cursor").click()
    expect(body).to_have_value("Total: [BigCommerce | Order | total_inc_tax | money]")
    # and codes that don't match the search are hidden
    assert picker.locator("option[hidden]").count() > 100
