"""The merge data a test event or an email preview runs on: built-in sample data (a registered
customer or a guest checkout, shaped like BigCommerce's examples) or a real event's, taken from
one of the workflow's runs (the merge data its delivery gave, as it was then)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integrations.merge_data import ALL, build_merge_data
from integrations.sample_data import sample_resources
from workflows.models import TestData, Workflow, WorkflowRun

RECENT_RUNS = 10
RUN_CHOICE_PREFIX = "run-"


class UnknownData(ValueError):
    """The data asked for is not one this workflow offers (no such real run of it)."""


@dataclass(frozen=True)
class EventData:
    kind: str  # a TestData value
    merge_data: dict[str, Any]
    label: str  # in words, for the page
    run: WorkflowRun | None = None  # the real run it came from


def recent_runs(workflow: Workflow, limit: int = RECENT_RUNS) -> list[WorkflowRun]:
    """The workflow's latest runs started by a BigCommerce delivery, newest first."""
    return list(
        WorkflowRun.objects.filter(workflow=workflow, is_test=False, delivery__isnull=False)
        .order_by("-created_at", "-id")
        .only("pk", "workflow_id", "created_at", "order_id")[:limit]
    )


def run_label(run: WorkflowRun) -> str:
    about = f", order {run.order_id}" if run.order_id else ""
    return f"Event of {run.created_at:%Y-%m-%d %H:%M} UTC (run #{run.pk}{about})"


def choices(workflow: Workflow, runs: list[WorkflowRun] | None = None) -> list[tuple[str, str]]:
    """A form's choices: the two samples, then the recent real events (``run-<id>``)."""
    runs = recent_runs(workflow) if runs is None else runs
    return [
        (TestData.REGISTERED.value, TestData.REGISTERED.label),
        (TestData.GUEST.value, TestData.GUEST.label),
        *((f"{RUN_CHOICE_PREFIX}{run.pk}", run_label(run)) for run in runs),
    ]


def parse_choice(value: str) -> tuple[str, int | None]:
    """A form choice as (TestData value, run id or None); ``UnknownData`` when malformed."""
    if value in (TestData.REGISTERED, TestData.GUEST):
        return value, None
    number = value.removeprefix(RUN_CHOICE_PREFIX) if value.startswith(RUN_CHOICE_PREFIX) else ""
    if number.isdigit() and len(number) <= 18:
        return TestData.RUN.value, int(number)
    raise UnknownData(f"Unknown data {value[:40]!r}.")


def event_data(workflow: Workflow, kind: str, run_id: int | None = None) -> EventData:
    """The merge data of ``kind`` for ``workflow``; ``UnknownData`` for a run that is not one of
    its real runs."""
    if kind in (TestData.REGISTERED, TestData.GUEST):
        guest = kind == TestData.GUEST
        resources = sample_resources(
            workflow.event, store_hash=workflow.authentication.store_hash, guest=guest
        )
        merge_data = build_merge_data(workflow.event, resources, ALL)
        return EventData(TestData(kind).value, merge_data, TestData(kind).label)
    if kind != TestData.RUN:
        raise UnknownData(f"Unknown data {str(kind)[:40]!r}.")
    run = (
        WorkflowRun.objects.filter(workflow=workflow, is_test=False, pk=run_id)
        .only("pk", "workflow_id", "created_at", "order_id", "merge_data")
        .first()
        if isinstance(run_id, int)
        else None
    )
    if run is None:
        raise UnknownData(f"Run {run_id} is not a real run of this workflow.")
    return EventData(TestData.RUN.value, dict(run.merge_data), run_label(run), run)
