"""The survey pages: a manager creates a survey with ordered questions, edits and reorders
them, sees clear errors, deletes it; a member only looks; a survey step is added in the
workflow's steps editor, offering only the account's own surveys."""

from __future__ import annotations

import pytest
from django.urls import reverse

from surveys.models import Survey
from tests.factories import make_survey
from workflows.models import Step

pytestmark = pytest.mark.django_db


def management(total: int, initial: int = 0) -> dict:
    return {
        "q-TOTAL_FORMS": str(total),
        "q-INITIAL_FORMS": str(initial),
        "q-MIN_NUM_FORMS": "0",
        "q-MAX_NUM_FORMS": "30",
    }


def question(i: int, key: str, kind: str, text: str, order: int, **more) -> dict:
    row = {f"q-{i}-key": key, f"q-{i}-kind": kind, f"q-{i}-text": text, f"q-{i}-ORDER": order}
    return {**row, **{f"q-{i}-{name}": value for name, value in more.items()}}


NEW = {
    "name": "After delivery",
    "thank_you_text": "Thanks!",
    **management(3),
    **question(0, "comment", "text", "Anything else?", 2),
    **question(1, "nps", "nps", "Recommend us?", 1, required="on"),
    **question(2, "", "nps", "", ""),  # a blank row is ignored
}


def test_a_manager_creates_and_reorders_a_survey(client, manager):
    client.force_login(manager)
    # When the manager fills in the new survey's page (the rows numbered out of order)
    response = client.post(reverse("surveys:new"), NEW)
    # Then the survey is stored with its questions in the numbered order
    assert response.status_code == 302
    survey = Survey.objects.get()
    assert [(q.key, q.kind, q.required) for q in survey.questions.order_by("position")] == [
        ("nps", "nps", True),
        ("comment", "text", False),
    ]
    # And its page lists them, and the list page the survey
    page = client.get(response["Location"]).content.decode()
    assert "Recommend us?" in page and "Anything else?" in page
    assert "After delivery" in client.get(reverse("surveys:list")).content.decode()


def test_mistakes_are_shown_on_the_page_and_nothing_is_saved(client, manager):
    client.force_login(manager)
    bad = {
        **NEW,
        "promoter_redirect_url": "ftp://example.com",
        **question(0, "nps", "text", "Duplicate key", 2),
    }
    response = client.post(reverse("surveys:new"), bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Must start with https://" in page
    assert "&#x27;nps&#x27; is used twice" in page
    assert not Survey.objects.exists()


def test_a_member_may_look_but_not_change(client, member, account):
    survey = make_survey(account)
    client.force_login(member)
    page = client.get(reverse("surveys:edit", args=[survey.pk]))
    assert page.status_code == 200 and "needs the Integration Manager permission" in (
        page.content.decode()
    )
    assert client.post(reverse("surveys:edit", args=[survey.pk]), NEW).status_code == 403
    assert client.get(reverse("surveys:new")).status_code == 403
    assert client.post(reverse("surveys:delete", args=[survey.pk])).status_code == 403
    assert Survey.objects.get().name == "Post-delivery NPS"


def test_another_accounts_survey_is_404(client, other_member, account):
    survey = make_survey(account)
    client.force_login(other_member)
    assert client.get(reverse("surveys:edit", args=[survey.pk])).status_code == 404
    assert "Post-delivery" not in client.get(reverse("surveys:list")).content.decode()


def test_delete(client, manager, account):
    survey = make_survey(account)
    client.force_login(manager)
    response = client.post(reverse("surveys:delete", args=[survey.pk]))
    assert response.status_code == 302 and not Survey.objects.exists()


def test_the_steps_editor_adds_a_survey_invitation(
    client, manager, account, workflow, other_account
):
    ours = make_survey(account, name="Ours")
    theirs = make_survey(other_account, name="Theirs")
    client.force_login(manager)
    url = reverse("workflows:step-add", args=[workflow.pk, "survey_invite"])
    # The form offers only the account's surveys, with a ready-made email
    form = client.get(url).content.decode()
    assert "Ours" in form and "Theirs" not in form and "[Survey | score_links]" in form
    data = {
        "step-survey": ours.pk,
        "step-to": "[BigCommerce | Customer | email]",
        "step-subject": "How did we do?",
        "step-body": "Rate us: [Survey | score_links]",
        "step-format": "text",
        "step-expiry_days": "14",
        "step-reminder_1": "3",
        "step-wait_days": "5",
    }
    # Another account's survey can't be chosen
    assert client.post(url, {**data, "step-survey": theirs.pk}).status_code == 200
    assert not Step.objects.filter(workflow=workflow, type="survey_invite").exists()
    # Its own can
    assert client.post(url, data).status_code == 302
    step = Step.objects.get(workflow=workflow, type="survey_invite")
    assert step.config["survey"] == ours.pk and step.config["reminder_days"] == [3]
    assert (step.config["expiry_days"], step.config["wait_days"]) == (14, 5)
    page = client.get(reverse("workflows:detail", args=[workflow.pk])).content.decode()
    assert "Survey “Ours”" in page and "waits up to 5 day(s)" in page
