"""A survey's results, as plain numbers for the results page, its CSV export and the API:
NPS (promoters − detractors, as a % of the scored responses) or the average rating, the
distribution of scores, the weekly trend, the response rate and the comments with their
orders. A constant number of queries whatever the number of responses.

A response counts once its first question is answered: the score link in the email answers it
(a partial response), so a customer who only clicked is counted too. The response rate counts
invitations sent in the window against those answered (submitted), whenever the answer came.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncWeek

from surveys import queries, scales
from surveys.models import Outcome, Question, QuestionKind, Survey, SurveyResponse
from workflows.sending.suppressions import no_formula

MAX_COMMENTS = 100
CSV_HEAD = [
    "response_id",
    "started_at",
    "submitted_at",
    "workflow_id",
    "order_id",
    "cart_id",
    "customer_id",
    "email",
    "score",
    "outcome",
]


@dataclass(frozen=True)
class Window:
    """The results' filters: one workflow, and the days responses started (both inclusive)."""

    workflow_id: int | None = None
    since: date | datetime | None = None
    until: date | datetime | None = None

    def responses(self, survey: Survey):
        return queries.responses(
            survey, workflow_id=self.workflow_id, since=self.since, until=self.until
        )


@dataclass(frozen=True)
class Comment:
    response_id: int
    order_id: int | None
    cart_id: str
    question: str  # the text question's key
    text: str
    at: datetime


@dataclass(frozen=True)
class Week:
    start: date
    responses: int
    value: float | None  # the week's NPS or average rating


@dataclass
class Results:
    scale: str  # "nps", "rating", or "" when the first question is not a scale
    responses: int  # scored responses
    nps: int | None = None
    average: float | None = None
    outcomes: dict[str, int] = field(default_factory=dict)
    distribution: list[tuple[int, int]] = field(default_factory=list)  # (score, responses)
    weeks: list[Week] = field(default_factory=list)
    invited: int = 0
    started: int = 0
    submitted: int = 0
    comments: list[Comment] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        """Submitted responses as a % of invitations (None when nobody was invited)."""
        return _percent(self.submitted, self.invited) if self.invited else None


def results(survey: Survey, window: Window) -> Results:
    """Six queries: the questions, the scores, the outcomes, the weeks, the rate, the comments."""
    questions = queries.questions_of(survey)
    first = questions[0].kind if questions else ""
    scale = first if scales.is_scale(first) else ""
    responses = window.responses(survey)
    counts = queries.score_counts(responses)
    found = Results(scale=scale, responses=sum(counts.values()))
    if scale:
        found.distribution = [(score, counts.get(score, 0)) for score in scales.SCALES[scale]]
    found.outcomes = {o: n for o, n in queries.outcome_counts(responses).items() if n}
    if scale == QuestionKind.NPS:
        found.nps = nps(found.outcomes)
    elif scale == QuestionKind.RATING and found.responses:
        total = sum(score * n for score, n in counts.items())
        found.average = _round(Decimal(total) / found.responses, "0.01")
    if scale:
        found.weeks = weekly(responses, scale)
    rate = queries.response_rate(
        survey, workflow_id=window.workflow_id, since=window.since, until=window.until
    )
    found.invited, found.started, found.submitted = (
        rate["invited"],
        rate["started"],
        rate["submitted"],
    )
    found.comments = comments(responses, questions)
    return found


def nps(outcomes: dict[str, int]) -> int | None:
    """Promoters − detractors, as a whole % of the responses with an outcome."""
    total = sum(outcomes.values())
    if not total:
        return None
    share = outcomes.get(Outcome.PROMOTER, 0) - outcomes.get(Outcome.DETRACTOR, 0)
    return int(_round(Decimal(share * 100) / total, "1"))


def weekly(responses, scale: str) -> list[Week]:
    """Per week (Monday first) the scored responses and their NPS or average, in one query."""
    rows = (
        responses.filter(score__isnull=False)
        .annotate(week=TruncWeek("started_at"))
        .order_by("week")
        .values("week")
        .annotate(
            n=Count("id"),
            promoters=Count("id", filter=Q(outcome=Outcome.PROMOTER)),
            detractors=Count("id", filter=Q(outcome=Outcome.DETRACTOR)),
            average=Avg("score"),
        )
    )
    weeks = []
    for row in rows:
        start = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
        if scale == QuestionKind.NPS:
            value = nps(
                {
                    "promoter": row["promoters"],
                    "detractor": row["detractors"],
                    "passive": row["n"] - row["promoters"] - row["detractors"],
                }
            )
        else:
            value = _round(Decimal(str(row["average"])), "0.01") if row["average"] else None
        weeks.append(Week(start, row["n"], value))
    return weeks


def comments(responses, questions: list[Question], limit: int = MAX_COMMENTS) -> list[Comment]:
    """The newest text answers, with the order (or cart) they are about, in one query."""
    keys = [q.key for q in questions if q.kind == QuestionKind.TEXT]
    if not keys:
        return []
    having = Q()
    for key in keys:
        having |= Q(answers__has_key=key)
    rows = responses.filter(having).only(
        "pk", "answers", "order_id", "cart_id", "started_at", "submitted_at"
    )
    found: list[Comment] = []
    for row in rows[: limit * 2]:
        for key in keys:
            text = row.answers.get(key)
            if isinstance(text, str) and text.strip():
                at = row.submitted_at or row.started_at
                found.append(Comment(row.pk, row.order_id, row.cart_id, key, text.strip(), at))
        if len(found) >= limit:
            break
    return found[:limit]


def responses_csv(rows: Iterable[SurveyResponse], questions: list[Question]) -> str:
    """One line per response, an answer column per question; cells a spreadsheet would run
    as a formula are quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_HEAD, *(q.key for q in questions)])
    for row in rows:
        answers = dict(row.answers_shown())
        writer.writerow(
            [
                row.pk,
                row.started_at.isoformat(),
                row.submitted_at.isoformat() if row.submitted_at else "",
                row.workflow_id or "",
                row.order_id or "",
                no_formula(row.cart_id),
                row.customer_id or "",
                no_formula(row.email),
                "" if row.score is None else row.score,
                row.outcome,
                *(no_formula(answers.get(q.key, "")) for q in questions),
            ]
        )
    return out.getvalue()


def _percent(part: int, whole: int) -> float:
    return float(_round(Decimal(part * 100) / whole, "0.1"))


def _round(value: Decimal, places: str):
    rounded = value.quantize(Decimal(places), rounding=ROUND_HALF_UP)
    return int(rounded) if places == "1" else float(rounded)
