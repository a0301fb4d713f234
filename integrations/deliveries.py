"""A delivery's life: received → processing → processed, or failed (permanent) / dead (gave up);
`unusable` (stored so, never processed) when its body can't be used; a failed or dead one can be
replayed (back to received). docs/architecture.md draws it.

Two columns, one meaning each: `next_attempt_at` is when a received delivery is due (new, or
its retry time); `leased_until` is how long whoever took it (a relayed task on its way, a
worker processing it) holds it before it is handed out again.

The retry policy lives here, by error class: transient BigCommerce errors (network, 5xx, 429)
come back later with exponential backoff; refusals (401/403) and missing resources (404) don't.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from integrations import authentications, store_settings
from integrations.bigcommerce import errors
from integrations.bigcommerce.client import kept_alive_session
from integrations.bigcommerce.headers import clamp_seconds
from integrations.events import get_event
from integrations.merge_data import (
    MAX_FETCH_CALLS,
    Resources,
    build_merge_data,
    fetch_resources,
    subject_keys,
)
from integrations.models import DeliveryStatus, WebhookDelivery
from integrations.payloads import DeliveryPayload, PayloadError, parse_delivery

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
BUDGET_SPREAD_SECONDS = 5.0  # deliveries waiting for the budget come back over this long


def lease() -> timedelta:
    return timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


def claim(delivery_id: int) -> WebhookDelivery | None:
    """Take a delivery for processing, atomically. None when another worker holds it (lease not
    over) or it is finished — so duplicate tasks for one delivery are harmless."""
    now = timezone.now()
    claimable = Q(status=DeliveryStatus.RECEIVED) | Q(
        status=DeliveryStatus.PROCESSING, leased_until__lte=now
    )
    taken = WebhookDelivery.objects.filter(claimable, pk=delivery_id).update(
        status=DeliveryStatus.PROCESSING,
        attempts=F("attempts") + 1,
        next_attempt_at=None,
        leased_until=now + lease(),
    )
    if not taken:
        return None
    return WebhookDelivery.objects.select_related("subscription__authentication").get(
        pk=delivery_id
    )


def unheld(at) -> Q:
    """Deliveries nobody holds at `at`: never handed out, or their lease over by then."""
    return Q(leased_until__isnull=True) | Q(leased_until__lte=at)


def hand_out(limit: int) -> list[int]:
    """Deliveries due now (new, or their retry time reached) that nobody holds, taken for one
    lease so that no other cluster hands them out meanwhile. The cluster's relay calls this on
    every poll: the receiver only stores a delivery, and this is how it reaches a worker
    (docs/architecture.md, "The path of one delivery")."""
    now = timezone.now()
    due = WebhookDelivery.objects.filter(
        unheld(now), status=DeliveryStatus.RECEIVED, next_attempt_at__lte=now
    )
    if not due.exists():  # the usual answer when idle: a read, no write lock
        return []
    with transaction.atomic():
        ids = list(
            due.select_for_update(skip_locked=True)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(leased_until=now + lease())
    return ids


def due_ids(limit: int = 500) -> list[int]:
    """Deliveries the sweeper should hand out again: claimed by a worker that died (lease
    over), or left a whole lease past their time by every relay (handed out but lost, or no
    relay running). Deliveries that are simply due are the relay's (`hand_out`)."""
    now = timezone.now()
    died = WebhookDelivery.objects.filter(status=DeliveryStatus.PROCESSING, leased_until__lte=now)
    left = WebhookDelivery.objects.filter(
        unheld(now - lease()),
        status=DeliveryStatus.RECEIVED,
        next_attempt_at__lte=now - lease(),
    )
    ids = list(died.order_by("leased_until").values_list("pk", flat=True)[:limit])
    ids += left.order_by("next_attempt_at").values_list("pk", flat=True)[: limit - len(ids)]
    return ids


def payload_of(delivery: WebhookDelivery) -> DeliveryPayload:
    sub = delivery.subscription
    return parse_delivery(
        delivery.body.encode(),
        expected_scope=get_event(sub.event).scope,
        expected_store_hash=sub.authentication.store_hash,
    )


