"""An account's figures per day and per workflow, as plain functions (docs/architecture.md,
"Operations").

Each chart of the dashboard (and each entry of the `stats/` API's `series`) is one
:class:`DailySeries` in :data:`DAILY_SERIES`. To add one, write a function
``f(account_id, start, end) -> {line key: {date: count}}`` that answers in one query (a
``GROUP BY`` day, see :func:`per_day`) and append ``DailySeries(key, title, f, lines)``: the
page, the API and their tests pick it up. Days are UTC days; a window is ``days`` days ending
today, both ends included.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from integrations.models import WebhookDelivery, WebhookSubscription
from workflows.models import (
    FilteredDelivery,
    RunStatus,
    SentEmail,
    SkipReason,
    Workflow,
    WorkflowRun,
)

MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 365, 30

Counts = dict[str, dict[date, int]]  # line key -> day -> count


@dataclass(frozen=True)
class Line:
    key: str
    label: str


@dataclass(frozen=True)
class DailySeries:
    """One chart: `count(account_id, start, end)` gives each line's count per day."""

    key: str
    title: str
    count: Callable[[int, datetime, datetime], Counts]
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Window:
    days: int
    first: date  # UTC days, both included
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]


def window(days: int = DEFAULT_DAYS, now: datetime | None = None) -> Window:
    """The last `days` UTC days, today included. `days` must be within MIN_DAYS..MAX_DAYS."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"days must be between {MIN_DAYS} and {MAX_DAYS}")
    last = (now or timezone.now()).astimezone(UTC).date()
    return Window(days, last - timedelta(days=days - 1), last)


def per_day(rows: QuerySet, when: str, start: datetime, end: datetime, *by: str) -> Iterable:
    """``(day, *by, n)`` tuples: `rows` in [start, end) counted per UTC day of `when` (and of
    the `by` columns), in one query."""
    return (
        rows.filter(**{f"{when}__gte": start, f"{when}__lt": end})
        .annotate(day=TruncDate(when, tzinfo=UTC))
        .order_by()
        .values("day", *by)
        .annotate(n=Count("pk"))
        .values_list("day", *by, "n")
    )


def as_date(value) -> date:
    # SQLite hands TruncDate back as text on some paths; PostgreSQL as a date.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def account_deliveries(account_id: int) -> QuerySet:
    return WebhookDelivery.objects.filter(subscription__authentication__account_id=account_id)


def account_runs(account_id: int) -> QuerySet:
    """The account's real runs (test events are not the store's activity)."""
    return WorkflowRun.objects.filter(workflow__account_id=account_id, is_test=False)


# --- The daily series --------------------------------------------------------------------


def deliveries_per_day(account_id: int, start: datetime, end: datetime) -> Counts:
    counts: Counts = {"received": {}}
    for day, n in per_day(account_deliveries(account_id), "received_at", start, end):
        counts["received"][as_date(day)] = n
    return counts


SKIPPED_LINES = tuple(
    Line(f"skipped_{reason}", f"Skipped: {label}") for reason, label in SkipReason.choices if reason
)
RUN_LINES = (
    Line(RunStatus.SUCCEEDED, "Succeeded"),
    Line(RunStatus.FAILED, "Failed"),
    Line(RunStatus.STOPPED, "Stopped (condition false)"),
    *SKIPPED_LINES,
    Line("in_progress", "In progress"),
)
IN_PROGRESS = (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING)


def run_line(status: str, skip_reason: str) -> str:
    """The line a run is counted on: its outcome, a skip by its reason, or in progress."""
    if status == RunStatus.SKIPPED:
        return f"skipped_{skip_reason}"
    return "in_progress" if status in IN_PROGRESS else status


def runs_per_day(account_id: int, start: datetime, end: datetime) -> Counts:
    counts: Counts = defaultdict(dict)
    rows = per_day(account_runs(account_id), "created_at", start, end, "status", "skip_reason")
    for day, status, reason, n in rows:
        line = counts[run_line(status, reason)]
        line[as_date(day)] = line.get(as_date(day), 0) + n
    return counts


def emails_per_day(account_id: int, start: datetime, end: datetime) -> Counts:
    counts: Counts = {"sent": {}}
    for day, n in per_day(SentEmail.objects.filter(account_id=account_id), "sent_at", start, end):
        counts["sent"][as_date(day)] = n
    return counts


def filtered_per_day(account_id: int, start: datetime, end: datetime) -> Counts:
    """Deliveries a workflow's trigger filter held back (no run exists for them), per day."""
    counts: Counts = {"held_back": {}}
    rows = FilteredDelivery.objects.filter(workflow__account_id=account_id)
    for day, n in per_day(rows, "created_at", start, end):
        counts["held_back"][as_date(day)] = n
    return counts


