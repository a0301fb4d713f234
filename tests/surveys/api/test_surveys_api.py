"""Surveys over the REST API: account-scoped CRUD with ordered questions, the Integration
Manager permission for writes, clear 400s, and a 409 for a survey a workflow uses; a
workflow's survey_invite step may only name its own account's survey."""

from __future__ import annotations

import pytest

from surveys.models import Survey
from tests.factories import make_survey, workflow_body
from tests.surveys.conftest import INVITE

pytestmark = pytest.mark.django_db
URL = "/api/v1/surveys/"
BODY = {
    "name": "After delivery",
    "thank_you_text": "Thanks!",
    "promoter_redirect_url": "https://reviews.example.com/?order=[BigCommerce | Order | id]",
    "questions": [
        {"key": "nps", "kind": "nps", "text": "Recommend us?", "required": True},
        {"key": "size", "kind": "choice", "text": "Size?", "choices": ["S", "M", "L"]},
        {"key": "comment", "kind": "text", "text": "Tell us more, [Store | name]"},
    ],
}


def test_create_read_update_and_delete(api_client, manager):
    api_client.force_authenticate(manager)
    # When a manager creates a survey
    created = api_client.post(URL, BODY, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert [q["key"] for q in data["questions"]] == ["nps", "size", "comment"]
    assert data["questions"][1]["choices"] == ["S", "M", "L"]
    assert data["created_by"] == manager.username
    url = f"{URL}{data['id']}/"
    # Then it is listed and read back
    assert [s["name"] for s in api_client.get(URL).json()["results"]] == ["After delivery"]
    assert api_client.get(url).json()["questions"][0]["required"] is True
    # When its questions are replaced (reordered, one dropped)
    patched = api_client.patch(
        url, {"questions": [BODY["questions"][2], BODY["questions"][0]]}, format="json"
    )
    assert patched.status_code == 200, patched.json()
    assert [q["key"] for q in patched.json()["questions"]] == ["comment", "nps"]
    assert patched.json()["name"] == "After delivery"  # untouched
    # When it is deleted, it is gone
    assert api_client.delete(url).status_code == 204
    assert not Survey.objects.exists()


def test_another_accounts_survey_is_not_found(api_client, other_member, account):
    survey = make_survey(account)
    api_client.force_authenticate(other_member)
    assert api_client.get(URL).json()["results"] == []
    for method in ("get", "patch", "delete"):
        response = getattr(api_client, method)(f"{URL}{survey.pk}/", {}, format="json")
        assert response.status_code == 404
    assert Survey.objects.filter(pk=survey.pk).exists()


def test_a_member_may_read_but_not_write(api_client, member, account):
    survey = make_survey(account)
    api_client.force_authenticate(member)
    assert api_client.get(f"{URL}{survey.pk}/").status_code == 200
    response = api_client.post(URL, BODY, format="json")
    assert response.status_code == 403 and "Integration Manager" in response.json()["detail"]
    assert api_client.delete(f"{URL}{survey.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "may not be blank"),
        ({"questions": []}, "questions", "at least one question"),
        ({"questions": [{"key": "nps", "kind": "stars", "text": "?"}]}, "questions", "stars"),
        (
            {"questions": [{"key": "Bad-Key", "kind": "text", "text": "?"}]},
            "questions",
            "Question 1 · key: a short name",
        ),
        (
            {"questions": [{"key": "score", "kind": "nps", "text": "?"}]},
            "questions",
            "names a survey code already",
        ),
        (
            {"questions": [BODY["questions"][0], BODY["questions"][0]]},
            "questions",
            "'nps' is used twice",
        ),
        (
            {"questions": [{"key": "c", "kind": "choice", "text": "?", "choices": ["Only"]}]},
            "questions",
            "a list of 2 to 20 options",
        ),
        (
            {"questions": [{"key": "n", "kind": "nps", "text": "?", "choices": ["a", "b"]}]},
            "questions",
            "only choice and multi_choice questions have choices",
        ),
        (
            {"questions": [{"key": "n", "kind": "nps", "text": "[BigCommerce | Nope | x]"}]},
            "questions",
            "unknown merge code(s): [BigCommerce | Nope | x]",
        ),
        ({"promoter_redirect_url": "javascript:alert(1)"}, "promoter_redirect_url", "https://"),
        (
            {"promoter_redirect_url": "https://[BigCommerce | Order | id].evil.example"},
            "promoter_redirect_url",
            "merge codes may follow the host",
        ),
        ({"questions": "nps"}, "questions", "list"),
        (
            {"questions": [{"key": "n", "kind": "nps", "text": "?", "required": "perhaps"}]},
            "questions",
            "valid boolean",
        ),
    ],
)
def test_bad_bodies_get_a_clear_400(api_client, manager, change, field, message):
    api_client.force_authenticate(manager)
    response = api_client.post(URL, {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert not Survey.objects.exists()


def test_a_survey_a_workflow_uses_cannot_be_deleted(api_client, manager, account, auth):
    # Given a workflow that invites to the survey
    survey = make_survey(account)
    api_client.force_authenticate(manager)
    step = {"type": "survey_invite", "config": {**INVITE, "survey": survey.pk}}
    created = api_client.post(
        "/api/v1/workflows/", workflow_body(auth, steps=[step]), format="json"
    )
    assert created.status_code == 201, created.json()
    # When the survey is deleted
    response = api_client.delete(f"{URL}{survey.pk}/")
    # Then it is refused, naming the workflow
    assert response.status_code == 409
    assert response.json()["workflows"] == ["Post-shipment survey"]
    assert Survey.objects.filter(pk=survey.pk).exists()


def test_a_workflow_may_not_invite_to_another_accounts_survey(
    api_client, manager, auth, other_account
):
    theirs = make_survey(other_account)
    api_client.force_authenticate(manager)
    step = {"type": "survey_invite", "config": {**INVITE, "survey": theirs.pk}}
    response = api_client.post(
        "/api/v1/workflows/", workflow_body(auth, steps=[step]), format="json"
    )
    assert response.status_code == 400
    assert f"no survey #{theirs.pk} in your account" in str(response.json()["steps"])


@pytest.mark.parametrize(
    ("config", "field", "message"),
    [
        ({"body": "No link here"}, "body", "must contain [Survey | link]"),
        ({"reminder_days": [1, 2, 3]}, "reminder_days", "at most 2"),
        ({"reminder_days": [0]}, "reminder_days", "from 1 to 60"),
        ({"wait_days": 40, "expiry_days": 30}, "wait_days", "longer than the invitation"),
        ({"expiry_days": "30"}, "expiry_days", "whole number"),
        ({"survey": None}, "survey", "required"),
    ],
)
def test_bad_invitation_steps_get_a_clear_400(
    api_client, manager, auth, account, config, field, message
):
    survey = make_survey(account)
    api_client.force_authenticate(manager)
    step = {"type": "survey_invite", "config": {**INVITE, "survey": survey.pk, **config}}
    response = api_client.post(
        "/api/v1/workflows/", workflow_body(auth, steps=[step]), format="json"
    )
    assert response.status_code == 400
    assert message in str(response.json()["steps"])
