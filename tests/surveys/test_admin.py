"""The survey admin: an account admin edits their account's surveys, with the same rules as the
API and the pages; invitations and responses are read-only and never show the token."""

from __future__ import annotations

import pytest
from django.urls import reverse

from surveys.models import Survey
from tests.factories import make_invitation, make_survey

pytestmark = pytest.mark.django_db


def form(name="After delivery", questions=(), **more):
    data = {
        "name": name,
        "thank_you_text": "Thanks",
        "promoter_redirect_url": "",
        "passive_redirect_url": "",
        "detractor_redirect_url": "",
        "questions-TOTAL_FORMS": str(len(questions)),
        "questions-INITIAL_FORMS": "0",
        **more,
    }
    for i, (key, kind, text) in enumerate(questions):
        data.update(
            {
                f"questions-{i}-position": str(i),
                f"questions-{i}-key": key,
                f"questions-{i}-kind": kind,
                f"questions-{i}-text": text,
                f"questions-{i}-choices": "[]",
            }
        )
    return data


def test_an_account_admin_adds_a_survey_for_their_account(client, account_admin, account):
    client.force_login(account_admin)
    url = reverse("admin:surveys_survey_add")
    response = client.post(url, form(questions=[("nps", "nps", "Recommend us?")]))
    assert response.status_code == 302, response.content.decode()[:3000]
    survey = Survey.objects.get()
    assert survey.account == account and survey.questions.get().key == "nps"


def test_the_admin_applies_the_surveys_rules(client, account_admin):
    client.force_login(account_admin)
    url = reverse("admin:surveys_survey_add")
    bad = form(questions=[("score", "nps", "?")], promoter_redirect_url="javascript:alert(1)")
    response = client.post(url, bad)
    page = response.content.decode()
    assert response.status_code == 200
    assert "names a survey code already" in page and "must start with https://" in page
    assert not Survey.objects.exists()


def test_the_invitation_page_never_shows_the_token(client, account_admin, account):
    invitation, token = make_invitation(make_survey(account))
    client.force_login(account_admin)
    page = client.get(reverse("admin:surveys_invitation_change", args=[invitation.pk]))
    assert page.status_code == 200 and token not in page.content.decode()
    assert invitation.token_hash not in page.content.decode()
