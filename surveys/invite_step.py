"""The ``survey_invite`` step: a ``send_email`` step whose email invites the customer to a
survey of the account (``[Survey | link]``, ``[Survey | score_links]``).

Before it sends (the sending gate has let it through), ``prepare`` makes the run's invitation
for this step, once (``surveys.invitations.invite``), and adds its links to the merge data the
email renders with. The email itself is ``send_email``'s: the same recipients, rendering,
sanitising, unsubscribe headers and link. Options: the invitation's life (``expiry_days``),
up to two reminders (``reminder_days``: days after the previous email, sent by
``surveys.reminders`` only while unanswered), and ``wait_days``: the run waits up to that long
for the response (it resumes at once when the response is submitted), so that later steps can
read ``[Survey | score]`` and the answers. docs/architecture.md, "Feedback surveys".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta
from typing import Any

from surveys import codes, invitations
from surveys.models import Survey
from workflows.merge_codes import find_codes
from workflows.steps.base import FieldErrors, StepContext, StepFailed, StepOutcome, StepStatus
from workflows.steps.send_email import SendEmailStep, render_recipients

MAX_EXPIRY_DAYS = 365
DEFAULT_EXPIRY_DAYS = 30
MAX_REMINDERS = 2
MAX_REMINDER_DAYS = 60
MAX_WAIT_DAYS = 60
NO_PUBLIC_ADDRESS = (
    "Not sent: the survey link needs this app's public address; set PUBLIC_BASE_URL."
)


class SurveyInviteStep(SendEmailStep):
    type = "survey_invite"
    label = "Survey invitation"
    fields = (*SendEmailStep.fields, "survey", "expiry_days", "reminder_days", "wait_days")

    def clean(self, config: dict, event_key: str, errors: FieldErrors) -> dict:
        cleaned = super().clean(config, event_key, errors)
        body = cleaned.get("body") or ""
        if (
            body
            and not errors.has("body")
            and not {codes.LINK, codes.SCORE_LINKS} & set(find_codes(body))
        ):
            errors.add(
                "body",
                f"must contain [{codes.LINK}] or [{codes.SCORE_LINKS}]: the customer's way "
                "to the survey.",
            )
        cleaned["survey"] = _whole(config, "survey", errors, low=1, high=2**63 - 1)
        expiry = _whole(
            config, "expiry_days", errors, low=1, high=MAX_EXPIRY_DAYS, default=DEFAULT_EXPIRY_DAYS
        )
        cleaned["expiry_days"] = expiry
        cleaned["reminder_days"] = _reminders(config.get("reminder_days"), errors)
        wait = _whole(config, "wait_days", errors, low=0, high=MAX_WAIT_DAYS, default=0)
        if isinstance(wait, int) and isinstance(expiry, int) and wait > expiry:
            errors.add("wait_days", "must not be longer than the invitation's expiry_days.")
        cleaned["wait_days"] = wait
        return cleaned

    def summary(self, config: dict) -> str:
        name = Survey.objects.filter(pk=config.get("survey")).values_list("name", flat=True)
        text = f"Survey “{next(iter(name), '(deleted)')}” to {config.get('to')}"
        reminders = config.get("reminder_days") or []
        if reminders:
            text += f" · reminders after {' and '.join(str(d) for d in reminders)} day(s)"
        if config.get("wait_days"):
            text += f" · waits up to {config['wait_days']} day(s) for the answer"
        return text

    def account_problems(self, config: dict, account_id: int) -> dict[str, list[str]]:
        if Survey.objects.filter(pk=config.get("survey"), account_id=account_id).exists():
            return {}
        return {"survey": [f"no survey #{config.get('survey')} in your account."]}

    def prepare(self, config: dict, ctx: StepContext, run, position: int) -> StepContext:
        recipients, problem = render_recipients(config["to"], ctx.merge_data)
        email = ctx.test_recipient if ctx.is_test else (recipients[0] if recipients else "")
        if not email or (problem is not None and not ctx.is_test):
            return ctx  # `execute` fails with send_email's own message
        try:
            _invitation, token, questions = invitations.invite(
                run, position, config, email=email, now=ctx.now
            )
        except invitations.NoSurvey as exc:
            raise StepFailed(f"Not sent: {exc}") from None
        links = invitations.link_values_for(token, questions)
        if not links:
            raise StepFailed(NO_PUBLIC_ADDRESS)
        return replace(ctx, merge_data={**ctx.merge_data, **links})

    def execute(self, config: dict, ctx: StepContext) -> StepOutcome:
        if codes.LINK not in ctx.merge_data:
            recipients_problem = render_recipients(config["to"], ctx.merge_data)[1]
            if recipients_problem is not None or (ctx.is_test and not ctx.test_recipient):
                return super().execute(config, ctx)  # its message says what is wrong
            return StepOutcome(StepStatus.FAILED, NO_PUBLIC_ADDRESS)
        outcome = super().execute(config, ctx)
        if outcome.status != StepStatus.SUCCEEDED:
            return outcome
        expires = ctx.now + timedelta(days=config["expiry_days"])
        detail = f"{outcome.detail}. Survey open until {_utc(expires)}"
        wait = config["wait_days"]
        if not wait:
            return replace(outcome, detail=detail)
        if ctx.is_test:
            return replace(outcome, detail=f"{detail}; a test event does not wait for the answer")
        until = ctx.now + timedelta(days=wait)
        return replace(
            outcome,
            detail=f"{detail}; waiting for the response until {_utc(until)}",
            wait_after=until,
        )


def _utc(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _whole(
    config: dict, name: str, errors: FieldErrors, *, low: int, high: int, default=None
) -> Any:
    value = config.get(name)
    if value is None or value == "":
        if default is None:
            errors.add(name, "this field is required.")
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(name, "must be a whole number.")
        return None
    if not low <= value <= high:
        errors.add(name, f"must be between {low} and {high}.")
        return None
    return value


def _reminders(value: Any, errors: FieldErrors) -> list[int]:
    if value is None or value == []:
        return []
    if not isinstance(value, list) or len(value) > MAX_REMINDERS:
        errors.add(
            "reminder_days",
            f"a list of at most {MAX_REMINDERS} numbers of days (each after the previous email).",
        )
        return []
    days = []
    for day in value:
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= MAX_REMINDER_DAYS:
            errors.add(
                "reminder_days", f"each must be a whole number from 1 to {MAX_REMINDER_DAYS}."
            )
            return []
        days.append(day)
    return days
