"""Backfill: the shipments and converted carts BigCommerce did not deliver during a gap (a hook
missing or deactivated, the app down), found by polling and stored as deliveries marked
`backfilled`. docs/architecture.md, "Backfill".

BigCommerce lists orders by the time they were last modified; a new order (a converted cart)
and a new shipment both modify their order. So a page of the orders modified in the gap is
read (lowest id first, after a bookmark), and for each: its converted cart, if the order was
created in the gap, and its shipments created in the gap. Each becomes a delivery with the
body BigCommerce would have sent; its resource key (scope + shipment or cart id) is unique per
subscription, so a delivery received for the same resource — before, after or at the same
moment — and a second backfill of the same gap add nothing. Abandoned carts can't be listed
by the API: they can't be backfilled.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from django.utils import timezone

from integrations import authentications, receiver
from integrations.bigcommerce.client import BigCommerceClient
from integrations.bigcommerce.errors import NotFound
from integrations.events import EventKey, get_event
from integrations.models import (
    BigCommerceAuthentication,
    DeliveryOrigin,
    WebhookDelivery,
    WebhookSubscription,
)
from integrations.payloads import resource_key

BACKFILLABLE = (EventKey.SHIPMENT_CREATED, EventKey.CART_CONVERTED)
ABANDONED_CARTS = (
    "Abandoned carts can't be backfilled: BigCommerce's API has no way to list the carts "
    "abandoned in a gap, only orders and their shipments."
)
INCOMPLETE = 0  # v2 status_id of an order whose checkout was never completed
PAGE_SIZE = 50  # orders per step (each may cost a shipments call)


class InvalidGap(ValueError):
    """A gap that can't be backfilled; the message says why."""


@dataclass(frozen=True)
class Gap:
    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        for when in (self.since, self.until):
            if when.tzinfo is None:
                raise InvalidGap("Give times with a time zone (e.g. 2024-05-01T10:00:00+00:00).")
        if self.since >= self.until:
            raise InvalidGap("The gap's start must be before its end.")
        if self.until > timezone.now() + timezone.timedelta(minutes=5):
            raise InvalidGap("The gap can't end in the future.")

    @property
    def start(self) -> datetime:
        """The start to the whole second: v2's dates have no fractions, so an event in the
        same second as `since` reads as earlier."""
        return self.since.replace(microsecond=0)

    def holds(self, when: datetime | None) -> bool:
        return when is not None and self.start <= when <= self.until

    def as_params(self) -> tuple[str, str]:
        """The two dates as v2's filters take them (ISO-8601, UTC; the end rounded up)."""
        until = self.until.replace(microsecond=0) + timezone.timedelta(seconds=1)
        return tuple(w.astimezone(UTC).isoformat(timespec="seconds") for w in (self.start, until))


