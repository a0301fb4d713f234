"""The step kinds by type, and validation of a workflow's whole step list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError

from .base import StepKind, check_event
from .condition import ConditionStep
from .delay import DelayStep
from .http_request import HttpRequestStep
from .if_else import IfElseStep
from .send_email import SendEmailStep
from .step_list import StepsValidationError, kind_in, unstorable_fields, validate_list

# Keys are workflows.models.StepType values (a test keeps them in step; importing the models
# here would tie this package to the app registry and invite import cycles).
# A branch of an If / else holds any kind but another If / else (one level, as in Alchemer).
BRANCH_KINDS: dict[str, StepKind] = {
    kind.type: kind for kind in (ConditionStep(), SendEmailStep(), HttpRequestStep(), DelayStep())
}
# Kinds of other apps (`register`) join the workflow's own steps only.
STEP_KINDS: dict[str, StepKind] = dict(BRANCH_KINDS)
STEP_KINDS[IfElseStep.type] = IfElseStep(BRANCH_KINDS, STEP_KINDS)
MAX_STEPS_PER_WORKFLOW = 50

__all__ = [
    "BRANCH_KINDS",
    "MAX_STEPS_PER_WORKFLOW",
    "STEP_KINDS",
    "StepsValidationError",
    "each_step",
    "get_kind",
    "validate_step",
    "validate_steps",
]


def register(kind: StepKind) -> None:
    """Add a kind defined by another app (surveys' ``survey_invite``), from its ``ready()``."""
    known = STEP_KINDS.get(kind.type)
    if known is not None and type(known) is not type(kind):
        raise ValueError(f"The step type {kind.type!r} is registered already")
    STEP_KINDS[kind.type] = kind


def check_account(steps: list[dict], account_id: int) -> None:
    """Validated steps must name only their account's own records (a survey): raises
    ``StepsValidationError`` like `validate_steps` otherwise."""
    errors: dict[int, dict[str, Any]] = {}
    labels: dict[int, str] = {}
    for index, step in enumerate(steps):
        kind = get_kind(step["type"])
        problems = kind.account_problems(step["config"], account_id)
        if problems:
            errors[index], labels[index] = {"config": problems}, kind.label
    if errors:
        raise StepsValidationError(errors, labels, len(steps))


def get_kind(step_type: Any) -> StepKind:
    """The kind for ``step_type`` (a StepType or its value); ``ValidationError`` if unknown."""
    return kind_in(STEP_KINDS, step_type)


def validate_step(step_type: Any, config: Any, event_key: str) -> dict:
    """The cleaned config of one step; ``ValidationError`` keyed by ``type`` or config field."""
    try:
        kind = get_kind(step_type)
    except ValidationError as exc:
        raise ValidationError({"type": exc}) from None
    problems = unstorable_fields(config, keys_only=True)
    if problems:
        raise ValidationError(problems)
    cleaned = kind.validate(config, event_key)
    problems = unstorable_fields(cleaned)
    if problems:
        raise ValidationError(problems)
    return cleaned


def validate_steps(steps: Any, event_key: str) -> list[dict]:
    """``[{"type", "config"}, ...]`` -> the same, cleaned, in order.

    Raises ``ValidationError({"steps": ...})`` for a non-list or more than
    ``MAX_STEPS_PER_WORKFLOW`` steps, and ``StepsValidationError`` for problems in steps.
    Keys other than ``type`` and ``config`` (an id, a position) are ignored and not returned.
    """
    check_event(event_key)
    if not isinstance(steps, list):
        raise ValidationError({"steps": "must be a list of steps."})
    if len(steps) > MAX_STEPS_PER_WORKFLOW:
        raise ValidationError(
            {"steps": f"at most {MAX_STEPS_PER_WORKFLOW} steps per workflow (got {len(steps)})."}
        )
    return validate_list(steps, event_key, STEP_KINDS)


def each_step(step_type: str, config: dict) -> Iterator[tuple[StepKind, dict]]:
    """A stored step's kind and config, then those of the steps in its branches (an If /
    else's), so that a rule about every step that runs sees them all."""
    kind = get_kind(step_type)
    yield kind, config
    for branch in kind.branches:
        for inner in config.get(branch) or []:
            yield get_kind(inner["type"]), inner["config"]
