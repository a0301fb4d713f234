"""List edits behind the steps editor: the whole list is re-validated and saved through
``services.update_workflow`` (positions always 0..n-1). An If / else's branch is a list too:
it is edited with the same functions, then put back in its step (`with_branch`)."""

from __future__ import annotations

from workflows import services
from workflows.steps.registry import check_account, get_kind, validate_steps


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


def branch_of(steps: list[dict], position: int, branch: str) -> list[dict]:
    """The steps in `branch` of the If / else at `position`; ``LookupError`` when that step
    is not one or has no such branch."""
    if not 0 <= position < len(steps):
        raise LookupError(position)
    step = steps[position]
    if branch not in get_kind(step["type"]).branches:
        raise LookupError(branch)
    return list(step["config"].get(branch) or [])


def with_branch(steps: list[dict], position: int, branch: str, branch_steps: list[dict]):
    """The list with `branch` of the If / else at `position` replaced by `branch_steps`."""
    step = steps[position]
    config = {**step["config"], branch: branch_steps}
    return replaced(steps, position, {"type": step["type"], "config": config})
