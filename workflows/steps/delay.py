"""The ``delay`` step: the run waits, then the engine resumes it at ``resume_at``."""

from __future__ import annotations

from datetime import UTC, timedelta

from .base import FieldErrors, StepContext, StepKind, StepOutcome, StepStatus

MAX_DELAY = timedelta(days=365)
UNITS: dict[str, timedelta] = {
    "minutes": timedelta(minutes=1),
    "hours": timedelta(hours=1),
    "days": timedelta(days=1),
}
# The cap is one year whatever the unit: 525600 minutes, 8760 hours, 365 days.
MAX_AMOUNT: dict[str, int] = {unit: MAX_DELAY // size for unit, size in UNITS.items()}


class DelayStep(StepKind):
    type = "delay"
    label = "Delay"
    has_side_effect = False
    fields = ("amount", "unit")

    def clean(self, config: dict, event_key: str, errors: FieldErrors) -> dict:
        unit = config.get("unit")
        known_unit = unit if isinstance(unit, str) and unit in UNITS else None
        if unit is None or unit == "":
            errors.add("unit", f"this field is required; one of {', '.join(UNITS)}.")
        elif known_unit is None:
            errors.add("unit", f"must be one of {', '.join(UNITS)}.")

        amount = config.get("amount")
        # bool is an int subclass, but `true` days is a mistake, not 1 day.
        if amount is None:
            errors.add("amount", "this field is required.")
        elif isinstance(amount, bool) or not isinstance(amount, int):
            errors.add("amount", "must be a whole number.")
        elif known_unit and not 1 <= amount <= MAX_AMOUNT[known_unit]:
            limit = MAX_AMOUNT[known_unit]
            errors.add("amount", f"must be between 1 and {limit} {known_unit} (one year).")
        elif amount < 1:
            errors.add("amount", "must be at least 1.")
        return {"amount": amount, "unit": unit}

    def execute(self, config: dict, ctx: StepContext) -> StepOutcome:
        amount, unit = config["amount"], config["unit"]
        length = describe(amount, unit)
        if ctx.is_test:
            # Test events shorten delays to zero: the tester sees the whole run at once.
            return StepOutcome(StepStatus.SUCCEEDED, f"Delay of {length} skipped in a test event")
        resume_at = ctx.now + amount * UNITS[unit]
        until = resume_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return StepOutcome(StepStatus.WAITING, f"Waiting {length}, until {until}", resume_at)


def describe(amount: int, unit: str) -> str:
    """``3 days``, ``1 day``."""
    return f"{amount} {unit if amount != 1 else unit.removesuffix('s')}"
