"""What every step kind shares: the run context it gets, the outcome it returns, and the
small validation helpers that turn config problems into per-field ``ValidationError``s.

Step kinds never touch the database: the run engine owns runs, idempotency and state; a kind
only validates its config and, in a run, computes an outcome (performing at most one side
effect: one email or one HTTP request). Two hooks are the exception, for a kind that names or
keeps records of its own (a survey invitation): ``account_problems`` checks that a config
names the account's own records, and ``prepare`` stores the step's record before its effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from integrations.events import EVENTS
from workflows.merge_codes import validate_text
from workflows.states import StepStatus

MAX_DETAIL_LENGTH = 2000  # a step log line, not a document


@dataclass(frozen=True)
class StepContext:
    """What a step may know about the run it executes in."""

    run_id: int | None  # None while a new run's first steps are evaluated, before it is stored
    workflow_id: int
    event_key: str
    merge_data: Mapping[str, Any]
    is_test: bool = False
    test_recipient: str | None = None  # test runs: emails go ONLY to this address
    now: datetime = field(default_factory=timezone.now)
    # A customer email's unsubscribe link (given by the sending gate, see workflows/sending).
    unsubscribe_url: str | None = None
    store_timezone: str = ""  # IANA name; "" when unknown (times are then UTC)
    store_name: str = ""  # the authentication's, for when the merge data has no `Store | name`
    test_sends_http: bool = False  # test runs: perform HTTP steps only when the tester asked


@dataclass(frozen=True)
class EmailCopy:
    """An email as it was handed to the email backend, for the run's record."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str = ""  # "" for a plain-text email


@dataclass(frozen=True)
class StepOutcome:
    """The result of executing one step; ``detail`` is shown in the run's step log."""

    status: str  # a StepStatus value (never RUNNING: that is a stored row's state only)
    detail: str  # human text, never secrets
    resume_at: datetime | None = None  # set exactly when status is "waiting"
    skip_reason: str = ""  # a SkipReason value when status is "skipped"
    message_id: str = ""  # an email's id at the provider, when it gives one
    email: EmailCopy | None = None  # the email sent, recorded on the run
    branch: str = ""  # the branch an If / else took ("then" or "else"), for the engine to run
    # A step that succeeded but holds the run until then (an invitation waiting for its
    # response); the run goes on from the next step.
    wait_after: datetime | None = None

    def __post_init__(self) -> None:
        status = StepStatus(self.status)  # ValueError for a typo: a bug, not a user error
        if status is StepStatus.RUNNING:
            raise ValueError("a step's outcome is where it ended, never 'running'")
        if (status is StepStatus.WAITING) != (self.resume_at is not None):
            raise ValueError("resume_at is required for 'waiting' and only for it")
        if self.wait_after is not None and status is not StepStatus.SUCCEEDED:
            raise ValueError("wait_after is for a step that succeeded")
        object.__setattr__(self, "status", status.value)
        if len(self.detail) > MAX_DETAIL_LENGTH:
            object.__setattr__(self, "detail", self.detail[: MAX_DETAIL_LENGTH - 1] + "…")


