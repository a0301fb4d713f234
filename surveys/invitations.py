"""Invitations: made by a ``survey_invite`` step (once per run and step, whatever retries),
with the merge values the response page will need, and the links the email carries."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from integrations.merge_data import resources_in, subject_keys
from surveys import codes, tokens
from surveys.models import Invitation, Question, Survey
from surveys.scales import link_values
from workflows.merge_codes import codes_used
from workflows.merge_filters import Fragment


class NoSurvey(Exception):
    """The step names a survey its account no longer has."""


def survey_texts(survey: Survey, questions: list[Question]) -> list[str]:
    """Every text of the survey that may hold merge codes."""
    return [
        *(question.text for question in questions),
        survey.thank_you_text,
        survey.promoter_redirect_url,
        survey.passive_redirect_url,
        survey.detractor_redirect_url,
    ]


def snapshot(survey: Survey, questions: list[Question], merge_data: Mapping[str, Any]) -> dict:
    """The merge values the survey's texts read (their formats' needs included), and no more:
    the response page renders from this, never from the run."""
    return {
        code: merge_data.get(code) for code in sorted(codes_used(survey_texts(survey, questions)))
    }


EMAIL_FIELDS = ("to", "subject", "body", "format")


def invite(
    run, position: int, config: dict, *, email: str, now
) -> tuple[Invitation, str, list[Question]]:
    """The invitation of step `position` of `run` (its `config` a ``survey_invite`` step's):
    made on the first call, the same one (and token) on a retry. Raises `NoSurvey` when the
    survey is not the run's account's."""
    survey_id = config["survey"]
    survey = Survey.objects.filter(pk=survey_id, account_id=run.workflow.account_id).first()
    if survey is None:
        raise NoSurvey(f"The survey #{survey_id} no longer exists; choose another in the step.")
    questions = list(survey.questions.order_by("position", "pk"))
    existing = Invitation.objects.filter(run_id=run.pk, step_position=position).first()
    if existing is not None:
        return existing, existing.token, questions
    keys = subject_keys(run.workflow.event, resources_in(run.merge_data))
    token = tokens.new_token()
    days = [] if run.is_test else list(config["reminder_days"])
    invitation = Invitation(
        token_hash=tokens.digest(token),
        token=token,
        account_id=run.workflow.account_id,
        survey=survey,
        workflow_id=run.workflow_id,
        run_id=run.pk,
        step_position=position,
        authentication_id=run.workflow.authentication_id,
        order_id=_id_in(keys.get("order")),
        cart_id=(_id_text(keys.get("cart")) or "")[:100],
        customer_id=_id_in(keys.get("customer")),
        email=email[:254],
        is_test=run.is_test,
        merge_snapshot=snapshot(survey, questions, run.merge_data),
        email_config={name: config.get(name, "") for name in EMAIL_FIELDS},
        reminder_days=days,
        next_reminder_at=now + timedelta(days=days[0]) if days else None,
        expires_at=now + timedelta(days=config["expiry_days"]),
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:  # a duplicate task made it first: theirs is the one
        invitation = Invitation.objects.get(run_id=run.pk, step_position=position)
        token = invitation.token
    return invitation, token, questions


def link_values_for(token: str, questions: list[Question]) -> dict[str, Any]:
    """``[Survey | link]`` and ``[Survey | score_links]`` for an email: the page's address,
    and the first question's answers as links (text: one per line; HTML: a row of links)."""
    url = tokens.page_url(token)
    if url is None:
        return {}
    first = questions[0] if questions else None
    values = link_values(first.kind) if first is not None else []
    if not values:
        return {
            codes.LINK: url,
            codes.SCORE_LINKS: Fragment(url, _anchor(url, "Answer the survey")),
        }
    links = [(str(value), f"{url}?score={value}") for value in values]
    text = "\n".join(f"{label}: {href}" for label, href in links)
    row = " ".join(_anchor(href, label.capitalize()) for label, href in links)
    return {
        codes.LINK: url,
        codes.SCORE_LINKS: Fragment(text, f'<p class="survey-scale">{row}</p>'),
    }


def expired(invitation: Invitation, now: datetime) -> bool:
    return invitation.expires_at <= now


def _anchor(href: str, label: str) -> str:
    return (
        f'<a href="{html.escape(href, quote=True)}" style="display:inline-block;min-width:28px;'
        f"padding:8px;margin:2px;border:1px solid #1a56a8;border-radius:4px;color:#1a56a8;"
        f'text-align:center;text-decoration:none">{html.escape(label)}</a>'
    )


def _id_text(key: str | None) -> str | None:
    """``"order:123"`` -> ``"123"``; None for none or an email key (a guest)."""
    if not key or key.startswith("email:"):
        return None
    return key.partition(":")[2] or None


def _id_in(key: str | None) -> int | None:
    text = _id_text(key)
    return int(text) if text and text.isdigit() and len(text) <= 18 else None
