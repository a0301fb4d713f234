"""The BigCommerce event catalog: which store events can start a workflow, and their merge codes.

The merge-code lists come verbatim from ``merge_codes.json`` (the lists the product
advertises, order kept); this module only adds the human descriptions and the Django choices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import models

MERGE_CODES_FILE = Path(__file__).with_name("merge_codes.json")

# Every merge code starts with this segment; segments are joined by MERGE_CODE_SEPARATOR.
MERGE_CODE_PREFIX = "BigCommerce"
MERGE_CODE_SEPARATOR = " | "


class EventKey(models.TextChoices):
    """Event keys as stored on models (kept in step with ``merge_codes.json`` by a check below)."""

    CART_ABANDONED = "cart_abandoned", "Cart Abandoned"
    CART_CONVERTED = "cart_converted", "Cart Converted"
    SHIPMENT_CREATED = "shipment_created", "Shipment Created"


@dataclass(frozen=True)
class Event:
    """One BigCommerce store event a workflow can start from."""

    key: str
    name: str
    scope: str  # BigCommerce webhook scope, e.g. "store/cart/abandoned"
    description: str
    merge_codes: tuple[str, ...]


_DESCRIPTIONS = {
    EventKey.CART_ABANDONED: (
        "A shopper left a cart without checking out (BigCommerce fires this about an hour "
        "after the last activity)."
    ),
    EventKey.CART_CONVERTED: (
        "A shopper's cart became an order, usually right after payment at checkout."
    ),
    EventKey.SHIPMENT_CREATED: (
        "The store created a shipment for an order, for example when items are marked as shipped."
    ),
}


def _load_events() -> dict[str, Event]:
    raw = json.loads(MERGE_CODES_FILE.read_text(encoding="utf-8"))["events"]
    # Fail at import rather than later with a half-working catalog.
    if list(raw) != list(EventKey.values):
        raise RuntimeError(
            f"{MERGE_CODES_FILE.name} lists events {list(raw)}, EventKey has {EventKey.values}"
        )
    events = {}
    for key, item in raw.items():
        if item["name"] != EventKey(key).label:
            raise RuntimeError(f"Event {key!r}: name differs between EventKey and JSON file")
        events[key] = Event(
            key=key,
            name=item["name"],
            scope=item["scope"],
            description=_DESCRIPTIONS[key],
            merge_codes=tuple(item["merge_codes"]),
        )
    return events


# Ordered by key as in the JSON file: cart_abandoned, cart_converted, shipment_created.
EVENTS: dict[str, Event] = _load_events()
_BY_SCOPE: dict[str, Event] = {event.scope: event for event in EVENTS.values()}


def get_event(key: str) -> Event:
    """The event with this key; ``KeyError`` (naming the valid keys) if there is none."""
    try:
        return EVENTS[key]
    except KeyError:
        raise KeyError(
            f"Unknown BigCommerce event {key!r}; valid events: {', '.join(EVENTS)}"
        ) from None


def event_for_scope(scope: str) -> Event | None:
    """The event BigCommerce announces with this webhook scope, or ``None`` for other scopes."""
    return _BY_SCOPE.get(scope)
