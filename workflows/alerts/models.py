"""An alert: one problem of an account, open from when the alert pass first saw it until the
pass sees it resolved."""

from __future__ import annotations

from django.db import models


class AlertKind(models.TextChoices):
    HOOK_NOT_REGISTERED = "hook_not_registered", "A webhook is not registered"
    HOOK_DEACTIVATED = "hook_deactivated", "BigCommerce deactivated a webhook"
    DOMAIN_BLOCKED = "domain_blocked", "BigCommerce blocked the webhook domain"
    AUTH_FAILING = "auth_failing", "BigCommerce refuses an authentication"
    DEAD_DELIVERIES = "dead_deliveries", "Deliveries died"
    FAILURE_RATE = "failure_rate", "A workflow's runs are failing"


class Alert(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    subject_key = models.CharField(
        max_length=64,
        help_text="What the problem is about, e.g. 'subscription:12', 'authentication:3', "
        "'workflow:7' or 'account'.",
    )
    detail = models.TextField(help_text="The problem in words, as last seen (email, banner).")
    opened_at = models.DateTimeField(help_text="When the alert pass first saw the problem.")
    last_emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was last emailed (at most once a day)."
    )
    resolved_at = models.DateTimeField(
        null=True, blank=True, help_text="When the pass saw it resolved; empty while open."
    )

    class Meta:
        app_label = "workflows"
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind", "subject_key"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_alert_per_problem",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.subject_key})"

    @property
    def subject_id(self) -> int | None:
        """The id in `subject_key` ('subscription:12' -> 12), None for the account."""
        _, _, value = self.subject_key.partition(":")
        return int(value) if value.isdigit() else None
