"""Webhook subscriptions: one BigCommerce hook per authentication × event, kept in step with
whether any workflow wants it.

BigCommerce allows one hook per store + client + scope + destination, so every workflow of an
authentication on an event shares one subscription (and one webhook URL).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations import authentications
from integrations.bigcommerce import errors
from integrations.events import get_event
from integrations.models import (
    BigCommerceAuthentication,
    SubscriptionStatus,
    WebhookSubscription,
    new_webhook_secret,
)
from integrations.signals import hook_repaired

logger = logging.getLogger(__name__)

# The custom header BigCommerce sends back on every delivery; its value is the subscription's
# secret. (BigCommerce signs nothing itself, so this is how a delivery proves where it's from.)
SECRET_HEADER = "X-Webhook-Secret"
# How long a rotated-out secret is still accepted, unless the rotation says otherwise.
ROTATION_GRACE = timedelta(hours=24)


def subscription_for(auth: BigCommerceAuthentication, event_key: str) -> WebhookSubscription:
    sub, _ = WebhookSubscription.objects.get_or_create(authentication=auth, event=event_key)
    return sub


def webhook_url(sub: WebhookSubscription) -> str | None:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    if not base:
        return None
    return base + reverse("bigcommerce-webhook", args=[sub.uuid])


def registration_problem(url: str | None) -> str | None:
    """Why BigCommerce could not deliver to `url`, or None when it can."""
    if url is None:
        return (
            "PUBLIC_BASE_URL is not set, so BigCommerce has no address to deliver to. Set it to "
            "this app's public https:// address; test events work meanwhile."
        )
    parts = urlsplit(url)
    if settings.WEBHOOK_ALLOW_HTTP:
        return None
    if parts.scheme != "https" or parts.port not in (None, 443):
        return (
            f"BigCommerce only delivers to HTTPS on port 443, and the webhook URL is {url}. Fix "
            "PUBLIC_BASE_URL (WEBHOOK_ALLOW_HTTP=true is for local testing against the stand-in)."
        )
    return None


def _record(sub: WebhookSubscription, status: str, detail: str = "", **fields) -> None:
    sub.status = status
    sub.status_detail = detail
    sub.last_checked_at = timezone.now()
    for name, value in fields.items():
        setattr(sub, name, value)
    sub.save(update_fields=["status", "status_detail", "last_checked_at", "wanted", *fields.keys()])


def _find_hook(hooks: list[dict], scope: str, destination: str) -> dict | None:
    for hook in hooks:
        if hook.get("scope") == scope and hook.get("destination") == destination:
            return hook
    return None


def ensure_registered(sub: WebhookSubscription) -> WebhookSubscription:
    """Make BigCommerce's hook exist and be active (look up first; create, or reactivate).
    Failures are recorded on the subscription, never raised: the periodic check retries."""
    was_wanted, sub.wanted = sub.wanted, True
    url = webhook_url(sub)
    problem = registration_problem(url)
    if problem:
        _record(sub, SubscriptionStatus.NOT_REGISTERED, problem)
        return sub
    scope = get_event(sub.event).scope
    headers = {SECRET_HEADER: sub.secret}
    auth = sub.authentication
    try:
        with authentications.client_for(auth) as client:
            hook = _find_hook(client.list_hooks(), scope, url)
            repaired = hook is None or not hook.get("is_active")
            if hook is None:
                hook = client.create_hook(scope, url, headers, is_active=True)
            elif not hook.get("is_active") or (hook.get("headers") or {}) != headers:
                hook = client.update_hook(hook["id"], is_active=True, headers=headers)
    except errors.BigCommerceError as exc:
        if isinstance(exc, errors.AuthenticationFailed | errors.PermissionDenied):
            authentications.mark_failing(auth.pk, exc.message)
        _record(sub, SubscriptionStatus.ERROR, exc.message)
        logger.warning("Registering webhook for subscription %s failed: %s", sub.pk, exc.message)
        return sub
    now, since = timezone.now(), sub.last_healthy_at
    _record(sub, SubscriptionStatus.REGISTERED, "", hook_id=hook.get("id"), last_healthy_at=now)
    if repaired and was_wanted and since is not None:  # a gap, not a first registration
        logger.warning("Repaired the hook of subscription %s, unhealthy since %s", sub.pk, since)
        hook_repaired.send(
            sender=WebhookSubscription, subscription_id=sub.pk, since=since, until=now
        )
    return sub


def ensure_unregistered(sub: WebhookSubscription) -> WebhookSubscription:
    """No workflow wants it any more: delete BigCommerce's hook (a missing one is fine)."""
    sub.wanted = False
    if sub.hook_id is None:
        _record(sub, SubscriptionStatus.NOT_REGISTERED, "No active workflow listens to this event.")
        return sub
    try:
        with authentications.client_for(sub.authentication) as client:
            client.delete_hook(sub.hook_id)
    except errors.BigCommerceError as exc:
        _record(sub, SubscriptionStatus.ERROR, f"Could not delete the hook: {exc.message}")
        return sub
    _record(
        sub,
        SubscriptionStatus.NOT_REGISTERED,
        "No active workflow listens to this event.",
        hook_id=None,
    )
    return sub


def rotate_secret(
    sub: WebhookSubscription, grace: timedelta = ROTATION_GRACE
) -> WebhookSubscription:
    """Give `sub` a new secret and, if its hook is wanted, send BigCommerce the new header.

    The old secret keeps working for `grace`, for deliveries already sent or being retried
    with it and for the time until the hook carries the new one: if that update fails it is
    recorded on the subscription, and the periodic check sends it again. A secret rotated
    before its own grace ended replaces the older one, which stops working at once."""
    with transaction.atomic():
        sub = WebhookSubscription.objects.select_for_update().get(pk=sub.pk)
        sub.previous_secret = sub.secret
        sub.previous_secret_until = timezone.now() + grace
        sub.secret = new_webhook_secret()
        sub.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    logger.info("Rotated the webhook secret of subscription %s", sub.pk)
    return ensure_registered(sub) if sub.wanted else sub


def sync(sub: WebhookSubscription, wanted: bool) -> WebhookSubscription:
    """Bring BigCommerce in line with `wanted` (called after the workflow change commits)."""
    return ensure_registered(sub) if wanted else ensure_unregistered(sub)


def check_all() -> dict[str, int]:
    """The periodic health check: repair every subscription (re-create a missing hook,
    reactivate one BigCommerce deactivated, delete one nobody wants)."""
    counts = {"registered": 0, "not_registered": 0, "error": 0}
    subs = WebhookSubscription.objects.select_related("authentication").filter(
        wanted=True
    ) | WebhookSubscription.objects.filter(wanted=False, hook_id__isnull=False)
    for sub in subs.select_related("authentication").order_by("pk"):
        sync(sub, sub.wanted)
        counts[sub.status] += 1
    return counts
