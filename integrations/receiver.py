"""The webhook receiver's rules: authenticate, bound, validate, store — in that order.

A delivery is stored before it is answered (dj-stripe style) and processed later by the task
cluster, whose relay takes due deliveries from the table: the request writes one row and
touches nothing else (docs/architecture.md, "The path of one delivery"). Nothing here calls
BigCommerce, sends email or makes any outbound request.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from initiator_site.db import fast_insert
from integrations.events import get_event
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from integrations.payloads import PayloadError, parse_delivery
from integrations.signals import delivery_stored
from integrations.subscriptions import SECRET_HEADER

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
SENSITIVE_HEADERS = {SECRET_HEADER.lower(), "authorization", "cookie", "x-auth-token"}
# Headers kept with a delivery: enough to debug, nothing secret.
KEPT_HEADERS = {"content-type", "content-length", "user-agent", "x-forwarded-for", "host"}


class Rejected(Exception):
    """A request we refuse; `status` is the HTTP status, the message is safe to return."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Accepted:
    delivery_id: int
    duplicate: bool


@dataclass(frozen=True)
class Target:
    """What the receiver needs of a subscription (never the store credentials)."""

    id: int
    event: str
    secret: str
    store_hash: str
    previous_secret: str = ""  # accepted until previous_until, after a rotation
    previous_until: datetime | None = None

    def accepts(self, presented: str) -> bool:
        """Whether `presented` is the secret, or the previous one within its grace. Constant
        time: how long it takes says nothing about how much of a secret matched."""
        given = presented.encode()
        current = hmac.compare_digest(given, self.secret.encode())
        previous = hmac.compare_digest(given, self.previous_secret.encode())
        in_grace = self.previous_until is not None and timezone.now() < self.previous_until
        return current or (previous and in_grace and bool(self.previous_secret))


# uuid -> (Target, when read). A subscription's event and store never change; its secret
# changes only by rotation, and a secret the cached copy refuses is checked against the
# database (at most once a second, so wrong secrets can't make every request a query) before
# the delivery is refused. A deleted subscription is re-checked by `store`.
_targets: dict[str, tuple[Target, float]] = {}
TARGET_CACHE_SECONDS = 30.0
RECHECK_REFUSED_AFTER_SECONDS = 1.0
TARGET_CACHE_SIZE = 1000


def find_subscription(uuid, *, max_age: float = TARGET_CACHE_SECONDS) -> Target:
    """The subscription's `Target`, from this process's cache if read less than `max_age`
    seconds ago; 404 `Rejected` for an unknown one."""
    key = str(uuid)
    cached = _targets.get(key)
    if cached is not None and time.monotonic() - cached[1] < max_age:
        return cached[0]
    row = (
        WebhookSubscription.objects.filter(uuid=uuid)
        .values_list(
            "id",
            "event",
            "secret",
            "authentication__store_hash",
            "previous_secret",
            "previous_secret_until",
        )
        .first()
    )
    if row is None:
        _targets.pop(key, None)
        raise Rejected(404, "Unknown webhook subscription.")
    target = Target(*row)  # the secret fields decrypt themselves on the way out
    if len(_targets) >= TARGET_CACHE_SIZE:
        _targets.clear()
    _targets[key] = (target, time.monotonic())
    return target


def authenticate(uuid, presented: str | None) -> Target:
    """The subscription `uuid` if `presented` is its secret (404 unknown, 401 wrong)."""
    sub = find_subscription(uuid)
    if presented and not sub.accepts(presented):  # rotated since it was cached?
        sub = find_subscription(uuid, max_age=RECHECK_REFUSED_AFTER_SECONDS)
    if not presented or not sub.accepts(presented):
        raise Rejected(401, f"Missing or wrong {SECRET_HEADER} header.")
    return sub


def check_size(content_length: str | None) -> None:
    try:
        declared = int(content_length or 0)
    except ValueError:
        raise Rejected(400, "Content-Length is not a number.") from None
    if declared > settings.WEBHOOK_MAX_BODY_BYTES:
        raise Rejected(413, f"Body over {settings.WEBHOOK_MAX_BODY_BYTES} bytes.")


def read_body(request) -> bytes:
    """The request's body, at most WEBHOOK_MAX_BODY_BYTES (413 beyond), read the same way with
    or without a Content-Length. Django reads no body without one (it stops at the declared 0),
    so a chunked body (Transfer-Encoding: chunked) is read from the server's own stream — which
    a server that decodes chunked bodies ends at the body's end (`wsgi.input_terminated`)."""
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    declared = request.META.get("CONTENT_LENGTH")
    check_size(declared)
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if declared in (None, "") and request.META.get("wsgi.input_terminated"):
        body = _read_up_to(request.META["wsgi.input"], limit + 1)
    elif declared in (None, "") and chunked:
        raise Rejected(411, "Send a Content-Length: this server cannot read a chunked body.")
    else:
        body = request.read(limit + 1)
    if len(body) > limit:
        raise Rejected(413, f"Body over {limit} bytes.")
    return body


