"""What the sending gate reads: the account's suppression list and the customer emails sent."""

from __future__ import annotations

from django.db import models


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Bounced"
    COMPLAINED = "complained", "Complained (marked as spam)"
    MANUAL = "manual", "Added by hand"


class Suppression(models.Model):
    """An address the account never emails (as a customer email) again."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="suppressions"
    )
    email = models.CharField(
        max_length=254, help_text="Normalised: lower case, surrounding white space removed."
    )
    reason = models.CharField(max_length=16, choices=SuppressionReason.choices)
    source = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where it came from: a user, an unsubscribe link, a CSV import, the provider.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "workflows"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "email"], name="one_suppression_per_email")
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display()})"


class SentEmail(models.Model):
    """One customer email handed to the email backend: what the frequency cap counts, and
    where the provider's tracking events (delivered, opened, clicked) are recorded."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="sent_emails"
    )
    recipient = models.CharField(max_length=254, help_text="Normalised address.")
    run = models.ForeignKey(
        "workflows.WorkflowRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sent_emails",
    )
    step_result = models.ForeignKey(
        "workflows.StepResult",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sent_emails",
    )
    message_id = models.CharField(
        max_length=255, blank=True, help_text="The email provider's id, when it gives one."
    )
    sent_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    last_event = models.CharField(
        max_length=32, blank=True, help_text="The provider's last tracking event for it."
    )

    class Meta:
        app_label = "workflows"
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["account", "recipient", "sent_at"], name="sent_email_cap_idx"),
            models.Index(
                fields=["message_id"],
                condition=~models.Q(message_id=""),
                name="sent_email_message_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Email to {self.recipient} at {self.sent_at:%Y-%m-%d %H:%M}"
