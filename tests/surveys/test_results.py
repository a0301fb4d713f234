"""A survey's results: NPS or average rating, distribution, weekly trend, response rate,
comments with their orders, filters by workflow and dates, the page (inline SVG, no script),
the CSV export (formula cells quoted) and constant query counts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import SurveyResponse
from surveys.results import Window, results
from surveys.scales import outcome_of
from tests.factories import make_invitation, make_survey
from tests.html import check_page

pytestmark = pytest.mark.django_db


def at(days: int) -> datetime:
    """Noon UTC, `days` after Monday 2 November 2026."""

    return datetime(2026, 11, 2, 12, tzinfo=UTC) + timedelta(days=days)


def answer(survey, score, comment="", *, order_id=None, workflow=None, day=0, submitted=True):
    """An invitation of `survey` answered with `score` (and `comment`) on `day`."""
    invitation, _token = make_invitation(survey, order_id=order_id, workflow=workflow)
    kind = survey.questions.order_by("position").first().kind
    answers = {"nps" if kind == "nps" else "stars": score}
    if comment:
        answers["comment"] = comment
    response = SurveyResponse.objects.create(
        invitation=invitation,
        survey=survey,
        workflow=workflow,
        order_id=order_id,
        answers=answers,
        score=score,
        outcome=outcome_of(kind, score),
        submitted_at=at(day) if submitted else None,
    )
    SurveyResponse.objects.filter(pk=response.pk).update(started_at=at(day))
    return response


@pytest.fixture
def nps(account):
    return make_survey(account)


@pytest.fixture
def answered(nps, make_workflow):
    """Five answers over two weeks (two workflows), and one invitation left unanswered."""
    first, second = make_workflow(name="Shipments"), make_workflow(name="Carts", status="draft")
    answer(nps, 10, "Great service", order_id=101, workflow=first, day=0)
    answer(nps, 9, '=HYPERLINK("http://evil.example")', order_id=102, workflow=first, day=1)
    answer(nps, 9, workflow=first, day=2)
    answer(nps, 7, order_id=104, workflow=second, day=8)
    answer(nps, 3, "Late and broken", order_id=105, workflow=second, day=9)
    make_invitation(nps, workflow=first)
    return first, second


def test_nps_distribution_trend_rate_and_comments(nps, answered):
    # given five answers: 3 promoters, 1 passive, 1 detractor, and 6 invitations
    # when the results are computed
    found = results(nps, Window())

    # then the NPS is (3 − 1) / 5 = 40, every score of the scale is listed
    assert (found.scale, found.responses, found.nps) == ("nps", 5, 40)
    assert found.outcomes == {"promoter": 3, "passive": 1, "detractor": 1}
    assert dict(found.distribution) == {
        0: 0,
        1: 0,
        2: 0,
        3: 1,
        4: 0,
        5: 0,
        6: 0,
        7: 1,
        8: 0,
        9: 2,
        10: 1,
    }
    # and two weeks: 3 promoters (NPS 100), then a passive and a detractor (NPS −50)
    assert [(w.start, w.responses, w.value) for w in found.weeks] == [
        (date(2026, 11, 2), 3, 100),
        (date(2026, 11, 9), 2, -50),
    ]
    # and 5 of 6 invited answered; the comments come newest first, with their orders
    assert (found.invited, found.submitted, found.response_rate) == (6, 5, 83.3)
    assert [(c.order_id, c.text) for c in found.comments] == [
        (105, "Late and broken"),
        (102, '=HYPERLINK("http://evil.example")'),
        (101, "Great service"),
    ]


def test_filters_by_workflow_and_dates(nps, answered):
    first, second = answered

    # when only the second workflow, or only the first week, is asked for
    by_workflow = results(nps, Window(workflow_id=second.pk))
    by_days = results(nps, Window(since=date(2026, 11, 2), until=date(2026, 11, 3)))

    # then each counts only its own answers
    assert (by_workflow.responses, by_workflow.nps, by_workflow.invited) == (2, -50, 2)
    assert (by_days.responses, by_days.nps) == (2, 100)
    assert [c.order_id for c in by_days.comments] == [102, 101]


def test_a_rating_survey_has_an_average(account):
    # given a 1–5 rating survey answered 5, 4 and 2
    survey = make_survey(account, questions=[{"key": "stars", "kind": "rating", "text": "Stars?"}])
    for stars in (5, 4, 2):
        answer(survey, stars)

    # when / then
    found = results(survey, Window())
    assert (found.scale, found.average, found.nps) == ("rating", 3.67, None)
    assert dict(found.distribution) == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}


def test_no_answer_yet(nps):
    found = results(nps, Window())
    assert (found.responses, found.nps, found.response_rate, found.weeks) == (0, None, None, [])


def test_the_page_shows_the_numbers_and_inline_svg_without_script(as_member, nps, answered):
    # when a member opens the results page
    response = as_member.get(reverse("surveys:results", args=[nps.pk]))

    # then the NPS, the rate, the comments with their orders, and two inline charts show
    html = check_page(response)
    assert '<dd id="nps"><strong>40</strong>' in html
    assert "83.3%</strong> — 5 submitted of 6 invited" in html
    assert "#105" in html and "Late and broken" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<?xml" not in html and "kozea.github.io" not in html


def test_the_page_filters_and_a_bad_filter_is_said_not_500(as_member, nps, answered):
    first, _second = answered
    url = reverse("surveys:results", args=[nps.pk])

    page = as_member.get(url, {"workflow": first.pk})
    assert "3 submitted of 4 invited" in page.content.decode()

    bad = as_member.get(url, {"workflow": "nope", "created_after": "2026-13-45"})
    assert bad.status_code == 200
    assert "Some filters are not valid" in bad.content.decode()


def test_another_accounts_survey_is_404(as_member, other_account):
    survey = make_survey(other_account)
    assert as_member.get(reverse("surveys:results", args=[survey.pk])).status_code == 404
    assert as_member.get(reverse("surveys:results-csv", args=[survey.pk])).status_code == 404


def test_csv_export_quotes_formula_cells(as_member, nps, answered):
    # when the responses are exported
    response = as_member.get(reverse("surveys:results-csv", args=[nps.pk]))

    # then it is a CSV attachment, a line per response, answers by question key
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 5
    assert [r["order_id"] for r in rows] == ["105", "104", "", "102", "101"]
    assert rows[0]["nps"] == "3" and rows[0]["comment"] == "Late and broken"
    # and a comment that a spreadsheet would run as a formula is quoted
    assert rows[3]["comment"] == '\'=HYPERLINK("http://evil.example")'


def test_query_counts_do_not_grow_with_responses(as_member, nps, answered):
    url = reverse("surveys:results", args=[nps.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert as_member.get(url).status_code == 200
        return len(queries)

    before = count()
    for day in range(10):
        answer(nps, day % 11, f"Comment {day}", order_id=200 + day, day=day)
    assert count() == before


def test_results_over_the_api(api_client, member, nps, answered):
    # given a member of the account
    api_client.force_authenticate(member)
    first, _second = answered

    # when the results are read, then filtered to the first workflow
    data = api_client.get(f"/api/v1/surveys/{nps.pk}/results/").json()
    mine = api_client.get(f"/api/v1/surveys/{nps.pk}/results/", {"workflow": first.pk}).json()

    # then they are the page's numbers
    assert (data["nps"], data["responses"], data["response_rate"]) == (40, 5, 83.3)
    assert data["distribution"][10] == {"score": 10, "responses": 1}
    assert [w["value"] for w in data["weeks"]] == [100, -50]
    assert data["comments"][0]["order_id"] == 105
    assert (mine["responses"], mine["nps"], mine["invited"]) == (3, 100, 4)


def test_responses_over_the_api_are_paginated_and_filtered(api_client, member, nps, answered):
    api_client.force_authenticate(member)
    url = f"/api/v1/surveys/{nps.pk}/responses/"

    page = api_client.get(url).json()
    assert page["count"] == 5 and page["next"] is None
    assert [r["order_id"] for r in page["results"]] == [105, 104, None, 102, 101]
    assert page["results"][0]["answers"] == {"nps": 3, "comment": "Late and broken"}

    week = api_client.get(url, {"created_after": "2026-11-09", "created_before": "2026-11-15"})
    assert [r["score"] for r in week.json()["results"]] == [3, 7]

    bad = api_client.get(url, {"created_after": "soon", "workflow": "x"})
    assert bad.status_code == 400 and set(bad.json()) == {"created_after", "workflow"}


def test_api_query_counts_do_not_grow(api_client, member, nps, answered):
    api_client.force_authenticate(member)

    def count(path) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api_client.get(f"/api/v1/surveys/{nps.pk}/{path}/").status_code == 200
        return len(queries)

    before = (count("results"), count("responses"))
    for day in range(8):
        answer(nps, day, f"Comment {day}", order_id=300 + day, day=day)
    assert (count("results"), count("responses")) == before


def test_another_accounts_results_are_404_over_the_api(api_client, member, other_account):
    api_client.force_authenticate(member)
    survey = make_survey(other_account)
    assert api_client.get(f"/api/v1/surveys/{survey.pk}/results/").status_code == 404
    assert api_client.get(f"/api/v1/surveys/{survey.pk}/responses/").status_code == 404
