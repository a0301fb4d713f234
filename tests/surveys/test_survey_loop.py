"""The whole loop, black-box: a shipment is delivered → the customer gets the invitation
email → a score link is followed (a partial response) → the rest is answered → the run, which
waited for the response, goes on at once with the answers → the response is on the run page
and in the run API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import Invitation, SurveyResponse
from tests.factories import CUSTOMER
from tests.surveys.conftest import TEAM_EMAIL, score_path, survey_path
from workflows import engine, runs
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db


def only_run() -> WorkflowRun:
    return WorkflowRun.objects.get()


def test_shipment_to_invitation_to_answers_to_the_next_step(
    invite_workflow,
    fire,
    store,
    client,
    manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    # Given a workflow that invites the customer, waits up to 3 days for the answer, then tells
    # the team the score
    invite_workflow(then=[("send_email", TEAM_EMAIL)], wait_days=3, reminder_days=[2])

    # When BigCommerce delivers a shipment
    fire()

    # Then the customer got the invitation, with one link per score and the survey's link
    [invitation_email] = mailoutbox
    assert invitation_email.to == [CUSTOMER]
    assert "List-Unsubscribe" in invitation_email.extra_headers
    page = survey_path(invitation_email)
    run = only_run()
    assert run.status == "waiting" and "waiting for the response" in (
        run.step_results.get(position=0).detail
    )
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.run_id, invitation.order_id) == (CUSTOMER, run.pk, 251)

    # When the customer clicks 9 in the email
    response = client.get(score_path(invitation_email, 9))

    # Then the page opens with 9 chosen and the rest of the questions, and a partial response
    # is stored
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="9" checked' in html and "What could we do better?" in html
    assert "How likely are you to recommend us, Jane?" in html  # merge codes rendered
    partial = SurveyResponse.objects.get()
    assert (partial.score, partial.outcome, partial.submitted_at) == (9, "promoter", None)
    assert only_run().status == "waiting"

    # When they answer the rest and send it
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page, {"q-nps": "9", "q-comment": "Fast delivery, thanks"})

    # Then they see the thank-you text
    assert response.status_code == 302
    thanks = client.get(response["Location"])
    assert "Thanks, Jane!" in thanks.content.decode()
    submitted = SurveyResponse.objects.get()
    assert submitted.submitted_at is not None
    assert submitted.answers == {"nps": 9, "comment": "Fast delivery, thanks"}

    # And the run went on at once: the team got the score and the comment
    run = only_run()
    assert run.status == "succeeded"
    team = mailoutbox[-1]
    assert team.to == ["team@example.com"]
    assert team.subject == "Order 251 scored 9"
    assert "Outcome: promoter. Status: submitted. Comment: Fast delivery, thanks" in team.body

    # And the response is on the run page and in the run API
    client.force_login(manager)
    run_page = client.get(reverse("workflows:run", args=[run.pk])).content.decode()
    assert "Fast delivery, thanks" in run_page and "Post-delivery NPS" in run_page
    api = client.get(f"/api/v1/runs/{run.pk}/").json()
    [shown] = api["survey_responses"]
    assert shown["answers"] == {"nps": 9, "comment": "Fast delivery, thanks"}
    assert shown["survey"]["name"] == "Post-delivery NPS" and shown["submitted_at"]


def test_without_an_answer_the_run_goes_on_when_the_wait_ends(
    invite_workflow, fire, store, mailoutbox
):
    # Given a workflow waiting a day for the answer, then telling the team
    invite_workflow(then=[("send_email", TEAM_EMAIL)], wait_days=1)
    fire()
    run = only_run()
    assert run.status == "waiting"

    assert run.resume_at - timezone.now() > timedelta(hours=23)

    # When the day has passed without an answer and the sweeper hands the run out
    WorkflowRun.objects.filter(pk=run.pk).update(resume_at=timezone.now())
    assert run.pk in runs.due_ids()
    engine.execute(run.pk)

    # Then the next step ran with empty survey codes
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert mailoutbox[-1].subject == "Order 251 scored "
    assert "Status: ." in mailoutbox[-1].body


def test_without_a_wait_the_run_does_not_wait(invite_workflow, fire, store, mailoutbox):
    invite_workflow(then=[("send_email", TEAM_EMAIL)])
    fire()
    assert only_run().status == "succeeded"
    assert len(mailoutbox) == 2


def test_a_promoter_is_sent_to_the_review_page(
    invite_workflow, nps_survey, fire, store, client, mailoutbox
):
    # Given a survey that sends promoters to a review page naming the order
    nps_survey.promoter_redirect_url = (
        "https://reviews.example.com/write?order=[BigCommerce | Order | id]"
    )
    nps_survey.detractor_redirect_url = "https://example.com/support"
    nps_survey.save()
    invite_workflow()
    fire()
    page = survey_path(mailoutbox[0])
    # When a promoter submits
    response = client.post(page, {"q-nps": "10"})
    # Then they land on the review page
    assert response.status_code == 302
    assert response["Location"] == "https://reviews.example.com/write?order=251"


def test_an_html_invitation_carries_its_score_links_as_links(
    invite_workflow, fire, store, mailoutbox
):
    invite_workflow(format="html", body="<p>Rate us:</p>[Survey | score_links]")
    fire()
    html = mailoutbox[0].alternatives[0][0]
    assert html.count('href="https://feedback.example.com/s/') == 11
    assert "?score=10" in html


@pytest.mark.parametrize(("score", "team_emailed"), [("3", True), ("10", False)])
def test_a_condition_on_the_score_emails_the_team_about_a_detractor(
    invite_workflow,
    fire,
    store,
    client,
    mailoutbox,
    django_capture_on_commit_callbacks,
    score,
    team_emailed,
):
    # Given: invite, wait for the answer, continue only for a score under 7, tell the team
    detractor = {
        "match": "all",
        "rules": [{"merge_code": "[Survey | score]", "operator": "lt", "value": "7"}],
    }
    invite_workflow(then=[("condition", detractor), ("send_email", TEAM_EMAIL)], wait_days=3)
    fire()
    # When the customer answers
    with django_capture_on_commit_callbacks(execute=True):
        client.post(survey_path(mailoutbox[0]), {"q-nps": score})
    # Then the team hears of a detractor only
    run = only_run()
    assert run.status == ("succeeded" if team_emailed else "stopped")
    assert (mailoutbox[-1].to == ["team@example.com"]) is team_emailed


def test_a_test_event_invites_the_tester_and_does_not_wait(invite_workflow, manager, mailoutbox):
    from workflows import services

    workflow = invite_workflow(then=[("send_email", TEAM_EMAIL)], wait_days=3, reminder_days=[1])
    run = services.run_test_event(workflow, manager)
    assert run.status == "succeeded"
    assert mailoutbox[0].to == [manager.email]
    assert "a test event does not wait" in run.step_results.get(position=0).detail
    invitation = Invitation.objects.get()
    assert invitation.is_test and invitation.email == manager.email
    assert invitation.next_reminder_at is None
