"""Deliveries held back by trigger filters: the split in the fan-out, the rows that count
them, and the counts the delivery page and the dashboard read (docs/architecture.md,
"Trigger filters"). The rules themselves are in ``trigger_filters.py``."""

from __future__ import annotations

from integrations.models import WebhookDelivery
from workflows.models import FilteredDelivery, Workflow
from workflows.trigger_filters import held_back

MAX_NOTE_WORKFLOWS = 5


def split(
    workflows: list[Workflow], merge_data: dict
) -> tuple[list[Workflow], list[tuple[Workflow, str]]]:
    """The workflows the delivery starts, and those whose filter holds it back (with why)."""
    passed, held = [], []
    for workflow in workflows:
        reason = held_back(workflow.event, workflow.trigger_filter or {}, merge_data)
        if reason:
            held.append((workflow, reason))
        else:
            passed.append(workflow)
    return passed, held


def record(delivery: WebhookDelivery, held: list[tuple[Workflow, str]]) -> None:
    """One row per workflow that held the delivery back (a replay holds it back once)."""
    if held:
        FilteredDelivery.objects.bulk_create(
            [FilteredDelivery(delivery=delivery, workflow=wf, reason=why) for wf, why in held],
            ignore_conflicts=True,
        )


def note(held: list[tuple[Workflow, str]]) -> str:
    """The delivery's note: which workflows held it back and why ("" when none did)."""
    if not held:
        return ""
    lines = [f"“{wf.name}”: {why}" for wf, why in held[:MAX_NOTE_WORKFLOWS]]
    if len(held) > MAX_NOTE_WORKFLOWS:
        lines.append(f"and {len(held) - MAX_NOTE_WORKFLOWS} more")
    return f"Held back by the trigger filter of {len(held)} workflow(s), no run: " + "; ".join(
        lines
    )


def for_delivery(delivery_id: int) -> list[FilteredDelivery]:
    """The workflows that held this delivery back, for its page."""
    return list(
        FilteredDelivery.objects.filter(delivery_id=delivery_id)
        .select_related("workflow")
        .only("reason", "created_at", "workflow__name", "workflow__account_id")
        .order_by("workflow_id")
    )
