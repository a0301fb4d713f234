"""The public response page /s/{token}/ facing the internet: wrong, expired and reused tokens
get a clear page (never a 500, never someone else's survey); hostile bodies a clear error;
CSRF, the rate limit, one response per invitation, no third-party assets."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from surveys import services
from surveys.models import SurveyResponse
from tests.factories import make_invitation, make_survey

pytestmark = pytest.mark.django_db

NAME = "BigCommerce | Customer | first_name"
CHOICES = [
    {"key": "nps", "kind": "nps", "text": "Recommend us, [BigCommerce | Customer | first_name]?"},
    {"key": "speed", "kind": "rating", "text": "Delivery speed?", "required": True},
    {"key": "colour", "kind": "choice", "text": "Colour?", "choices": ["Red", "Blue"]},
    {"key": "extras", "kind": "multi_choice", "text": "Extras?", "choices": ["Gift", "Wrap"]},
    {"key": "again", "kind": "yes_no", "text": "Buy again?"},
    {"key": "comment", "kind": "text", "text": "Anything else?"},
]
GOOD = {"q-nps": "7", "q-speed": "4", "q-colour": "Red", "q-extras": ["Gift", "Wrap"]}


@pytest.fixture
def survey(account):  # the survey of these tests (not conftest's workflow fixture)
    return make_survey(account, questions=CHOICES, thank_you_text=f"Thanks, [{NAME}]!")


@pytest.fixture
def invited(survey):
    """Ann's invitation: (path of her page, invitation)."""
    invitation, token = make_invitation(survey, "ann@example.com", merge_snapshot={NAME: "Ann"})
    return f"/s/{token}/", invitation


def test_a_good_answer_is_stored_and_thanked(client, invited):
    path, invitation = invited
    response = client.post(path, {**GOOD, "q-again": "yes", "q-comment": " Lovely "})
    assert response.status_code == 302 and response["Location"] == path + "?thanks=1"
    assert "Thanks, Ann!" in client.get(response["Location"]).content.decode()
    stored = SurveyResponse.objects.get(invitation=invitation)
    assert stored.answers == {
        "nps": 7,
        "speed": 4,
        "colour": "Red",
        "extras": ["Gift", "Wrap"],
        "again": "yes",
        "comment": "Lovely",
    }
    assert (stored.score, stored.outcome) == (7, "passive")


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "A" * 43,  # the right shape, but no invitation has it
        "A" * 10_000,
        "%00" * 10,
        "ÄÖÜ" * 15,
    ],
)
def test_a_wrong_token_gets_a_clear_404_page(client, invited, token):
    response = client.get(f"/s/{token}/")
    assert response.status_code == 404
    assert "This survey link is not valid" in response.content.decode()
    assert "Recommend us" not in response.content.decode()


def test_each_token_shows_only_its_own_survey(client, survey, account):
    # Given two customers' invitations, to two surveys
    other = make_survey(
        account,
        name="Other",
        questions=[{"key": "q", "kind": "text", "text": "Secret question of the other survey"}],
    )
    _ann, ann_token = make_invitation(survey, merge_snapshot={NAME: "Ann"})
    _bob, bob_token = make_invitation(other, merge_snapshot={NAME: "Bob"})
    ann_page = client.get(f"/s/{ann_token}/").content.decode()
    bob_page = client.get(f"/s/{bob_token}/").content.decode()
    assert "Recommend us, Ann?" in ann_page and "Secret question" not in ann_page
    assert "Secret question" in bob_page and "Ann" not in bob_page


def test_an_expired_invitation_gets_a_410_page(client, survey):
    _invitation, token = make_invitation(survey, days=-1)
    response = client.get(f"/s/{token}/")
    assert response.status_code == 410
    assert "This survey has closed" in response.content.decode()
    assert client.post(f"/s/{token}/", GOOD).status_code == 410
    assert not SurveyResponse.objects.exists()


def test_one_response_editable_for_a_day_then_closed(client, invited, time_machine):
    path, invitation = invited
    time_machine.move_to(timezone.now(), tick=False)
    # Given Ann answered
    assert client.post(path, GOOD).status_code == 302
    # When she changes her answer within the day, the one response is updated
    page = client.get(path).content.decode()
    assert "You can change them until" in page
    assert client.post(path, {**GOOD, "q-nps": "10"}).status_code == 302
    assert SurveyResponse.objects.get().answers["nps"] == 10
    # When the day has passed, the link is closed and changes nothing
    time_machine.shift(timedelta(days=1, seconds=1))
    response = client.post(path, {**GOOD, "q-nps": "0"})
    assert response.status_code == 410
    assert "your answers were received" in response.content.decode()
    assert SurveyResponse.objects.count() == 1 and SurveyResponse.objects.get().score == 10