DAILY_SERIES: list[DailySeries] = [
    DailySeries(
        "deliveries", "Deliveries received", deliveries_per_day, (Line("received", "Received"),)
    ),
    DailySeries("runs", "Runs by outcome", runs_per_day, RUN_LINES),
    DailySeries("emails", "Customer emails sent", emails_per_day, (Line("sent", "Sent"),)),
    DailySeries(
        "filtered",
        "Deliveries held back by trigger filters",
        filtered_per_day,
        (Line("held_back", "Held back (no run)"),),
    ),
]


def daily(account_id: int, win: Window) -> list[dict]:
    """Every series of DAILY_SERIES over `win`: ``[{"key", "title", "lines": [{"key",
    "label", "values": [one count per day]}]}]`` (zeros where nothing happened)."""
    dates = win.dates()
    result = []
    for series in DAILY_SERIES:
        counts = series.count(account_id, win.start, win.end)
        lines = [
            {
                "key": line.key,
                "label": line.label,
                "values": [counts.get(line.key, {}).get(day, 0) for day in dates],
            }
            for line in series.lines
        ]
        result.append({"key": series.key, "title": series.title, "lines": lines})
    return result


# --- Per workflow ------------------------------------------------------------------------


def failure_rate(failed: int, succeeded: int) -> float | None:
    """Failed runs among those that succeeded or failed (stops and skips are not failures);
    None when there are none."""
    finished = failed + succeeded
    return round(failed / finished, 4) if finished else None


def per_workflow(account_id: int, win: Window) -> list[dict]:
    """Each of the account's workflows with its deliveries (those of its store and event),
    runs by outcome, emails and failure rate over `win`, in five queries whatever their
    number."""
    start, end = win.start, win.end
    workflows = list(
        Workflow.objects.filter(account_id=account_id)
        .order_by("name", "id")
        .values("id", "name", "status", "event", "authentication_id")
    )
    subscriptions = {
        (auth_id, event): sub_id
        for sub_id, auth_id, event in WebhookSubscription.objects.filter(
            authentication__account_id=account_id
        ).values_list("id", "authentication_id", "event")
    }
    deliveries = dict(
        account_deliveries(account_id)
        .filter(received_at__gte=start, received_at__lt=end)
        .order_by()
        .values("subscription_id")
        .annotate(n=Count("pk"))
        .values_list("subscription_id", "n")
    )
    runs: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for workflow_id, status, n in (
        account_runs(account_id)
        .filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("workflow_id", "status")
        .annotate(n=Count("pk"))
        .values_list("workflow_id", "status", "n")
    ):
        runs[workflow_id][status] += n
    emails = dict(
        SentEmail.objects.filter(
            account_id=account_id, sent_at__gte=start, sent_at__lt=end, run__isnull=False
        )
        .order_by()
        .values("run__workflow_id")
        .annotate(n=Count("pk"))
        .values_list("run__workflow_id", "n")
    )
    table = []
    for wf in workflows:
        counted = runs.get(wf["id"], {})
        sub_id = subscriptions.get((wf["authentication_id"], wf["event"]))
        succeeded = counted.get(RunStatus.SUCCEEDED, 0)
        failed = counted.get(RunStatus.FAILED, 0)
        table.append(
            {
                "id": wf["id"],
                "name": wf["name"],
                "status": wf["status"],
                "event": wf["event"],
                "deliveries": deliveries.get(sub_id, 0),
                "runs": sum(counted.values()),
                "succeeded": succeeded,
                "failed": failed,
                "stopped": counted.get(RunStatus.STOPPED, 0),
                "skipped": counted.get(RunStatus.SKIPPED, 0),
                "in_progress": sum(counted.get(s, 0) for s in IN_PROGRESS),
                "emails": emails.get(wf["id"], 0),
                "failure_rate": failure_rate(failed, succeeded),
            }
        )
    return table
