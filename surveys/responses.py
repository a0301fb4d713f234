"""Responses: the rules of one invitation's answers.

- A response starts on the first click of a score link (the first question answered: a
  partial response) or on the first submit of the page.
- It stays editable until it **closes**: a day after it is first submitted (``EDIT_WINDOW``),
  or when the invitation expires, whichever comes first. A closed or expired invitation's page
  says so (410) and changes nothing.
- While the run that sent the invitation waits for it, each change is copied into the run's
  merge data (``[Survey | score]``, ``[Survey | outcome]``, ``[Survey | status]``,
  ``[Survey | key]``), and the first submit wakes the run at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction

from initiator_site.db import fast_select
from surveys import codes, tokens
from surveys.models import Invitation, Question, SurveyResponse
from surveys.scales import is_scale, outcome_of
from workflows import broker
from workflows.models import RunStatus, WorkflowRun

EDIT_WINDOW = timedelta(days=1)


class State(StrEnum):
    OPEN = "open"  # unanswered, partial, or submitted and still editable
    CLOSED = "closed"  # submitted, and its edit window is over
    EXPIRED = "expired"  # never submitted, and the invitation's time is up


class NotOpen(Exception):
    def __init__(self, state: State):
        super().__init__(state)
        self.state = state


# The columns the response page and the saving of answers read (the token itself is never
# read: it would be decrypted).
PAGE_COLUMNS = (
    "survey_id", "workflow_id", "run_id", "authentication_id", "step_position", "order_id",
    "cart_id", "customer_id", "email", "is_test", "merge_snapshot", "expires_at", "closed_at",
    "survey__updated_at", "survey__thank_you_text", "survey__promoter_redirect_url",
    "survey__passive_redirect_url", "survey__detractor_redirect_url",
    "response__invitation", "response__answers", "response__score", "response__outcome",
    "response__submitted_at",
)  # fmt: skip
# Compiled once, not on every request: compiling it cost more than the rest of the page.
_BY_TOKEN_HASH = fast_select.Lookup(
    lambda token_hash: (
        Invitation.objects.select_related("survey", "response")
        .only(*PAGE_COLUMNS)
        .filter(token_hash=token_hash)
    )
)


def find(token: str) -> Invitation | None:
    """The invitation a token opens (its survey and response loaded: one query); None for any
    other text. Only a well-formed token costs a query."""
    if not isinstance(token, str) or not tokens.well_formed(token):
        return None
    return _BY_TOKEN_HASH.first(tokens.digest(token))


# The questions of the surveys whose pages were shown, per process: (survey's updated_at,
# questions). Every change of a survey's questions saves the survey (surveys.services, the
# admin), which moves its updated_at, so a stale entry is never used.
_QUESTIONS: dict[int, tuple[datetime, list[Question]]] = {}
MAX_CACHED_SURVEYS = 500


def questions_of(survey) -> list[Question]:
    """The survey's questions in order; a query only when the survey changed since."""
    cached = _QUESTIONS.get(survey.pk)
    if cached is not None and cached[0] == survey.updated_at:
        return cached[1]
    questions = list(survey.questions.order_by("position", "pk"))
    if len(_QUESTIONS) >= MAX_CACHED_SURVEYS:
        _QUESTIONS.clear()
    _QUESTIONS[survey.pk] = (survey.updated_at, questions)
    return questions


def response_of(invitation: Invitation) -> SurveyResponse | None:
    try:
        return invitation.response
    except SurveyResponse.DoesNotExist:
        return None


def state_of(invitation: Invitation, now: datetime) -> State:
    if invitation.closed_at is not None and invitation.closed_at <= now:
        return State.CLOSED
    if invitation.expires_at <= now:
        return State.CLOSED if invitation.closed_at is not None else State.EXPIRED
    return State.OPEN


def answer_first(
    invitation: Invitation, questions: Sequence[Question], answer: Any, now: datetime
) -> SurveyResponse:
    """A score link's click: the first question's answer, kept with any others given."""
    current = response_of(invitation)
    answers = dict(current.answers) if current is not None else {}
    answers[questions[0].key] = answer
    return save(invitation, questions, answers, now, submit=False)


def save(
    invitation: Invitation,
    questions: Sequence[Question],
    answers: dict[str, Any],
    now: datetime,
    *,
    submit: bool,
) -> SurveyResponse:
    """Store the answers (already checked by ``surveys.answers``); `submit` completes the
    response. Raises `NotOpen` when the invitation no longer takes answers."""
    state = state_of(invitation, now)
    if state is not State.OPEN:
        raise NotOpen(state)
    first = questions[0] if questions else None
    answer = answers.get(first.key) if first is not None else None
    score = answer if first is not None and is_scale(first.kind) else None
    outcome = outcome_of(first.kind, answer) if first is not None else ""
    with transaction.atomic():
        response = _upsert(invitation, answers, score, outcome)
        first_submit = submit and response.submitted_at is None
        if first_submit:
            response.submitted_at = now
            response.save(update_fields=["submitted_at"])
            invitation.closed_at = min(now + EDIT_WINDOW, invitation.expires_at)
            invitation.next_reminder_at = None
            invitation.save(update_fields=["closed_at", "next_reminder_at"])
        _share_with_run(invitation, response, wake=first_submit, now=now)
    return response


def _upsert(invitation, answers, score, outcome) -> SurveyResponse:
    fields = {"answers": answers, "score": score, "outcome": outcome}
    response = response_of(invitation)
    if response is None:
        try:
            with transaction.atomic():
                response = SurveyResponse.objects.create(
                    invitation=invitation,
                    survey_id=invitation.survey_id,
                    workflow_id=invitation.workflow_id,
                    run_id=invitation.run_id,
                    authentication_id=invitation.authentication_id,
                    order_id=invitation.order_id,
                    cart_id=invitation.cart_id,
                    customer_id=invitation.customer_id,
                    email=invitation.email,
                    is_test=invitation.is_test,
                    **fields,
                )
            invitation.response = response
            return response
        except IntegrityError:  # a second click at the same moment: update theirs
            response = SurveyResponse.objects.get(invitation=invitation)
    for name, value in fields.items():
        setattr(response, name, value)
    response.save(update_fields=[*fields, "updated_at"])
    invitation.response = response
    return response


def _share_with_run(invitation, response, *, wake: bool, now: datetime) -> None:
    """While the inviting run waits on the step after the invitation, give it the answers;
    on the first submit, make it due now (and hand it to a worker after the commit)."""
    if invitation.run_id is None or invitation.is_test:
        return
    run = (
        WorkflowRun.objects.select_for_update()
        .filter(
            pk=invitation.run_id,
            status=RunStatus.WAITING,
            next_position=invitation.step_position + 1,
        )
        .only("pk", "merge_data", "resume_at")
        .first()
    )
    if run is None:
        return
    status = "submitted" if response.submitted_at is not None else "partial"
    values = codes.merge_values(
        response.answers, score=response.score, outcome=response.outcome, status=status
    )
    kept = {code: value for code, value in run.merge_data.items() if not codes.is_survey(code)}
    run.merge_data = {**kept, **values}
    fields = ["merge_data"]
    if wake and run.resume_at is not None and run.resume_at > now:
        run.resume_at = now
        fields.append("resume_at")
        transaction.on_commit(lambda: broker.enqueue_run(run.pk))
    run.save(update_fields=fields)
