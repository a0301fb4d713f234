"""Surveys, their ordered questions, the invitations sent by ``survey_invite`` steps, and the
responses customers give on the public response page (docs/architecture.md, "Feedback surveys").

Survey data outlives the runs that produced it: an invitation or response keeps its copies of
the order, cart and customer when its run or workflow is deleted (retention prunes runs).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from integrations.fields import EncryptedTextField

__all__ = [
    "Invitation",
    "Outcome",
    "Question",
    "QuestionKind",
    "Survey",
    "SurveyResponse",
]


class Outcome(models.TextChoices):
    """How the first question's answer classes a respondent (see ``surveys.scales``)."""

    PROMOTER = "promoter", "Promoter"
    PASSIVE = "passive", "Passive"
    DETRACTOR = "detractor", "Detractor"


class QuestionKind(models.TextChoices):
    NPS = "nps", "Net Promoter Score (0–10)"
    RATING = "rating", "Rating (1–5)"
    CHOICE = "choice", "One choice"
    MULTI_CHOICE = "multi_choice", "Several choices"
    YES_NO = "yes_no", "Yes / no"
    TEXT = "text", "Free text"


class Survey(models.Model):
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="surveys"
    )
    name = models.CharField(max_length=150)
    thank_you_text = models.TextField(
        blank=True,
        default="Thank you for your feedback!",
        help_text="Shown after the survey is submitted; merge codes allowed.",
    )
    promoter_redirect_url = models.CharField(
        max_length=2000,
        blank=True,
        help_text="Where promoters go after submitting (e.g. a review page); http(s), merge "
        "codes allowed. Empty: the thank-you text is shown.",
    )
    passive_redirect_url = models.CharField(
        max_length=2000, blank=True, help_text="Where passives go after submitting; as above."
    )
    detractor_redirect_url = models.CharField(
        max_length=2000, blank=True, help_text="Where detractors go after submitting; as above."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def redirect_url_for(self, outcome: str | None) -> str:
        """The redirect template for an outcome ("" when none is set)."""
        return {
            Outcome.PROMOTER: self.promoter_redirect_url,
            Outcome.PASSIVE: self.passive_redirect_url,
            Outcome.DETRACTOR: self.detractor_redirect_url,
        }.get(outcome, "")


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(help_text="Order within the survey, from 0.")
    key = models.SlugField(
        max_length=50,
        help_text="Names the answer: in exports and as the merge code [Survey | key].",
    )
    kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    text = models.TextField(max_length=1000, help_text="The question; merge codes allowed.")
    choices = models.JSONField(
        default=list, blank=True, help_text="The options of a choice question (a list of text)."
    )
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["survey", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="one_question_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_kind_display()})"


class Invitation(models.Model):
    """One survey invitation, sent by one ``survey_invite`` step of one run.

    The token is the customer's only key to the response page: 256 random bits, looked up by
    its SHA-256 (``token_hash``) and kept encrypted (``token``) only so reminders can repeat
    the link.
    """

    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    token = EncryptedTextField(help_text="The token itself, encrypted, for reminder emails.")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    workflow = models.ForeignKey(
        "workflows.Workflow",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    run = models.ForeignKey(
        "workflows.WorkflowRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_invitations",
    )
    step_position = models.PositiveIntegerField(help_text="The inviting step in its workflow.")
    authentication = models.ForeignKey(
        "integrations.BigCommerceAuthentication",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The store the event came from.",
    )
    order_id = models.BigIntegerField(null=True, blank=True)
    cart_id = models.CharField(max_length=100, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True)
    email = models.CharField(max_length=254, help_text="Who was invited.")
    is_test = models.BooleanField(
        default=False, help_text="Sent by a test event (to the tester); left out of results."
    )
    merge_snapshot = models.JSONField(
        default=dict,
        help_text="The merge values the survey's texts and redirects name, taken at sending.",
    )
    email_config = models.JSONField(
        default=dict, help_text="The invitation email (to, subject, body, format), for reminders."
    )
    reminder_days = models.JSONField(
        default=list, help_text="Days after the previous email each reminder waits (at most 2)."
    )
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    next_reminder_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the next reminder is due; empty when none is (answered, closed, done).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(help_text="After it, the response page is closed.")
    closed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the response closes for edits: set when it is first submitted (a day "
        "later, or at expiry if sooner); empty while unanswered or partial.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "step_position"],
                condition=models.Q(run__isnull=False),
                name="one_invitation_per_step_run",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_reminder_at"],
                condition=models.Q(next_reminder_at__isnull=False),
                name="invitation_reminder_idx",
            ),
            models.Index(fields=["survey", "created_at"], name="invitation_survey_idx"),
        ]

    def __str__(self) -> str:
        return f"Invitation #{self.pk} to {self.survey}"


class SurveyResponse(models.Model):
    """A customer's answers to one invitation: partial from the first click (``submitted_at``
    empty), complete once submitted."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    workflow = models.ForeignKey(
        "workflows.Workflow", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    run = models.ForeignKey(
        "workflows.WorkflowRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    authentication = models.ForeignKey(
        "integrations.BigCommerceAuthentication",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The store the event came from.",
    )
    order_id = models.BigIntegerField(null=True, blank=True)
    cart_id = models.CharField(max_length=100, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True)
    email = models.CharField(max_length=254, blank=True)
    is_test = models.BooleanField(
        default=False, help_text="To a test event's invitation; left out of results."
    )
    answers = models.JSONField(default=dict, help_text="Answers by question key.")
    score = models.SmallIntegerField(
        null=True,
        blank=True,
        help_text="The answer to the first question when it is a scale (nps, rating), for "
        "results; empty otherwise or unanswered.",
    )
    outcome = models.CharField(
        max_length=16,
        choices=Outcome.choices,
        blank=True,
        help_text="Promoter, passive or detractor, from the first question's answer.",
    )
    started_at = models.DateTimeField(auto_now_add=True, help_text="The first click or answer.")
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(
        null=True, blank=True, help_text="When submitted; empty while partial."
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "started_at"], name="response_survey_idx"),
        ]

    def __str__(self) -> str:
        return f"Response #{self.pk} to {self.survey}"

    def answers_shown(self) -> list[tuple[str, str]]:
        """``(key, answer as text)`` in the order given: choices joined by commas."""
        return [
            (key, ", ".join(map(str, answer)) if isinstance(answer, list) else str(answer))
            for key, answer in (self.answers or {}).items()
        ]
