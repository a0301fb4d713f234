"""BigCommerce knowledge that is stored: authentications, webhook subscriptions, deliveries."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from integrations import crypto
from integrations.events import EventKey
from integrations.fields import EncryptedTextField
from integrations.store_zone import zone_name

store_hash_validator = RegexValidator(
    r"^[a-z0-9]{1,64}$",
    "A store hash is the short code in your API path, e.g. 'abc123' from "
    "https://api.bigcommerce.com/stores/abc123/v3/ — lowercase letters and digits only.",
)


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Not verified yet"
    VERIFIED = "verified", "Verified"
    FAILED = "failed", "Failing"


class BigCommerceAuthentication(models.Model):
    """A store-level API account, reused by any number of workflows of its account."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="bigcommerce_authentications"
    )
    name = models.CharField(max_length=120, help_text="A name your team recognises.")
    store_hash = models.CharField(
        max_length=64,
        validators=[store_hash_validator],
        help_text="The store hash from the API account file (the part after /stores/).",
    )
    client_id = EncryptedTextField(help_text="The API account's Client ID (encrypted at rest).")
    access_token = EncryptedTextField(
        help_text="The API account's Access Token (encrypted at rest; never shown again)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=16,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
        help_text="Result of the last check of these credentials against BigCommerce.",
    )
    status_detail = models.TextField(blank=True, help_text="Why the last check failed, if it did.")
    last_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When BigCommerce last accepted these credentials."
    )
    store_name = models.CharField(
        max_length=255, blank=True, help_text="The store's name, as BigCommerce reports it."
    )
    store_settings = models.JSONField(
        default=dict,
        blank=True,
        help_text="The store's name, address, time zone, language and currency from /v2/store, "
        "kept for a day (the Store merge codes, send windows and delays).",
    )
    store_settings_fetched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the store's settings were last read."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="unique_authentication_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.store_hash})"

    @property
    def client_id_hint(self) -> str:
        return crypto.hint(self.client_id)

    @property
    def access_token_hint(self) -> str:
        return crypto.hint(self.access_token)

    @property
    def timezone(self) -> str:
        """The store's time zone (IANA name) from its kept settings; "" while unknown."""
        return zone_name(self.store_settings)


class SubscriptionStatus(models.TextChoices):
    NOT_REGISTERED = "not_registered", "Not registered"
    REGISTERED = "registered", "Registered"
    ERROR = "error", "Error"


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """Our side of one BigCommerce hook: shared by every workflow of an authentication × event."""

    uuid = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="Appears in the webhook URL."
    )
    authentication = models.ForeignKey(
        BigCommerceAuthentication, on_delete=models.CASCADE, related_name="subscriptions"
    )
    event = models.CharField(max_length=32, choices=EventKey.choices)
    secret = EncryptedTextField(
        default=new_webhook_secret,
        help_text="Sent back by BigCommerce in a custom header on every delivery.",
    )
    # After a rotation the old secret is still accepted for a while: deliveries BigCommerce
    # sent (or retries) with it, and the time until its hook carries the new one.
    previous_secret = EncryptedTextField(blank=True, default="")
    previous_secret_until = models.DateTimeField(
        null=True, blank=True, help_text="Until when the secret before the last rotation works."
    )
    wanted = models.BooleanField(
        default=False,
        help_text="At least one active workflow listens: BigCommerce should deliver to it.",
    )
    hook_id = models.BigIntegerField(
        null=True, blank=True, help_text="BigCommerce's id of the registered hook."
    )
    status = models.CharField(
        max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.NOT_REGISTERED
    )
    status_detail = models.TextField(
        blank=True, help_text="Why it is not registered, or the error."
    )
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_healthy_at = models.DateTimeField(
        null=True, blank=True, help_text="When BigCommerce last showed the hook active."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["authentication", "event"], name="unique_subscription_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} for {self.authentication}"


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"
    DEAD = "dead", "Dead (gave up after retries)"
    UNUSABLE = "unusable", "Unusable (authenticated, but its body can't be used)"


class DeliveryOrigin(models.TextChoices):
    WEBHOOK = "webhook", "Received from BigCommerce"
    BACKFILL = "backfill", "Backfilled (found by polling BigCommerce after a gap)"


class WebhookDelivery(models.Model):
    """One webhook call from BigCommerce, stored before anything else happens to it."""

    # No index of its own: the unique (subscription, hash) index starts with it and serves the
    # same lookups, and every webhook would otherwise pay for one more index entry.
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    scope = models.CharField(max_length=64)
    store_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=128, help_text="BigCommerce's hash of the event: dedup key.")
    body = models.TextField(help_text="The raw request body.")
    headers = models.JSONField(default=dict, help_text="Request headers, secrets redacted.")
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(
        blank=True, help_text="Why the last attempt failed, or why the body is unusable."
    )
    note = models.TextField(
        blank=True, help_text="What processing found that is not an error (no workflow listened)."
    )
    received_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a received delivery is due: new, or its retry time."
    )
    leased_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Handed out or being processed until then; past it, it is handed out again.",
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    retrying_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its first failure worth retrying happened; it is given up (dead) "
        "DELIVERY_RETRY_HOURS later. Empty once processed or replayed.",
    )
    order_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The order the event is about (the body's data.orderId), for search; "
        "empty for abandoned carts and unusable bodies.",
    )
    origin = models.CharField(
        max_length=16,
        choices=DeliveryOrigin.choices,
        default=DeliveryOrigin.WEBHOOK,
        help_text="Sent by BigCommerce, or backfilled: found by polling after a gap.",
    )
    resource_key = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text="The event's scope and resource id (a shipment's, a converted cart's): one "
        "delivery per resource, received or backfilled; empty for abandoned carts and unusable "
        "bodies.",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "hash"], name="unique_delivery_hash"),
            models.UniqueConstraint(
                fields=["subscription", "resource_key"],
                condition=~models.Q(resource_key=""),
                name="unique_delivery_resource",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(
                fields=["leased_until"],
                condition=models.Q(leased_until__isnull=False),
                name="delivery_lease_idx",
            ),
            models.Index(
                fields=["order_id"],
                condition=models.Q(order_id__isnull=False),
                name="delivery_order_idx",
            ),
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.scope} #{self.pk} ({self.status})"


class ApiBudget(models.Model):
    """Our share of one store's BigCommerce API quota in the current window, when the budget
    is kept in the database (no REDIS_URL): integrations/bigcommerce/quota.py."""

    store_hash = models.CharField(max_length=64, unique=True)
    quota = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests per window, as BigCommerce last said."
    )
    window_ms = models.PositiveIntegerField(
        default=0, help_text="The window's length in milliseconds, as BigCommerce last said."
    )
    end_ms = models.BigIntegerField(
        default=0, help_text="When the current window ends (Unix time, milliseconds)."
    )
    used = models.PositiveIntegerField(
        default=0, help_text="Requests this app sent (or may send) in the current window."
    )
    closed = models.BooleanField(
        default=False,
        help_text="BigCommerce said the store has none left this window (other apps too).",
    )

    class Meta:
        verbose_name = "API budget"

    def __str__(self) -> str:
        return f"API budget of {self.store_hash}"
