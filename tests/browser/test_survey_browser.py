"""A customer answers a survey on a phone in a real headless Chromium, with the keyboard only:
the score link from the email opens the page with the score chosen, the rest is answered by
Tab, arrow keys, Space and typing, and Enter sends it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from surveys.models import SurveyResponse
from tests.browser.conftest import OVERFLOW_JS, UNLABELLED_FIELDS_JS
from tests.factories import make_invitation, make_survey

pytestmark = pytest.mark.browser

QUESTIONS = [
    {
        "key": "nps",
        "kind": "nps",
        "text": "How likely are you to recommend us, [BigCommerce | Customer | first_name]?",
        "required": True,
    },
    {"key": "speed", "kind": "rating", "text": "How fast was the delivery?"},
    {
        "key": "extras",
        "kind": "multi_choice",
        "text": "What did you like?",
        "choices": ["Packaging", "Price"],
    },
    {"key": "comment", "kind": "text", "text": "What could we do better?"},
]


def test_a_customer_answers_with_the_keyboard_on_a_phone(phone, live_server, account, shot):
    cache.clear()  # the page's rate limit counts per address
    # Given Jane's invitation, and the score link "8" from her email
    survey = make_survey(account, questions=QUESTIONS, thank_you_text="Thank you, Jane!")
    _invitation, token = make_invitation(
        survey, merge_snapshot={"BigCommerce | Customer | first_name": "Jane"}
    )
    phone.goto(f"{live_server.url}/s/{token}/?score=8")

    # Then the page fits the phone, every field has a label, and 8 is chosen
    expect(
        phone.get_by_role("group", name="How likely are you to recommend us, Jane?")
    ).to_be_visible()
    assert phone.evaluate(OVERFLOW_JS) <= 0
    assert phone.evaluate(UNLABELLED_FIELDS_JS) == []
    expect(phone.get_by_role("radio", name="8", exact=True)).to_be_checked()
    shot(phone, "survey-1-score-clicked")

    # When she moves on with the keyboard: the score one up with an arrow key
    phone.get_by_role("radio", name="8", exact=True).focus()
    phone.keyboard.press("ArrowRight")
    expect(phone.get_by_role("radio", name="9", exact=True)).to_be_checked()
    # Tab to the rating, choose 4 with arrows
    phone.keyboard.press("Tab")
    phone.keyboard.press("ArrowRight")
    phone.keyboard.press("ArrowRight")
    phone.keyboard.press("ArrowRight")
    speed = phone.get_by_role("group", name="How fast was the delivery?")
    expect(speed.get_by_role("radio", name="4", exact=True)).to_be_checked()
    # Tab to the checkboxes: Space ticks "Packaging"
    phone.keyboard.press("Tab")
    phone.keyboard.press("Space")
    expect(phone.get_by_role("checkbox", name="Packaging")).to_be_checked()
    # Tab past "Price" to the comment, type, Tab to the button and press Enter
    phone.keyboard.press("Tab")
    phone.keyboard.press("Tab")
    phone.keyboard.type("Faster shipping")
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("button", name="Send my answers")).to_be_focused()
    shot(phone, "survey-2-answered")
    phone.keyboard.press("Enter")

    # Then she is thanked, and her answers are stored
    expect(phone.get_by_text("Thank you, Jane!")).to_be_visible()
    shot(phone, "survey-3-thanks")
    response = SurveyResponse.objects.get()
    assert response.answers == {
        "nps": 9,
        "speed": 4,
        "extras": ["Packaging"],
        "comment": "Faster shipping",
    }
    assert response.submitted_at is not None