def parse_time(value: str) -> datetime:
    """An ISO-8601 date or time from a user (a date is its midnight, UTC; a time without a zone
    is UTC); InvalidGap saying what is wrong."""
    text = (value or "").strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidGap(
            f"'{text[:40]}' is not a date or time: use ISO-8601, e.g. 2024-05-01 or "
            "2024-05-01T10:00:00+00:00."
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def v2_time(value: object) -> datetime | None:
    """A v2 date (RFC-2822, ``Tue, 20 Nov 2012 00:00:00 +0000``); None if absent or garbled."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass
class Found:
    """One missed event: the subscription it is for, its `data` and when it happened."""

    subscription: WebhookSubscription
    data: dict
    happened: datetime

    @property
    def key(self) -> str:
        event = self.subscription.event
        cart_id = self.data["id"] if event == EventKey.CART_CONVERTED else None
        shipment_id = self.data["id"] if event == EventKey.SHIPMENT_CREATED else None
        return resource_key(event, get_event(event).scope, cart_id, shipment_id)


@dataclass
class Page:
    """What one page of orders gave: the bookmark, and counts for the job's progress."""

    last_id: int
    more: bool = False  # a full page: there may be more after the bookmark
    orders: int = 0
    created: int = 0
    duplicates: int = 0
    found: list[str] = field(default_factory=list)  # resource keys (what a dry run would do)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (order id, why)


def subscriptions_to_fill(auth: BigCommerceAuthentication, events=BACKFILLABLE) -> dict:
    """The authentication's subscriptions a workflow listens to (`wanted`), by event: only
    those have anyone to miss an event."""
    subs = WebhookSubscription.objects.filter(
        authentication=auth, wanted=True, event__in=[e for e in events if e in BACKFILLABLE]
    ).select_related("authentication")
    return {sub.event: sub for sub in subs}


def count_orders(auth: BigCommerceAuthentication, gap: Gap) -> int:
    """How many orders changed in the gap (the job's total)."""
    with authentications.client_for(auth) as client:
        return client.count_orders_modified(*gap.as_params())


def missed(client: BigCommerceClient, order: dict, subs: dict, gap: Gap) -> list[Found]:
    """The events of `order` that happened in the gap, for the subscriptions in `subs`."""
    found = []
    order_id = order.get("id")
    cart_id = order.get("cart_id")
    converted = subs.get(EventKey.CART_CONVERTED)
    if (
        converted is not None
        and isinstance(cart_id, str)
        and cart_id
        and order.get("status_id") != INCOMPLETE
        and gap.holds(v2_time(order.get("date_created")))
    ):
        data = {"type": "cart", "id": cart_id.lower(), "orderId": order_id}
        found.append(Found(converted, data, v2_time(order.get("date_created"))))
    shipped = subs.get(EventKey.SHIPMENT_CREATED)
    if shipped is not None:
        for shipment in client.list_order_shipments(order_id):
            created = v2_time(shipment.get("date_created"))
            shipment_id = shipment.get("id")
            if isinstance(shipment_id, int) and shipment_id > 0 and gap.holds(created):
                data = {"type": "shipment", "id": shipment_id, "orderId": order_id}
                found.append(Found(shipped, data, created))
    return found


def backfill_page(
    auth: BigCommerceAuthentication, subs: dict, gap: Gap, after_id: int, *, dry_run=False
) -> Page:
    """The next page of orders changed in the gap, after order `after_id`: its missed events
    stored as backfilled deliveries (or only listed, in a dry run). An order BigCommerce no
    longer has is an error of the page, not of the backfill; a BigCommerce error that can pass
    (over budget, unavailable) is raised, and the page is read again later."""
    with authentications.client_for(auth) as client:
        orders = client.list_orders_modified(*gap.as_params(), after_id=after_id, limit=PAGE_SIZE)
        page = Page(last_id=after_id, more=len(orders) >= PAGE_SIZE)
        for order in orders:
            order_id = order.get("id")
            if not isinstance(order_id, int) or order_id <= after_id:
                continue  # a reply that does not follow the bookmark: never loop on it
            try:
                found = missed(client, order, subs, gap)
            except NotFound as exc:
                page.errors.append((order_id, exc.message))
                found = []
            for event in found:
                page.found.append(event.key)
                if dry_run:
                    continue
                if store(event, auth).duplicate:
                    page.duplicates += 1
                else:
                    page.created += 1
            page.orders += 1
            page.last_id = order_id
    return page


def store(event: Found, auth: BigCommerceAuthentication) -> receiver.Accepted:
    """The missed event as a delivery, with the body BigCommerce would have sent, marked
    backfilled; a delivery with its resource key already stored makes it a duplicate."""
    sub = event.subscription
    scope = get_event(sub.event).scope
    key = event.key
    body = {
        "scope": scope,
        "store_id": str(auth.store_settings.get("store_id") or ""),
        "data": event.data,
        # Ours, not BigCommerce's: the same for the same resource, so a backfill is idempotent.
        "hash": "backfill-" + hashlib.sha256(key.encode()).hexdigest()[:40],
        "created_at": int(event.happened.timestamp()),
        "producer": f"stores/{auth.store_hash}",
    }
    delivery = WebhookDelivery(
        subscription_id=sub.pk,
        scope=scope,
        store_hash=auth.store_hash,
        hash=body["hash"],
        body=json.dumps(body),
        headers={},
        next_attempt_at=timezone.now(),
        order_id=event.data["orderId"],
        origin=DeliveryOrigin.BACKFILL,
        resource_key=key,
    )
    return receiver.store_once(delivery)
