"""Survey reminders: a periodic pass (``surveys.tasks.send_reminders``, every 15 minutes) emails
the invitations whose next reminder is due, and only those still unanswered and open.

One query reads a batch of due invitations (unanswered: no submitted response; unexpired;
their invitation email sent; their run kept), with their run, workflow, account and survey
questions; then each reminder costs the sending gate's one read, one UPDATE that takes it (so
two passes never send it twice: a pass that loses the race skips it), the sent email's
INSERT and its copy on the run (shown on the run page with the invitation it follows). The
batch bounds a pass; what is left is due at the next.

A reminder is the invitation email again (its subject after "Reminder: "), with the same link,
through the same sending gate: a customer who unsubscribed since, or whose frequency cap is
reached, gets none (and no more); outside the send window it waits for the window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from surveys import invitations
from surveys.models import Invitation, SurveyResponse
from workflows import sent_messages
from workflows.models import StepResult, StepStatus
from workflows.sending import gate
from workflows.steps import send_email
from workflows.steps.base import EmailCopy

logger = logging.getLogger(__name__)

BATCH = 200
SUBJECT_PREFIX = "Reminder: "


@dataclass
class Pass:
    sent: int = 0
    held: int = 0  # refused by the sending gate: no more reminders for them
    waiting: int = 0  # outside the send window: due again when it opens
    failed: int = 0  # the email backend refused: not tried again

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def due(now: datetime, limit: int = BATCH) -> list[Invitation]:
    """The invitations whose reminder is due (one query for them, one for their questions)."""
    submitted = SurveyResponse.objects.filter(invitation=OuterRef("pk"), submitted_at__isnull=False)
    invited = StepResult.objects.filter(
        run=OuterRef("run_id"), position=OuterRef("step_position"), status=StepStatus.SUCCEEDED
    )
    return list(
        Invitation.objects.filter(
            next_reminder_at__lte=now,
            expires_at__gt=now,
            run__isnull=False,
            is_test=False,
        )
        .filter(~Exists(submitted), Exists(invited))
        .select_related("survey", "run__workflow__account", "run__workflow__authentication")
        .prefetch_related("survey__questions")
        .order_by("next_reminder_at")[:limit]
    )


def send_due(now: datetime | None = None, limit: int = BATCH) -> Pass:
    now = now or timezone.now()
    result = Pass()
    for invitation in due(now, limit):
        remind(invitation, now, result)
    return result


def remind(invitation: Invitation, now: datetime, result: Pass) -> None:
    run = invitation.run
    verdict = gate.check(run, [invitation.email], now)
    if verdict.refusal is not None:
        if _take(invitation, next_at=None, sent=False):
            result.held += 1
        return
    if verdict.wait_until is not None:
        if _take(invitation, next_at=verdict.wait_until, sent=False):
            result.waiting += 1
        return
    if not _take(invitation, next_at=_next_after(invitation, now), sent=True):
        return  # another pass took it
    questions = sorted(invitation.survey.questions.all(), key=lambda q: (q.position, q.pk))
    links = invitations.link_values_for(invitation.token, questions)
    if not links:  # no public address any more: nothing to link to
        result.failed += 1
        return
    config = {**invitation.email_config}
    config["subject"] = SUBJECT_PREFIX + config.get("subject", "")
    content = send_email.compose(
        config,
        {**run.merge_data, **links},
        store_name=run.workflow.authentication.store_name,
        unsubscribe_url=verdict.unsubscribe_url,
    )
    message_id, problem = send_email.send(content, [invitation.email], verdict.unsubscribe_url)
    if problem:  # the next reminder may still go
        logger.warning("Survey reminder of invitation %s not sent: %s", invitation.pk, problem)
        result.failed += 1
        return
    gate.record_sent(run, None, verdict.recipients, message_id, now)
    copy = EmailCopy((invitation.email,), content.subject, content.text, content.html)
    sent_messages.record(run, invitation.step_position, copy, now)
    result.sent += 1


def _next_after(invitation: Invitation, now: datetime) -> datetime | None:
    """When the reminder after this one is due; None when this is the last."""
    following = invitation.reminders_sent + 1
    if following >= len(invitation.reminder_days):
        return None
    return now + timedelta(days=invitation.reminder_days[following])


def _take(invitation: Invitation, *, next_at: datetime | None, sent: bool) -> bool:
    """Move the invitation's reminder on, if no other pass did first."""
    changes = {"next_reminder_at": next_at}
    if sent:
        changes["reminders_sent"] = F("reminders_sent") + 1
    return bool(
        Invitation.objects.filter(
            pk=invitation.pk, next_reminder_at=invitation.next_reminder_at
        ).update(**changes)
    )
