"""What happened in the stand-in's stores: the orders that events were fired for, with when they
were created and last modified, their converted cart and their shipments — so that the store
API can list orders by date modified (``GET /v2/orders?min_date_modified=...``), count them and
list an order's shipments, as a backfill after a gap asks. An event fired while no hook is
active is still recorded: that is a gap.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime


def rfc2822(timestamp: float) -> str:
    """A time as v2 writes it: ``Tue, 20 Nov 2012 00:00:00 +0000``."""
    return format_datetime(datetime.fromtimestamp(int(timestamp), UTC))


def parse_date(text: str) -> float | None:
    """A v2 date filter (RFC-2822 or ISO-8601) as a timestamp; None if it is neither."""
    if not isinstance(text, str) or not text or len(text) > 64:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


class StoreHistory:
    """Orders per store: (store, order id) -> created, modified, cart id, shipments."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: dict[tuple[str, int], dict] = {}

    def record(self, store_hash: str, scope: str, data: dict, at: float | None = None) -> None:
        """An event happened: a converted cart made its order; a shipment modified its order."""
        order_id = data.get("orderId")
        if not isinstance(order_id, int) or isinstance(order_id, bool) or order_id <= 0:
            return
        at = time.time() if at is None else at
        with self._lock:
            order = self._orders.setdefault(
                (store_hash, order_id),
                {"date_created": at, "date_modified": at, "cart_id": None, "shipments": {}},
            )
            order["date_modified"] = at
            if scope == "store/cart/converted" and isinstance(data.get("id"), str):
                order.update(cart_id=data["id"], date_created=at)
            if scope == "store/shipment/created" and isinstance(data.get("id"), int):
                order["shipments"][data["id"]] = at

    def order(self, store_hash: str, order_id: int) -> dict | None:
        with self._lock:
            found = self._orders.get((store_hash, order_id))
            return None if found is None else {**found, "shipments": dict(found["shipments"])}

    def modified(self, store_hash: str, since: float, until: float, after_id: int = 0) -> list[int]:
        """Ids of the store's orders modified between the two times, above `after_id`, in order."""
        with self._lock:
            return sorted(
                order_id
                for (store, order_id), order in self._orders.items()
                if store == store_hash
                and order_id > after_id
                and since <= order["date_modified"] <= until
            )
