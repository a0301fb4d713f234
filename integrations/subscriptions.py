"""Webhook subscriptions: one BigCommerce hook per authentication × event, kept in step with
whether any workflow wants it.

BigCommerce allows one hook per store + client + scope + destination, so every workflow of an
authentication on an event shares one subscription (and one webhook URL).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from integrations import authentications, hook_hygiene
from integrations.bigcommerce import errors, quota
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
    return hook_hygiene.destination(sub.uuid)


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
    """No workflow wants it any more: delete BigCommerce's hook (a missing one is fine). A
    subscription that was wanted but recorded no hook (BigCommerce made it, then the save was
    lost) has it looked up by scope and destination, so it stops delivering now rather than at
    the next periodic check."""
    was_wanted, sub.wanted = sub.wanted, False
    url = webhook_url(sub)
    look_up = sub.hook_id is None and was_wanted and url is not None
    if sub.hook_id is None and not look_up:
        _record(sub, SubscriptionStatus.NOT_REGISTERED, "No active workflow listens to this event.")
        return sub
    try:
        with authentications.client_for(sub.authentication) as client:
            hook_id = sub.hook_id
            if look_up:
                hook = _find_hook(client.list_hooks(), get_event(sub.event).scope, url)
                hook_id = hook["id"] if hook else None
            if hook_id is not None:
                client.delete_hook(hook_id)
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


CHECK_BATCH = 200  # authentications whose subscriptions one query reads
CHECK_CONCURRENCY = 8  # stores asked for their hooks at once (one call each)


@dataclass
class CheckPass:
    """What one health-check pass found; `more` when it ran out of time before the end."""

    counts: dict[str, int] = field(
        default_factory=lambda: {
            "registered": 0,
            "not_registered": 0,
            "error": 0,
            "strays_deleted": 0,
        }
    )
    stores: int = 0
    more: bool = False


def check_all(budget_seconds: float | None = None, checked_before=None) -> CheckPass:
    """The periodic health check: repair every subscription (re-create a missing hook,
    reactivate one BigCommerce deactivated, delete one nobody wants), and delete the strays of
    each store (hooks of ours nothing records: see hook_hygiene).

    One `GET /v3/hooks` per store, whatever its number of subscriptions; the subscriptions
    whose hook is healthy are recorded with one UPDATE per batch of stores, so only repairs
    cost queries (and calls) of their own. Stores go least recently checked first; a pass
    stops after `budget_seconds`, and `checked_before` (the first pass's start) lets the next
    one carry on with the stores it did not reach."""
    started, found = time.monotonic(), CheckPass()
    checked = WebhookSubscription.objects.filter(Q(wanted=True) | Q(hook_id__isnull=False))
    stores = checked.values("authentication_id").annotate(oldest=Min("last_checked_at"))
    if checked_before is not None:
        stores = stores.filter(Q(oldest__isnull=True) | Q(oldest__lt=checked_before))
    auth_ids = [
        row["authentication_id"]
        for row in stores.order_by(F("oldest").asc(nulls_first=True), "authentication_id")
    ]
    for start in range(0, len(auth_ids), CHECK_BATCH):
        if start and budget_seconds is not None and time.monotonic() - started > budget_seconds:
            found.more = True  # at least one batch a pass, so that every pass makes progress
            break
        batch = auth_ids[start : start + CHECK_BATCH]
        subs = checked.filter(authentication_id__in=batch).select_related("authentication")
        by_store: dict[int, list[WebhookSubscription]] = {}
        for sub in subs.order_by("pk"):
            by_store.setdefault(sub.authentication_id, []).append(sub)
        hooks = _hooks_of_stores(by_store.values())
        healthy: list[int] = []
        for auth_id, store_subs in by_store.items():
            healthy += _check_store(store_subs, hooks.get(auth_id), found.counts)
            found.stores += 1
        now = timezone.now()
        WebhookSubscription.objects.filter(pk__in=healthy).update(
            status=SubscriptionStatus.REGISTERED,
            status_detail="",
            last_checked_at=now,
            last_healthy_at=now,
        )
        found.counts["registered"] += len(healthy)
    return found


def _is_healthy(sub: WebhookSubscription, hooks: list[dict]) -> bool:
    """Wanted, registrable, and its hook there, active, with its secret, under its id."""
    url = webhook_url(sub)
    if not sub.wanted or registration_problem(url):
        return False
    hook = _find_hook(hooks, get_event(sub.event).scope, url)
    return (
        hook is not None
        and bool(hook.get("is_active"))
        and (hook.get("headers") or {}) == {SECRET_HEADER: sub.secret}
        and hook.get("id") == sub.hook_id
    )


def _hooks_of_stores(stores) -> dict[int, list[dict] | errors.BigCommerceError]:
    """`GET /v3/hooks` of each store that has a hook to check, several stores at a time (one
    call per store: each store's own quota sees one): authentication id -> hooks, or the
    error. Only HTTP and the Redis budget are used in the threads."""
    auths = [
        subs[0].authentication
        for subs in stores
        if any(sub.wanted and not registration_problem(webhook_url(sub)) for sub in subs)
    ]

    def listed(auth):
        try:
            with authentications.client_for(auth) as client:
                return auth.pk, client.list_hooks()
        except errors.BigCommerceError as exc:
            return auth.pk, exc

    if not isinstance(quota.ledger(), quota.RedisLedger):
        # The API budget's ledger is then the database, which each call writes: the calls stay
        # in this thread, on its connection (SQLite has one writer; a test's transaction is
        # this thread's).
        return dict(map(listed, auths))
    with ThreadPoolExecutor(max_workers=CHECK_CONCURRENCY) as pool:
        return dict(pool.map(listed, auths))


def _check_store(subs: list[WebhookSubscription], hooks, counts: dict[str, int]) -> list[int]:
    """One store's subscriptions, given its hooks (or the error listing them): the healthy
    ones' ids; the others repaired one by one."""
    if isinstance(hooks, errors.BigCommerceError):
        # The store is unreachable or refuses us: every subscription of it says so, and no
        # more calls are spent on it in this pass.
        if isinstance(hooks, errors.AuthenticationFailed | errors.PermissionDenied):
            authentications.mark_failing(subs[0].authentication_id, hooks.message)
        WebhookSubscription.objects.filter(pk__in=[sub.pk for sub in subs]).update(
            status=SubscriptionStatus.ERROR,
            status_detail=hooks.message,
            last_checked_at=timezone.now(),
        )
        counts[SubscriptionStatus.ERROR] += len(subs)
        return []
    healthy = []
    for sub in subs:
        if hooks is not None and _is_healthy(sub, hooks):
            healthy.append(sub.pk)
            continue
        sync(sub, sub.wanted)
        counts[sub.status] += 1
    if hooks and _may_have_strays(subs, hooks):
        auth = subs[0].authentication
        with authentications.client_for(auth) as client:
            counts["strays_deleted"] += hook_hygiene.remove_strays(client, auth.store_hash) or 0
    return healthy


def _may_have_strays(subs: list[WebhookSubscription], hooks: list[dict]) -> bool:
    """Whether a store's listed hooks hold one of ours that none of its subscriptions in hand
    records: only then is the store asked again and its strays deleted, so a healthy store
    costs no more than its one listing."""
    recorded = {sub.hook_id for sub in subs if sub.hook_id is not None}
    return bool(hook_hygiene.unrecorded_of_ours(hooks, [sub.uuid for sub in subs], recorded))


def reregister_after_new_credentials(authentication, previous, **_) -> None:
    """Credentials replaced: register every wanted hook with the new ones (the same hook when
    they are the same API account's), then delete with the old ones whatever hook of ours is
    no longer recorded (another API account's hooks are not seen by the new token)."""
    for sub in authentication.subscriptions.filter(wanted=True).order_by("pk"):
        ensure_registered(sub)
    hook_hygiene.remove_strays(previous, previous.store_hash, keep_unrecorded=False)


def remove_hooks_of_deleted(authentication, subscription_uuids, **_) -> None:
    """An authentication deleted: none of its hooks may go on delivering to a dead address."""
    with authentications.client_for(authentication) as client:
        hook_hygiene.remove_strays(client, authentication.store_hash, also_ours=subscription_uuids)