def fetch(delivery: WebhookDelivery, codes: Iterable[str] = ()) -> tuple[Resources, dict, dict]:
    """The event's resources from BigCommerce (the minimum calls, once per delivery), plus
    those the extra codes among ``codes`` (the codes the listening workflows use) need; its
    merge data and send-once subject keys."""
    payload = payload_of(delivery)
    auth = delivery.subscription.authentication
    with authentications.client_for(auth, session=kept_alive_session()) as client:
        client.reserve(MAX_FETCH_CALLS, "the event's data")  # all the plan's calls, or none
        resources = fetch_resources(
            client, payload, codes, store=lambda: store_settings.load(auth, client)
        )
    event_key = delivery.subscription.event
    merge_data = build_merge_data(event_key, resources, codes)
    return resources, merge_data, subject_keys(event_key, resources)


def mark_processed(delivery: WebhookDelivery, note: str = "") -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PROCESSED,
        processed_at=timezone.now(),
        next_attempt_at=None,
        leased_until=None,
        retrying_since=None,
        last_error="",
        note=note,
    )


def mark_failed(delivery: WebhookDelivery, reason: str) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED,
        last_error=reason,
        processed_at=timezone.now(),
        next_attempt_at=None,
        leased_until=None,
    )


def backoff(attempt: int, retry_after: float | None = None) -> timedelta:
    """The wait before the next attempt: exponential, capped, and at least `retry_after`
    (clamped to the retry horizon here too, whoever passes it)."""
    doublings = min(max(attempt - 1, 0), 32)  # past the cap long before: no huge powers
    seconds = min(BACKOFF_BASE_SECONDS * 2**doublings, BACKOFF_MAX_SECONDS)
    return timedelta(seconds=max(seconds, clamp_seconds(retry_after) or 0))


def retry_horizon() -> timedelta:
    """How long a delivery is retried after its first failure (as long as BigCommerce retries
    its own webhooks, by default)."""
    return timedelta(hours=settings.DELIVERY_RETRY_HOURS)


def _out_of_attempts(delivery: WebhookDelivery) -> bool:
    cap = settings.DELIVERY_MAX_ATTEMPTS
    return bool(cap) and delivery.attempts >= cap


def retry_later(delivery: WebhookDelivery, reason: str, retry_after: float | None = None) -> str:
    """Back to `received` with a later time for the relay — or `dead` once the retry horizon
    (from its first failure) has passed. The last retry is made at the horizon itself, so an
    outage that ends just before it loses nothing."""
    now = timezone.now()
    since = delivery.retrying_since or now
    give_up_at = since + retry_horizon()
    if now >= give_up_at or _out_of_attempts(delivery):
        hours = (now - since).total_seconds() / 3600
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DEAD,
            last_error=f"Gave up after {delivery.attempts} attempts over {hours:.1f} h: {reason}",
            next_attempt_at=None,
            leased_until=None,
            retrying_since=since,
        )
        return DeliveryStatus.DEAD
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.RECEIVED,
        last_error=reason,
        next_attempt_at=min(now + backoff(delivery.attempts, retry_after), give_up_at),
        leased_until=None,
        retrying_since=since,
    )
    return DeliveryStatus.RECEIVED


def wait_for_budget(delivery: WebhookDelivery, exc: errors.OverBudget) -> str:
    """Back to `received`, due when the store's API window resets (plus a little, so that the
    waiting deliveries don't all come back at once): a wait, not a failed attempt — the claim's
    attempt is given back, and it can never make a delivery dead."""
    wait = clamp_seconds(exc.retry_after) or 1.0
    spread = random.uniform(0, min(wait, BUDGET_SPREAD_SECONDS))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.RECEIVED,
        attempts=Greatest(F("attempts") - 1, Value(0)),
        next_attempt_at=timezone.now() + timedelta(seconds=wait + spread),
        leased_until=None,
        note=f"Waiting for the store's API budget: {exc.message}",
    )
    return DeliveryStatus.RECEIVED


