"""Accounts (teams) and their users; the Integration Manager permission lives here."""

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

INTEGRATION_MANAGER_CODENAME = "integration_manager"
INTEGRATION_MANAGER_PERM = f"accounts.{INTEGRATION_MANAGER_CODENAME}"
INTEGRATION_MANAGER_MESSAGE = (
    "The Integration Manager permission is required to set up and use the BigCommerce "
    "initiator. Ask an account admin to grant it: Admin → Users → your user → Permissions → "
    "Integration Manager."
)


class Account(models.Model):
    """A team: every workflow, authentication and run belongs to exactly one account."""

    name = models.CharField(max_length=150, unique=True, help_text="The team's display name.")
    frequency_cap_emails = models.PositiveIntegerField(
        default=1,
        validators=[MaxValueValidator(1000)],
        help_text="At most this many customer emails per recipient within the hours below, "
        "across all workflows (0: no cap).",
    )
    frequency_cap_hours = models.PositiveIntegerField(
        default=16,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 365)],
        help_text="The frequency cap's window, in hours.",
    )
    alert_email = models.EmailField(
        blank=True,
        help_text="Where alert emails go; empty: to every Integration Manager of the account.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            (
                INTEGRATION_MANAGER_CODENAME,
                "Integration Manager: can set up and use integration initiators",
            )
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A team member. Staff users of an account are its account admins."""

    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="The team this user belongs to. Only superusers may have none.",
    )

    @property
    def is_account_admin(self) -> bool:
        return self.is_active and self.is_staff and self.account_id is not None

    @property
    def is_integration_manager(self) -> bool:
        return self.has_perm(INTEGRATION_MANAGER_PERM)
