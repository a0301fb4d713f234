"""Read helpers over survey data, for the results page, the exports and the API: each returns
a queryset (or a small aggregate) filtered the same way, by workflow and by dates."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from surveys.models import Invitation, Question, Survey, SurveyResponse


def surveys_of(account_id: int) -> QuerySet[Survey]:
    return Survey.objects.filter(account_id=account_id)


def questions_of(survey: Survey) -> list[Question]:
    """The survey's questions in order (one query)."""
    return list(survey.questions.order_by("position", "pk"))


def responses(
    survey: Survey,
    *,
    workflow_id: int | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    submitted_only: bool = False,
    include_tests: bool = False,
) -> QuerySet[SurveyResponse]:
    """The survey's responses, newest first, started within [since, until] (dates are whole
    days in the current time zone; a datetime `until` is exclusive) and from one workflow when
    given. Partial ones are included unless `submitted_only`; test events' only with
    `include_tests`."""
    queryset = SurveyResponse.objects.filter(survey=survey)
    if not include_tests:
        queryset = queryset.filter(is_test=False)
    queryset = _window(queryset, "started_at", workflow_id, since, until)
    if submitted_only:
        queryset = queryset.filter(submitted_at__isnull=False)
    return queryset.order_by("-started_at", "-id")


def invitations(
    survey: Survey,
    *,
    workflow_id: int | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    include_tests: bool = False,
) -> QuerySet[Invitation]:
    """The survey's invitations, sent within [since, until] and from one workflow when given
    (test events' only with `include_tests`)."""
    queryset = Invitation.objects.filter(survey=survey)
    if not include_tests:
        queryset = queryset.filter(is_test=False)
    return _window(queryset, "created_at", workflow_id, since, until).order_by("-created_at", "-id")


def response_rate(
    survey: Survey,
    *,
    workflow_id: int | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
) -> dict[str, int]:
    """``{"invited", "started", "submitted"}`` for invitations sent in the window (one query):
    answered is counted against the invitations, whenever the answer came."""
    counts = invitations(survey, workflow_id=workflow_id, since=since, until=until).aggregate(
        invited=Count("id"),
        started=Count("response"),
        submitted=Count("response", filter=Q(response__submitted_at__isnull=False)),
    )
    return {key: counts[key] or 0 for key in ("invited", "started", "submitted")}


def outcome_counts(queryset: QuerySet[SurveyResponse]) -> dict[str, int]:
    """Responses per outcome (promoter, passive, detractor) in one query."""
    rows = queryset.exclude(outcome="").order_by().values("outcome").annotate(n=Count("id"))
    return {row["outcome"]: row["n"] for row in rows}


def score_counts(queryset: QuerySet[SurveyResponse]) -> dict[int, int]:
    """Responses per first-question score, in one query (scores only, lowest first)."""
    rows = (
        queryset.filter(score__isnull=False)
        .order_by("score")
        .values("score")
        .annotate(n=Count("id"))
    )
    return {row["score"]: row["n"] for row in rows}


def for_run(run_id: int) -> list[SurveyResponse]:
    """A run's responses with their surveys, oldest first (one query)."""
    return list(
        SurveyResponse.objects.filter(run_id=run_id).select_related("survey").order_by("id")
    )


def _window(queryset, field, workflow_id, since, until):
    if workflow_id is not None:
        queryset = queryset.filter(workflow_id=workflow_id)
    if since is not None:
        queryset = queryset.filter(**{f"{field}__gte": _start(since)})
    if until is not None:
        queryset = queryset.filter(**{f"{field}__lt": _end(until)})
    return queryset


def _start(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return timezone.make_aware(datetime.combine(value, time.min))


def _end(value: date | datetime) -> datetime:
    """Exclusive end: a date includes its whole day."""
    if isinstance(value, datetime):
        return value
    return timezone.make_aware(datetime.combine(value + timedelta(days=1), time.min))
