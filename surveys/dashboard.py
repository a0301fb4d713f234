"""The dashboard's survey responses per day: a daily series the surveys app adds to the
workflows dashboard (workflows never imports surveys)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from surveys.models import SurveyResponse
from workflows.dashboard.stats import DAILY_SERIES, Counts, DailySeries, Line, as_date

SERIES_KEY = "survey_responses"


def responses_per_day(account_id: int, start: datetime, end: datetime) -> Counts:
    """Real (not test) responses by the day they were started, and how many of those were
    submitted since, in one query."""
    counts: Counts = {"started": {}, "submitted": {}}
    rows = (
        SurveyResponse.objects.filter(
            survey__account_id=account_id, is_test=False, started_at__gte=start, started_at__lt=end
        )
        .annotate(day=TruncDate("started_at", tzinfo=UTC))
        .order_by()
        .values("day")
        .annotate(started=Count("pk"), submitted=Count("pk", filter=Q(submitted_at__isnull=False)))
        .values_list("day", "started", "submitted")
    )
    for day, started, submitted in rows:
        counts["started"][as_date(day)] = started
        if submitted:
            counts["submitted"][as_date(day)] = submitted
    return counts


def register() -> None:
    """Add the series once (ready() may run more than once in tests)."""
    if any(series.key == SERIES_KEY for series in DAILY_SERIES):
        return
    DAILY_SERIES.append(
        DailySeries(
            SERIES_KEY,
            "Survey responses",
            responses_per_day,
            (Line("started", "Started (a first click or more)"), Line("submitted", "Submitted")),
        )
    )
