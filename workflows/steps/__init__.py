"""Workflow step kinds: validation of each step's config on save and its execution in a run.

Plain code with no database access; the run engine owns runs, their state and idempotency.
"""

from .base import StepContext, StepKind, StepOutcome, StepStatus
from .registry import (
    MAX_STEPS_PER_WORKFLOW,
    STEP_KINDS,
    StepsValidationError,
    get_kind,
    validate_step,
    validate_steps,
)

__all__ = [
    "MAX_STEPS_PER_WORKFLOW",
    "STEP_KINDS",
    "StepContext",
    "StepKind",
    "StepOutcome",
    "StepStatus",
    "StepsValidationError",
    "get_kind",
    "validate_step",
    "validate_steps",
]