def test_a_post_without_the_csrf_token_is_refused(invited):
    path, _invitation = invited
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(path, GOOD).status_code == 403
    # The page itself gives the browser its token
    page = strict.get(path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert strict.post(path, {**GOOD, "csrfmiddlewaretoken": token.group(1)}).status_code == 302


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**GOOD, "q-nps": "11"}, "Please pick a number from 0 to 10."),
        ({**GOOD, "q-nps": "-1"}, "Please pick a number from 0 to 10."),
        ({**GOOD, "q-nps": "9.5"}, "Please pick a number from 0 to 10."),
        ({**GOOD, "q-nps": "٣"}, "Please pick a number from 0 to 10."),  # a non-ASCII digit
        ({**GOOD, "q-speed": "0"}, "Please pick a number from 1 to 5."),
        ({**GOOD, "q-colour": "Green"}, "Please pick one of the options shown."),
        ({**GOOD, "q-extras": ["Gift", "Bomb"]}, "Please pick from the options shown."),
        ({**GOOD, "q-again": "maybe"}, "Please answer yes or no."),
        ({**GOOD, "q-comment": "x" * 5001}, "Please keep this under 5000 characters."),
        ({"q-nps": "3"}, "Please answer this question."),  # speed is required
    ],
)
def test_bad_answers_get_a_clear_error_and_keep_the_input(client, invited, body, message):
    path, _invitation = invited
    response = client.post(path, body)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "Please check the answers marked below." in page
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {**GOOD, "q-admin": "1"},  # a question the survey does not ask
        {**GOOD, "q-nps": ["1", "2"]},  # one answer sent twice
        {**GOOD, "q-extras": ["Gift", "Gift"]},
        {"answers": "all of them"},
    ],
)
def test_a_form_our_page_never_makes_is_refused(client, invited, body):
    path, _invitation = invited
    response = client.post(path, body)
    assert response.status_code == 400
    assert "Please answer the survey with its form." in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_json_or_huge_body_is_refused(client, invited):
    path, _invitation = invited
    response = client.post(path, '{"q-nps": 9}', content_type="application/json")
    assert response.status_code == 400
    response = client.post(path, {**GOOD, "q-comment": "x" * 70_000})
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("score", ["99", "-3", "nine", "", "9" * 10_000])
def test_a_bad_score_link_stores_nothing(client, invited, score):
    path, _invitation = invited
    response = client.get(path, {"score": score})
    assert response.status_code in (200, 400)
    assert not SurveyResponse.objects.exists()


def test_a_score_link_starts_a_partial_response_and_another_click_changes_it(client, invited):
    path, _invitation = invited
    assert client.get(path, {"score": "3"}).status_code == 200
    assert client.get(path, {"score": "9"}).status_code == 200
    response = SurveyResponse.objects.get()
    assert (response.answers, response.score, response.submitted_at) == ({"nps": 9}, 9, None)


def test_too_many_requests_from_one_address_get_429(client, invited, settings):
    settings.SURVEY_PAGE_RATE_LIMIT = 3
    path, _invitation = invited
    statuses = [client.get(path).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_page_uses_no_third_party_assets_and_labels_every_input(client, invited):
    path, _invitation = invited
    response = client.get(path)
    page = response.content.decode()
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "same-origin"
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert url.startswith("/"), url
    inputs = re.findall(r'<(?:input|textarea)[^>]*\sid="([^"]+)"', page)
    labels = set(re.findall(r'<label[^>]*\sfor="([^"]+)"', page))
    assert inputs and set(inputs) <= labels
    assert page.count("<fieldset") == 5 and page.count("<legend>") == 5


def test_the_page_costs_one_query_once_its_questions_are_known(
    client, invited, django_assert_num_queries
):
    path, invitation = invited
    client.get(path)  # a first visit reads the questions too
    # When the page is shown again: the invitation, with its survey and response
    with django_assert_num_queries(1):
        assert client.get(path).status_code == 200
    # When the survey's questions change, the page shows the new ones at once
    services.update_survey(
        invitation.survey, questions=[{"key": "new", "kind": "text", "text": "A new question?"}]
    )
    page = client.get(path).content.decode()
    assert "A new question?" in page and "Recommend us" not in page


def test_answering_costs_a_fixed_number_of_queries(client, invited, django_assert_num_queries):
    # Given a page already shown once (its questions known)
    path, invitation = invited
    client.get(path)
    # When a score link is clicked: the invitation (with its survey and response), then the
    # partial response saved in a transaction; no column is read late
    with django_assert_num_queries(6):
        assert client.get(path + "?score=9").status_code == 200
    # When the answers are submitted: the invitation, then the response updated and submitted
    # and the invitation closed, in a transaction
    with django_assert_num_queries(6):
        assert client.post(path, GOOD).status_code == 302
    stored = SurveyResponse.objects.get(invitation=invitation)
    assert stored.submitted_at is not None and stored.email == "ann@example.com"


def test_options_and_texts_are_escaped(client, account):
    # Given a survey whose option and question texts look like HTML
    hostile = make_survey(
        account,
        questions=[
            {"key": "c", "kind": "choice", "text": "<b>Pick</b>", "choices": ['"><script>x', "ok"]}
        ],
    )
    _invitation, token = make_invitation(hostile)
    page = client.get(f"/s/{token}/").content.decode()
    # Then they are shown as text, never as markup
    assert "<script>" not in page and "<b>Pick" not in page
    assert "&quot;&gt;&lt;script&gt;x" in page and "&lt;b&gt;Pick&lt;/b&gt;" in page
