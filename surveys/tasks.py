"""django-q2 task entry points of the surveys app (thin: the rules are in plain modules)."""

from __future__ import annotations

from surveys import reminders


def send_reminders() -> dict[str, int]:
    """Periodic: email the survey reminders that are due (see ``surveys.reminders``)."""
    return reminders.send_due().as_dict()
