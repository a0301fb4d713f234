"""The ``delay`` step: the run waits, then the engine resumes it at ``resume_at``.

Besides a duration, a delay can go on until the next allowed weekday at a time of day in the
store's time zone (``then_weekdays`` "01234" = Monday to Friday, ``then_time`` "10:00"): "3 days,
then the next weekday at 10:00" (``workflows/sending/window.py`` does the clock arithmetic).
"""

from __future__ import annotations

import re
from datetime import UTC, time, timedelta

from workflows.sending import window

from .base import FieldErrors, StepContext, StepKind, StepOutcome, StepStatus

MAX_DELAY = timedelta(days=365)
UNITS: dict[str, timedelta] = {
    "minutes": timedelta(minutes=1),
    "hours": timedelta(hours=1),
    "days": timedelta(days=1),
}
# The cap is one year whatever the unit: 525600 minutes, 8760 hours, 365 days.
MAX_AMOUNT: dict[str, int] = {unit: MAX_DELAY // size for unit, size in UNITS.items()}
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_WEEKDAYS_RE = re.compile(r"^[0-6]{1,7}$")


class DelayStep(StepKind):
    type = "delay"
    label = "Delay"
    has_side_effect = False
    fields = ("amount", "unit", "then_weekdays", "then_time")

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
        cleaned = {"amount": amount, "unit": unit}
        then_weekdays, then_time = config.get("then_weekdays"), config.get("then_time")
        if then_weekdays or then_time:
            if not isinstance(then_weekdays, str) or not _WEEKDAYS_RE.match(then_weekdays):
                errors.add(
                    "then_weekdays",
                    "the weekdays to wait for, as digits 0 (Monday) to 6 (Sunday): 01234.",
                )
            if not isinstance(then_time, str) or not _TIME_RE.match(then_time):
                errors.add("then_time", "a time of day as HH:MM (24-hour), e.g. 10:00.")
            if not errors.has("then_weekdays") and not errors.has("then_time"):
                days = "".join(sorted(set(then_weekdays)))
                cleaned.update(then_weekdays=days, then_time=then_time)
        return cleaned

    def execute(self, config: dict, ctx: StepContext) -> StepOutcome:
        amount, unit = config["amount"], config["unit"]
        length = describe(amount, unit)
        if ctx.is_test:
            # Test events shorten delays to zero: the tester sees the whole run at once.
            return StepOutcome(StepStatus.SUCCEEDED, f"Delay of {length} skipped in a test event")
        resume_at = ctx.now + amount * UNITS[unit]
        if config.get("then_time"):
            zone = window.store_zone(ctx.store_timezone)
            days = window.parse_weekdays(config["then_weekdays"])
            resume_at = window.next_at(days, _parse_time(config["then_time"]), resume_at, zone)
            then = f"then until the next {window.weekdays_text(days)} at {config['then_time']}"
            until = window.described(resume_at, zone)
            return StepOutcome(
                StepStatus.WAITING, f"Waiting {length}, {then}: until {until}", resume_at
            )
        until = resume_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return StepOutcome(StepStatus.WAITING, f"Waiting {length}, until {until}", resume_at)


def describe(amount: int, unit: str) -> str:
    """``3 days``, ``1 day``."""
    return f"{amount} {unit if amount != 1 else unit.removesuffix('s')}"


def _parse_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