class StepKind:
    """One step type: validation on save, execution in a run. Subclasses are stateless."""

    type: ClassVar[str]  # a workflows.models.StepType value
    label: ClassVar[str]  # for messages: "Send email"
    has_side_effect: ClassVar[bool] = False  # the engine never repeats an interrupted one
    # The engine asks the sending gate before executing it (workflows/sending/gate.py), with
    # the recipients `customer_recipients` names.
    sends_customer_email: ClassVar[bool] = False
    fields: ClassVar[tuple[str, ...]] = ()  # the config's keys
    # Config keys holding lists of steps (an If / else's "then" and "else"): the engine runs
    # the one its outcome names, each step with its own result row.
    branches: ClassVar[tuple[str, ...]] = ()

    def validate(self, config: Any, event_key: str) -> dict:
        """The cleaned config, or a ``ValidationError`` whose message dict is keyed by config
        field (``__all__`` for problems with the config as a whole)."""
        check_event(event_key)
        if not isinstance(config, dict):
            raise ValidationError(
                {NON_FIELD_ERRORS: f"must be an object with {_quoted(self.fields)}."}
            )
        errors = FieldErrors()
        for key in sorted(set(config) - set(self.fields), key=str):
            errors.add(str(key), f"unknown field; a {self.label} step has {_quoted(self.fields)}.")
        cleaned = self.clean(config, event_key, errors)
        errors.raise_if_any()
        return cleaned

    def clean(self, config: dict, event_key: str, errors: FieldErrors) -> dict:
        """Check a config dict (its keys already checked); add problems to ``errors``."""
        raise NotImplementedError

    def execute(self, config: dict, ctx: StepContext) -> StepOutcome:
        """Run the step with a validated config."""
        raise NotImplementedError

    def summary(self, config: dict) -> str:
        """One line saying what the step does, for the workflow page (kinds of other apps)."""
        return ""

    def account_problems(self, config: dict, account_id: int) -> dict[str, list[str]]:
        """Problems, by config field, with the records of its account the config names (a
        survey of another account); none for most kinds."""
        return {}

    def prepare(self, config: dict, ctx: StepContext, run, position: int) -> StepContext:
        """Called by the engine once the step may run (after the sending gate), before
        `execute`: store what the step keeps (idempotently, by run and position) and return
        the context it executes with. Raise ``StepFailed`` to fail the step."""
        return ctx

    def customer_recipients(self, config: dict, merge_data: Mapping[str, Any]) -> list[str]:
        """The addresses this step would email that came from merge codes (customer emails)."""
        return []

    def customer_recipients_possible(self, config: dict) -> bool:
        """Whether the config names a recipient by merge code (known before any run)."""
        return False

    def codes_needed(self, config: dict) -> tuple[str, ...]:
        """Codes the step reads besides those its texts name (fetched like them)."""
        return ()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.type!r}>"


class StepFailed(Exception):
    """Raised by `StepKind.prepare`: the step fails, its message the step's log line."""


class FieldErrors:
    """Collects problems per config field so that one save reports all of them."""

    def __init__(self) -> None:
        self._errors: dict[str, list[ValidationError]] = {}

    def add(self, field_name: str, message: str | ValidationError) -> None:
        error = message if isinstance(message, ValidationError) else _plain(message)
        if hasattr(error, "error_dict"):  # a nested dict: keep its messages, flattened
            error = ValidationError([_plain(text) for text in error.messages])
        self._errors.setdefault(field_name, []).extend(error.error_list)

    def has(self, field_name: str) -> bool:
        return field_name in self._errors

    def as_error(self) -> ValidationError | None:
        return ValidationError(self._errors) if self._errors else None

    def raise_if_any(self) -> None:
        error = self.as_error()
        if error is not None:
            raise error


def check_event(event_key: str) -> None:
    """Steps are validated against their workflow's event; an unknown one is refused."""
    if event_key not in EVENTS:
        raise ValidationError(
            {NON_FIELD_ERRORS: _plain(f"unknown event {event_key!r}; valid: {', '.join(EVENTS)}.")}
        )


def clean_text(
    config: Mapping[str, Any],
    name: str,
    errors: FieldErrors,
    *,
    event_key: str,
    max_length: int,
    required: bool = True,
    strip: bool = True,
) -> str:
    """A text field: a string, within ``max_length``, naming only the event's merge codes.

    Returns the cleaned text ("" when missing or invalid; ``errors`` says why).
    """
    value = config.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(name, "must be text.")
        return ""
    if strip:
        value = value.strip()
    if not value:
        if required:
            errors.add(name, "this field is required.")
        return ""
    if len(value) > max_length:
        # Checked before merge codes: no point scanning (or echoing) an oversized value.
        errors.add(name, f"at most {max_length} characters (this has {len(value)}).")
        return ""
    try:
        validate_text(value, event_key)
    except ValidationError as exc:
        errors.add(name, exc)
    return value


def _plain(message: str) -> ValidationError:
    # User text may contain "%": keep it in params so it is never taken for a placeholder.
    return ValidationError("%(message)s", params={"message": message})


def _quoted(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{name}'" for name in names)
