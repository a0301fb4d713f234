"""The ``condition`` step: go on when the rules match, otherwise stop the run (not an error)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from workflows.conditions import evaluate, validate_condition

from .base import FieldErrors, StepContext, StepKind, StepOutcome, StepStatus, check_event

# conditions.py names the field first ("rules[1].operator: ..."); its root is the config key.
_FIELD_ROOT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConditionStep(StepKind):
    type = "condition"
    label = "Condition"
    has_side_effect = False
    fields = ("match", "rules")

    def validate(self, config: Any, event_key: str) -> dict:
        # conditions.validate_condition is the one rule book (unknown keys included); this only
        # regroups its messages by config field, keeping their "rules[1].operator:" prefix.
        check_event(event_key)
        try:
            return validate_condition(config, event_key)
        except ValidationError as exc:
            raise _by_field(exc) from None

    def execute(self, config: dict, ctx: StepContext) -> StepOutcome:
        matched, explanation = evaluate(config, ctx.merge_data)
        if matched:
            return StepOutcome(StepStatus.SUCCEEDED, f"Condition met. {explanation}")
        return StepOutcome(StepStatus.STOPPED, f"Condition not met; run stopped. {explanation}")


def _by_field(exc: ValidationError) -> ValidationError:
    errors = FieldErrors()
    for error in exc.error_list:
        params = error.params or {}
        where = params.get("field")
        match = _FIELD_ROOT_RE.match(where) if isinstance(where, str) else None
        if match is None:
            errors.add(NON_FIELD_ERRORS, error)
        elif where == match.group(0) and isinstance(params.get("message"), str):
            errors.add(where, params["message"])  # the key already names the field
        else:
            errors.add(match.group(0), error)  # keep "rules[1].operator: ..." for the position
    return errors.as_error() or exc
