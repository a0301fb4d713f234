"""The BigCommerce event catalog: which store events can start a workflow, and their merge codes.

Each event's codes start with the lists of ``merge_codes.json``, verbatim (the lists the product
advertises, order kept); the codes of ``merge_codes_more.json`` follow, in their groups
(shipment, order products, cart items, store), each saying which resources it needs. This
module only loads the data and adds the human descriptions and the Django choices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import models

MERGE_CODES_FILE = Path(__file__).with_name("merge_codes.json")
MORE_CODES_FILE = Path(__file__).with_name("merge_codes_more.json")

# Every merge code starts with this segment; segments are joined by MERGE_CODE_SEPARATOR.
MERGE_CODE_PREFIX = "BigCommerce"
MERGE_CODE_SEPARATOR = " | "
# The resources every delivery of an event fetches anyway, by the brief's code segment.
BASE_RESOURCES = {"Cart": "cart", "Order": "order", "Customer": "customer"}


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
    merge_codes: tuple[str, ...]  # the brief's codes, then the extra groups' codes
    brief_codes: tuple[str, ...] = ()  # merge_codes.json's list, verbatim

    @property
    def extra_codes(self) -> tuple[str, ...]:
        return self.merge_codes[len(self.brief_codes) :]


@dataclass(frozen=True)
class ExtraCode:
    """A code beyond the brief's: where its value comes from and what must be fetched for it."""

    code: str
    label: str
    group: str  # the group's title, e.g. "Shipment"
    resources: frozenset[str]  # e.g. {"shipment", "order_products"}
    path: tuple[str, ...] = ()  # keys into the group's (first) resource
    value: str = ""  # or the name of a rule in integrations/merge_data.py


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


def _load_extra_codes() -> tuple[dict[str, ExtraCode], dict[str, tuple[str, ...]]]:
    """The extra codes by name, and each event's extra codes in order."""
    raw = json.loads(MORE_CODES_FILE.read_text(encoding="utf-8"))
    codes: dict[str, ExtraCode] = {}
    groups: dict[str, tuple[str, ...]] = {}
    for key, group in raw["groups"].items():
        names = []
        for item in group["codes"]:
            if ("path" in item) == ("value" in item):
                raise RuntimeError(f"{item['code']!r}: give exactly one of 'path' or 'value'")
            if "path" in item and len(item.get("resources", group["resources"])) != 1:
                raise RuntimeError(f"{item['code']!r}: a path reads exactly one resource")
            codes[item["code"]] = ExtraCode(
                code=item["code"],
                label=item["label"],
                group=group["title"],
                resources=frozenset(item.get("resources", group["resources"])),
                path=tuple(item.get("path", ())),
                value=item.get("value", ""),
            )
            names.append(item["code"])
        groups[key] = tuple(names)
    by_event = {
        event: tuple(code for group in group_keys for code in groups[group])
        for event, group_keys in raw["events"].items()
    }
    return codes, by_event


EXTRA_CODES, _EXTRA_BY_EVENT = _load_extra_codes()


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
        brief = tuple(item["merge_codes"])
        extra = _EXTRA_BY_EVENT.get(key, ())
        if set(brief) & set(extra):
            raise RuntimeError(f"Event {key!r}: an extra code repeats one of the brief's")
        events[key] = Event(
            key=key,
            name=item["name"],
            scope=item["scope"],
            description=_DESCRIPTIONS[key],
            merge_codes=brief + extra,
            brief_codes=brief,
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


def code_label(code: str) -> str:
    """A friendly name for a code: its own for the extra codes, else made from the segments
    (``BigCommerce | Order | billing_address | email`` -> "Order billing address email")."""
    extra = EXTRA_CODES.get(code)
    if extra is not None:
        return extra.label
    segments = code.split(MERGE_CODE_SEPARATOR)[1:]
    return " ".join(segment.replace("_", " ") for segment in segments)


def code_prefixes() -> tuple[str, ...]:
    """The first segments the catalog's codes use: "BigCommerce", then "Store"."""
    seen = (
        code.split(MERGE_CODE_SEPARATOR, 1)[0] for e in EVENTS.values() for code in e.merge_codes
    )
    return tuple(dict.fromkeys(seen))


def resources_for(event_key: str, codes) -> frozenset[str]:
    """The resources beyond the event's own (cart/order/customer) that ``codes`` need: codes the
    event does not offer, and the brief's, need nothing more."""
    offered = set(get_event(event_key).extra_codes)
    needed: set[str] = set()
    for code in codes:
        if code in offered:
            needed |= EXTRA_CODES[code].resources
    return frozenset(needed - set(BASE_RESOURCES.values()))
