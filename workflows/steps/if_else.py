"""The ``if_else`` step: a condition, the steps to run when it holds ("then") and the steps to
run when it does not ("else"). One level, as in Alchemer's workflow logic: a branch holds
ordinary steps, validated exactly as a workflow's own, never another If / else.

The step itself only decides (no side effect); the engine then runs the chosen branch's steps,
each with its own result row (docs/architecture.md, "The path of one delivery").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from workflows.conditions import evaluate

from .base import FieldErrors, StepContext, StepKind, StepOutcome, StepStatus
from .condition import ConditionStep
from .step_list import StepsValidationError, validate_list

THEN, ELSE = "then", "else"
MAX_BRANCH_STEPS = 20
NESTED = (
    "an If / else can't hold another If / else (one level only): put these steps in this "
    "branch, or add another If / else after this one."
)
# A survey invitation keeps one record per workflow step, and may hold the run for the answer.
OUTSIDE = "a {label} step can't be in a branch: add it to the workflow's own steps."


class IfElseStep(StepKind):
    type = "if_else"
    label = "If / else"
    has_side_effect = False
    fields = ("condition", THEN, ELSE)
    branches = (THEN, ELSE)

    def __init__(self, branch_kinds: Mapping[str, StepKind], all_kinds: Mapping[str, StepKind]):
        self.branch_kinds = branch_kinds
        self.all_kinds = all_kinds  # the others are refused in a branch, saying why
        self._condition = ConditionStep()

    def clean(self, config: dict, event_key: str, errors: FieldErrors) -> dict:
        cleaned: dict[str, Any] = {"condition": self._clean_condition(config, event_key, errors)}
        for branch in self.branches:
            cleaned[branch] = self._clean_branch(config.get(branch), branch, event_key, errors)
        return cleaned

    def _clean_condition(self, config: dict, event_key: str, errors: FieldErrors) -> dict:
        try:
            return self._condition.validate(config.get("condition"), event_key)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    named = field == NON_FIELD_ERRORS or message.startswith(field)
                    errors.add("condition", message if named else f"{field}: {message}")
            return {}

    def _clean_branch(self, steps: Any, branch: str, event_key: str, errors: FieldErrors):
        if steps is None:
            return []
        if not isinstance(steps, list):
            errors.add(branch, "must be a list of steps, each {'type', 'config'}.")
            return []
        if len(steps) > MAX_BRANCH_STEPS:
            errors.add(branch, f"at most {MAX_BRANCH_STEPS} steps per branch (got {len(steps)}).")
            return []
        refused = {
            kind.type: NESTED if kind.type == self.type else OUTSIDE.format(label=kind.label)
            for kind in self.all_kinds.values()
            if kind.type not in self.branch_kinds
        }
        try:
            return validate_list(steps, event_key, self.branch_kinds, refused=refused)
        except StepsValidationError as exc:
            for line in exc.lines():
                errors.add(branch, line)
            return []

    def execute(self, config: dict, ctx: StepContext) -> StepOutcome:
        matched, explanation = evaluate(config["condition"], ctx.merge_data)
        branch = THEN if matched else ELSE
        count = len(config.get(branch) or [])
        steps = f"{count} step" + ("" if count == 1 else "s")
        head = "Condition met" if matched else "Condition not met"
        return StepOutcome(
            StepStatus.SUCCEEDED,
            f"{head}: the “{branch}” branch runs ({steps}). {explanation}",
            branch=branch,
        )
