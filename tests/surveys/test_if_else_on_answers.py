"""Acting on the answer: a survey invitation waits for the response, then an If / else on the
score — a detractor's score emails the team, a promoter gets a review link."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.surveys.conftest import score_path, survey_path
from workflows.models import StepResult, WorkflowRun
from workflows.steps import validate_steps

pytestmark = pytest.mark.django_db

TEAM = {
    "to": "team@shop.example",
    "subject": "Detractor: order [BigCommerce | Order | id] scored [Survey | score]",
    "body": "Comment: [Survey | comment]",
}
REVIEW = {
    "to": "[BigCommerce | Customer | email]",
    "subject": "Would you review us?",
    "body": "https://shop.example/review?order=[BigCommerce | Order | id]",
}
ACT_ON_THE_SCORE = (
    "if_else",
    {
        "condition": {
            "rules": [
                {"merge_code": "[Survey | outcome]", "operator": "equals", "value": "detractor"}
            ]
        },
        "then": [{"type": "send_email", "config": TEAM}],
        "else": [
            {
                "type": "condition",
                "config": {
                    "rules": [
                        {
                            "merge_code": "[Survey | outcome]",
                            "operator": "equals",
                            "value": "promoter",
                        }
                    ]
                },
            },
            {"type": "send_email", "config": REVIEW},
        ],
    },
)


@pytest.fixture(autouse=True)
def two_emails_a_day(account):
    """The invitation and the review request both reach the customer."""
    account.frequency_cap_emails = 2
    account.save(update_fields=["frequency_cap_emails"])


@pytest.mark.parametrize(
    ("score", "to", "branch"),
    [(3, "team@shop.example", "then"), (10, "jane.smith@example.com", "else")],
)
def test_the_answer_decides_the_branch(
    invite_workflow,
    fire,
    store,
    client,
    mailoutbox,
    django_capture_on_commit_callbacks,
    score,
    to,
    branch,
):
    # given an invitation that waits for the answer, then the If / else on the outcome
    invite_workflow(then=[ACT_ON_THE_SCORE], wait_days=3)
    fire()
    invitation = mailoutbox[0]

    # when the customer answers with `score`
    client.get(score_path(invitation, score))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(survey_path(invitation), {"q-nps": str(score), "q-comment": "So so"})

    # then the run went on at once and took the branch for that score
    run = WorkflowRun.objects.get()
    assert run.status == "succeeded"
    assert mailoutbox[-1].to == [to] and len(mailoutbox) == 2
    decision = StepResult.objects.get(run=run, position=1, branch_position=None)
    assert decision.branch == branch
    if branch == "then":
        assert mailoutbox[-1].subject == "Detractor: order 251 scored 3"
        assert mailoutbox[-1].body.startswith("Comment: So so")
    else:
        assert "review?order=251" in mailoutbox[-1].body


def test_a_passive_gets_nothing_more(
    invite_workflow, fire, store, client, mailoutbox, django_capture_on_commit_callbacks
):
    # given the same workflow; when the customer scores 7 (a passive)
    invite_workflow(then=[ACT_ON_THE_SCORE], wait_days=3)
    fire()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(survey_path(mailoutbox[0]), {"q-nps": "7", "q-comment": ""})

    # then the else branch's own condition stopped the run: no review request
    run = WorkflowRun.objects.get()
    assert run.status == "stopped" and len(mailoutbox) == 1


def test_a_survey_invitation_cannot_go_inside_a_branch(nps_survey):
    # given an If / else whose "then" invites to a survey
    invite = {
        "type": "survey_invite",
        "config": {**REVIEW, "body": "[Survey | link]", "survey": nps_survey.pk},
    }
    step = {"type": "if_else", "config": {**ACT_ON_THE_SCORE[1], "then": [invite]}}

    # when it is validated, then it is refused, saying where it belongs
    with pytest.raises(ValidationError) as caught:
        validate_steps([step], "shipment_created")
    assert caught.value.messages == [
        "Step 1 (If / else) · then: Step 1 · type: a Survey invitation step can't be in a "
        "branch: add it to the workflow's own steps."
    ]
