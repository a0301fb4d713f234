"""The copy of each email a run sent — real, test or to a team address — as it left: its
recipients, subject, text and HTML, shown on the run page and in the run API.

``SentEmail`` (workflows/sending) is a different record: one row per customer address, what
the frequency cap counts and where the provider's tracking lands; it holds no content.
"""

from __future__ import annotations

from django.db import models

# A stored body is cut here (a sane email is far smaller; a huge list value must not bloat
# the table). The cut is said at the end of the text.
MAX_STORED_CHARS = 200_000
CUT_NOTE = "\n[… cut: the rest was not stored]"


class SentMessage(models.Model):
    """One email handed to the email backend by one step of one run."""

    run = models.ForeignKey(
        "workflows.WorkflowRun", on_delete=models.CASCADE, related_name="sent_messages"
    )
    position = models.PositiveIntegerField(help_text="The step that sent it (0 is the first).")
    to = models.JSONField(default=list, help_text="The addresses it was sent to.")
    subject = models.TextField()
    text_body = models.TextField(help_text="The plain-text part, as sent.")
    html_body = models.TextField(
        blank=True, help_text="The HTML part (the whole document), as sent; empty for text only."
    )
    sent_at = models.DateTimeField()

    class Meta:
        app_label = "workflows"
        ordering = ["run", "position", "id"]

    def __str__(self) -> str:
        return f"Email of run #{self.run_id}: {self.subject[:60]}"


def _stored(text: str) -> str:
    if len(text) <= MAX_STORED_CHARS:
        return text
    return text[: MAX_STORED_CHARS - len(CUT_NOTE)] + CUT_NOTE


def record(run, position: int, email, sent_at) -> SentMessage:
    """Store ``email`` (a step's ``EmailCopy``), sent by step ``position``, on the run: one
    INSERT."""
    return SentMessage.objects.create(
        run=run,
        position=position,
        to=list(email.to),
        subject=email.subject,
        text_body=_stored(email.text),
        html_body=_stored(email.html),
        sent_at=sent_at,
    )