def _read_up_to(stream, size: int) -> bytes:
    chunks, got = [], 0
    while got < size:
        chunk = stream.read(size - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def redact_headers(headers) -> dict[str, str]:
    kept = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in SENSITIVE_HEADERS:
            kept[name] = REDACTED
        elif lower in KEPT_HEADERS or lower.startswith("x-bc-"):
            # Control characters (NUL above all) can't be stored in PostgreSQL's jsonb.
            kept[name] = CONTROL_CHARS.sub("", value)[:500]
    return kept


def store(sub: Target, body: bytes, headers) -> Accepted:
    """Validate `body` for `sub` and store it once; the same BigCommerce hash again is a
    duplicate (the unique constraint decides, so concurrent copies cannot both get in).

    An authenticated body we can't use is stored too, as `unusable` with the reason, and
    answered like any other: refusing it would only make BigCommerce retry it for two days and
    then deactivate the hook, and the reason would be lost."""
    try:
        text = body.decode("utf-8")
        payload = parse_delivery(
            body,
            expected_scope=get_event(sub.event).scope,
            expected_store_hash=sub.store_hash,
        )
    except UnicodeDecodeError:
        return store_unusable(sub, body, headers, "The body is not text encoded as UTF-8.")
    except PayloadError as exc:
        return store_unusable(sub, body, headers, exc.message)
    delivery = WebhookDelivery(
        subscription_id=sub.id,
        scope=payload.scope,
        store_hash=payload.store_hash,
        hash=payload.hash,
        body=text,
        headers=redact_headers(headers),
        next_attempt_at=timezone.now(),  # due: the cluster's relay hands it out next poll
        order_id=payload.order_id,  # for search (the same INSERT)
        resource_key=payload.resource_key,  # a backfill may have stored it already
    )
    return store_once(delivery)


def store_unusable(sub: Target, body: bytes, headers, reason: str) -> Accepted:
    """Keep an authenticated delivery whose body can't be used, never to be processed. Its
    key is the body's digest, so BigCommerce's retries of it are duplicates."""
    logger.warning("Stored an unusable delivery for subscription %s: %s", sub.id, reason)
    now = timezone.now()
    delivery = WebhookDelivery(
        subscription_id=sub.id,
        scope=get_event(sub.event).scope,
        store_hash=sub.store_hash,
        hash=f"unusable-{hashlib.sha256(body).hexdigest()}",
        # As much of the body as text can hold (NUL can't be stored in PostgreSQL's text).
        body=body.decode("utf-8", "replace").replace("\x00", "\ufffd"),
        headers=redact_headers(headers),
        status=DeliveryStatus.UNUSABLE,
        last_error=f"Unusable body: {reason}",
        processed_at=now,
    )
    return store_once(delivery, announce=False)


def store_once(delivery: WebhookDelivery, *, announce: bool = True) -> Accepted:
    try:
        insert(delivery, announce=announce)
    except IntegrityError:
        sub_id = delivery.subscription_id
        existing = WebhookDelivery.objects.filter(subscription_id=sub_id, hash=delivery.hash)
        if (found := existing.first()) is None and delivery.resource_key:
            # The same shipment or converted cart, stored already (a backfill found it).
            existing = WebhookDelivery.objects.filter(
                subscription_id=sub_id, resource_key=delivery.resource_key
            )
            found = existing.first()
        if found is not None:
            return Accepted(found.pk, duplicate=True)
        if not WebhookSubscription.objects.filter(pk=sub_id).exists():
            raise Rejected(404, "Unknown webhook subscription.") from None  # deleted meanwhile
        raise
    return Accepted(delivery.pk, duplicate=False)


def insert(delivery: WebhookDelivery, *, announce: bool = True) -> None:
    """Store the delivery: one INSERT, and that is all the request does. Once it is committed,
    `delivery_stored` says so to whoever listens (unless `announce` is off)."""
    if transaction.get_connection().in_atomic_block:
        with transaction.atomic():  # a savepoint: a duplicate must not break the caller's
            fast_insert.insert(delivery)
    else:
        fast_insert.insert(delivery)  # autocommit: no BEGIN/COMMIT round trips
    if announce:
        transaction.on_commit(
            lambda: delivery_stored.send(sender=WebhookDelivery, delivery_id=delivery.pk)
        )
