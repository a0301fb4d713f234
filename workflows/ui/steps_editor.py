"""List edits behind the steps editor: the whole list is re-validated and saved through
``services.update_workflow`` (positions always 0..n-1)."""

from __future__ import annotations

from workflows import services
from workflows.steps.registry import check_account, validate_steps


def current(workflow) -> list[dict]:
    return [{"type": s.type, "config": s.config} for s in workflow.steps.order_by("position")]


def save(workflow, steps: list[dict]) -> None:
    """Validate the list (step count included) and store it; ``ValidationError`` otherwise."""
    cleaned = validate_steps(steps, workflow.event)
    check_account(cleaned, workflow.account_id)
    services.update_workflow(workflow, steps=cleaned)


def added(steps: list[dict], step: dict) -> list[dict]:
    return [*steps, step]


def replaced(steps: list[dict], position: int, step: dict) -> list[dict]:
    return [step if i == position else s for i, s in enumerate(steps)]


def moved(steps: list[dict], position: int, offset: int) -> list[dict]:
    """The step at ``position`` moved by ``offset`` (-1 up, +1 down), clamped to the list."""
    target = min(max(position + offset, 0), len(steps) - 1)
    result = list(steps)
    result.insert(target, result.pop(position))
    return result


def removed(steps: list[dict], position: int) -> list[dict]:
    return [s for i, s in enumerate(steps) if i != position]
