"""The read helpers the results page and exports use: responses and invitations filtered by
workflow and dates, the response rate, and counts per outcome and score."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from surveys import queries
from surveys.models import SurveyResponse
from tests.factories import make_authentication, make_invitation, make_survey, make_workflow

pytestmark = pytest.mark.django_db


def respond(invitation, *, score=None, outcome="", submitted=True, started_at=None, **fields):
    response = SurveyResponse.objects.create(
        invitation=invitation,
        survey=invitation.survey,
        workflow=invitation.workflow,
        email=invitation.email,
        answers={"nps": score} if score is not None else {},
        score=score,
        outcome=outcome,
        submitted_at=timezone.now() if submitted else None,
        is_test=invitation.is_test,
        **fields,
    )
    if started_at is not None:
        SurveyResponse.objects.filter(pk=response.pk).update(started_at=started_at)
    return response


@pytest.fixture
def survey(account):  # the survey of these tests (not conftest's workflow fixture)
    return make_survey(account)


@pytest.fixture
def two_workflows(account):
    auth = make_authentication(account)
    return (
        make_workflow(account=account, authentication=auth, name="A"),
        make_workflow(account=account, authentication=auth, name="B"),
    )


def test_responses_filter_by_workflow_dates_and_leave_out_tests(survey, two_workflows):
    # Given responses from two workflows, one of them old, and one from a test event
    a, b = two_workflows
    now = timezone.now()
    from_a = respond(make_invitation(survey, workflow=a)[0], score=9, outcome="promoter")
    from_b = respond(make_invitation(survey, workflow=b)[0], score=3, outcome="detractor")
    old = respond(
        make_invitation(survey, workflow=a)[0], score=7, started_at=now - timedelta(days=40)
    )
    respond(make_invitation(survey, workflow=a, is_test=True)[0], score=10)

    # Then the workflow filter keeps its own, the dates keep the recent, tests stay out
    assert list(queries.responses(survey, workflow_id=a.pk)) == [from_a, old]
    since = date.today() - timedelta(days=7)
    assert set(queries.responses(survey, since=since)) == {from_a, from_b}
    assert list(queries.responses(survey, until=since)) == [old]
    assert len(queries.responses(survey, include_tests=True)) == 4


def test_response_rate_counts_invited_started_and_submitted(survey):
    # Given four invitations: one submitted, one partial (a score clicked), two unanswered
    respond(make_invitation(survey)[0], score=9)
    respond(make_invitation(survey)[0], score=6, submitted=False)
    make_invitation(survey)
    make_invitation(survey)

    # Then the rate says so, in one query
    assert queries.response_rate(survey) == {"invited": 4, "started": 2, "submitted": 1}


def test_outcome_and_score_counts(survey, django_assert_num_queries):
    # Given three promoters-to-detractors answers
    for score, outcome in ((10, "promoter"), (9, "promoter"), (2, "detractor")):
        respond(make_invitation(survey)[0], score=score, outcome=outcome)
    answered = queries.responses(survey, submitted_only=True)

    # Then each count is one query
    with django_assert_num_queries(2):
        outcomes = queries.outcome_counts(answered)
        scores = queries.score_counts(answered)
    assert outcomes == {"promoter": 2, "detractor": 1}
    assert scores == {2: 1, 9: 1, 10: 1}


def test_surveys_of_an_account_are_its_own(survey, other_account):
    # Given a survey in each account
    theirs = make_survey(other_account, name="Theirs")
    # Then each account lists only its own
    assert list(queries.surveys_of(survey.account_id)) == [survey]
    assert list(queries.surveys_of(other_account.pk)) == [theirs]


def test_the_dashboard_counts_real_responses_per_day_they_were_started(account, survey):
    # Given a submitted and a partial response today, one 40 days ago, and a test event's
    from workflows.dashboard import stats

    now = timezone.now()
    respond(make_invitation(survey)[0], score=9)
    respond(make_invitation(survey)[0], score=4, submitted=False)
    respond(make_invitation(survey)[0], score=7, started_at=now - timedelta(days=40))
    respond(make_invitation(survey, is_test=True)[0], score=10)

    # When the dashboard's last 30 days are counted
    win = stats.window(30, now)
    series = {s["key"]: s for s in stats.daily(account.pk, win)}

    # Then the survey series has today's two responses, one of them submitted
    lines = {line["key"]: line["values"] for line in series["survey_responses"]["lines"]}
    assert lines["started"][-1] == 2 and sum(lines["started"]) == 2
    assert lines["submitted"][-1] == 1 and sum(lines["submitted"]) == 1
