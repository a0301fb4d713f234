"""Customer-safe sending in a real headless Chromium: a customer unsubscribes from the link in
an email; a manager finds the address on the suppression list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OVERFLOW_JS
from workflows.models import Suppression
from workflows.sending import unsubscribe

pytestmark = pytest.mark.browser


def test_a_customer_unsubscribes_and_the_manager_sees_it(
    page, phone, live_server, settings, account, manager, login, shot
):
    # Given a customer email's unsubscribe link, opened on a phone
    settings.PUBLIC_BASE_URL = live_server.url
    link = unsubscribe.url_for(account.pk, "jane.smith@example.com")
    phone.goto(link)
    expect(phone.get_by_text("Stop emails from Acme T-Shirts to j***@e***.com?")).to_be_visible()
    assert phone.evaluate(OVERFLOW_JS) <= 0  # no sideways scrolling
    shot(phone, "unsubscribe-1-confirm")
    # When they press the button
    phone.get_by_role("button", name="Unsubscribe").click()
    # Then they are told, and the address is suppressed
    expect(phone.get_by_role("heading", name="You're unsubscribed")).to_be_visible()
    shot(phone, "unsubscribe-2-done")
    assert Suppression.objects.get().reason == "unsubscribed"
    # And the manager finds it on the Customer emails page
    login(page, manager)
    page.get_by_role("link", name="Customer emails").click()
    page.get_by_label("Search").fill("jane")
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has_text="jane.smith@example.com")
    expect(row).to_contain_text("Unsubscribed")
    expect(row).to_contain_text("unsubscribe link")
    shot(page, "customer-emails")