def handle_error(delivery: WebhookDelivery, exc: Exception) -> str:
    """Apply the retry policy to an error raised while processing `delivery`."""
    if isinstance(exc, errors.OverBudget):
        return wait_for_budget(delivery, exc)
    if isinstance(exc, errors.AuthenticationFailed | errors.PermissionDenied):
        authentications.mark_failing(delivery.subscription.authentication_id, exc.message)
        mark_failed(delivery, f"BigCommerce refused the stored credentials: {exc.message}")
        return DeliveryStatus.FAILED
    if isinstance(exc, errors.NotFound):
        mark_failed(delivery, f"The event's resource no longer exists: {exc.message}")
        return DeliveryStatus.FAILED
    if isinstance(exc, errors.BigCommerceError) and exc.retryable:
        return retry_later(delivery, exc.message, exc.retry_after)
    if isinstance(exc, errors.BigCommerceError | PayloadError):
        mark_failed(delivery, str(exc))
        return DeliveryStatus.FAILED
    # A bug or an outage of our own (database, broker): keep the delivery, try again later.
    logger.exception("Unexpected error processing delivery %s", delivery.pk)
    return retry_later(delivery, f"Internal error ({type(exc).__name__}); will retry.")


# --- Replay ---------------------------------------------------------------------------------

REPLAYABLE = (DeliveryStatus.FAILED, DeliveryStatus.DEAD)


class NotReplayable(Exception):
    """Why a delivery can't be replayed; the message is for the person who asked."""


def replay_refusal(delivery: WebhookDelivery) -> str | None:
    """Why `delivery` can't be replayed now, or None if it can."""
    if delivery.status == DeliveryStatus.UNUSABLE:
        return (
            "An unusable delivery can't be replayed: its body can't be used, so there is "
            f"nothing to fetch again. {delivery.last_error}"
        ).strip()
    if delivery.status not in REPLAYABLE:
        return (
            "Only failed or dead deliveries can be replayed; this one is "
            f"{delivery.get_status_display().lower()}."
        )
    return None


def replay(delivery: WebhookDelivery) -> None:
    """Hand a failed or dead delivery back to the queue: `received`, due now, unheld, with a
    fresh set of attempts. The relay hands it out; the fan-out fetches again and starts only
    the workflows that have no run for it yet (docs/architecture.md, "Replay")."""
    refusal = replay_refusal(delivery)
    if refusal is None and not replay_many([delivery.pk]):
        refusal = "It changed meanwhile (replayed, or being processed); reload to see it."
    if refusal is not None:
        raise NotReplayable(refusal)


REPLAY_CHUNK = 500  # deliveries per UPDATE


def replay_many(ids: list[int], *, start=None, per_second: float | None = None) -> int:
    """Replay the failed and dead deliveries among `ids`, an UPDATE per 500; the others are
    left as they are. Returns how many were replayed.

    With `per_second`, they become due one after another at that rate from `start` instead of
    all at once, so that a bulk replay does not queue ahead of the deliveries that arrive
    meanwhile (the relay hands out the earliest due first)."""
    start = start or timezone.now()
    replayed = 0
    for offset in range(0, len(ids), REPLAY_CHUNK):
        chunk = ids[offset : offset + REPLAY_CHUNK]
        due: Value | Case = Value(start, output_field=DateTimeField())
        if per_second:
            step = max(1, int(per_second))  # deliveries due in each second
            due = Case(
                *[
                    When(
                        pk__in=chunk[i : i + step],
                        then=Value(start + timedelta(seconds=(offset + i) // step)),
                    )
                    for i in range(0, len(chunk), step)
                ],
                output_field=DateTimeField(),
            )
        replayed += WebhookDelivery.objects.filter(pk__in=chunk, status__in=REPLAYABLE).update(
            status=DeliveryStatus.RECEIVED,
            attempts=0,
            next_attempt_at=due,
            leased_until=None,
            processed_at=None,
            retrying_since=None,  # a replay has the whole retry horizon again
            last_error="",
        )
    return replayed
