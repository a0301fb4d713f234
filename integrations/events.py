"""The BigCommerce event catalog: which store events can start a workflow, and their merge codes.

The brief's three events' codes start with the lists of ``merge_codes.json``, verbatim (the
lists the product advertises, order kept); the codes of ``merge_codes_more.json`` follow, in
their groups (shipment, order products, cart items, store), each saying which resources it
needs. Every other event is one entry of ``events_catalog.json``: its scope, body fields,
fetch plan, codes, defaults and sample (docs/architecture.md, "Adding an event"). This module
only loads the data and makes the Django choices from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models

MERGE_CODES_FILE = Path(__file__).with_name("merge_codes.json")
MORE_CODES_FILE = Path(__file__).with_name("merge_codes_more.json")
CATALOG_FILE = Path(__file__).with_name("events_catalog.json")

# Every merge code starts with this segment; segments are joined by MERGE_CODE_SEPARATOR.
MERGE_CODE_PREFIX = "BigCommerce"
MERGE_CODE_SEPARATOR = " | "
# The resources every delivery of an event fetches anyway, by the brief's code segment.
BASE_RESOURCES = {"Cart": "cart", "Order": "order", "Customer": "customer"}
# The webhook body's own ids (normalised by integrations/payloads.py): a resource no call makes.
WEBHOOK_RESOURCE = "webhook"


def _event_keys() -> list[tuple[str, tuple[str, str]]]:
    brief = json.loads(MERGE_CODES_FILE.read_text(encoding="utf-8"))["events"]
    more = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))["events"]
    return [(key.upper(), (key, item["name"])) for key, item in {**brief, **more}.items()]


# Event keys as stored on models: the brief's three, then the catalog's, e.g.
# EventKey.CART_ABANDONED == "cart_abandoned", EventKey.ORDER_CREATED == "order_created".
EventKey = models.TextChoices("EventKey", _event_keys())


@dataclass(frozen=True)
class FetchStep:
    """One call of an event's fetch plan (``events_catalog.json``)."""

    resource: str  # where the answer goes: "order", "customer", "refund", ...
    call: str  # what to ask (integrations/merge_data.py's _CALLS)
    id: str  # "webhook.<field>" or "<resource>.<key>"; no id (a guest's 0): no call
    pick: str = ""  # for a list: the item whose id is this ("webhook.refund_id")


@dataclass(frozen=True)
class Event:
    """One BigCommerce store event a workflow can start from."""

    key: str
    name: str
    scope: str  # BigCommerce webhook scope, e.g. "store/cart/abandoned"
    description: str
    merge_codes: tuple[str, ...]  # the brief's codes, then the extra groups' codes
    # The codes every delivery carries: merge_codes.json's list, verbatim, for the brief's
    # events; the codes taken from one of them and the event's own groups for the others.
    brief_codes: tuple[str, ...] = ()
    payload: tuple[tuple[str, str], ...] = ()  # (field, path under "data") the body must carry
    fetch: tuple[FetchStep, ...] = ()  # the catalog's plan; () = the brief's, in merge_data.py
    send_once: str = ""  # new workflows' send-once scope ("order", "cart", "customer")
    stop_on_order_statuses: str | None = None  # new workflows' setting (None: the model's)
    consent: dict | None = None  # codes for customer id, registered consent, guest opt-in
    channel_code: str = ""  # the code holding the channel, for trigger filters
    status_code: str = ""  # the code holding the order's status id
    status_from_code: str = ""  # a status change's previous and new status id
    status_to_code: str = ""
    default_filter: dict = field(default_factory=dict)  # new workflows' trigger filter
    sample: dict = field(default_factory=dict)  # how integrations/sample_data.py makes its data

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


def _load_extra_codes() -> tuple[
    dict[str, ExtraCode], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]
]:
    """The extra codes by name, each group's codes, and each brief event's extra codes."""
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
    return codes, groups, by_event


EXTRA_CODES, _GROUP_CODES, _EXTRA_BY_EVENT = _load_extra_codes()


def _load_events() -> dict[str, Event]:
    raw = json.loads(MERGE_CODES_FILE.read_text(encoding="utf-8"))["events"]
    events = {}
    for key, item in raw.items():
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
            send_once=_BRIEF_SEND_ONCE[key],
        )
    for key, item in json.loads(CATALOG_FILE.read_text(encoding="utf-8"))["events"].items():
        events[key] = _catalog_event(key, item, events)
    return events


# The brief's events' send-once scopes: once per order for shipments (split shipments) and
# converted carts, once per cart for abandoned ones.
_BRIEF_SEND_ONCE = {
    "cart_abandoned": "cart",
    "cart_converted": "order",
    "shipment_created": "order",
}


def _catalog_event(key: str, item: dict, brief: dict[str, Event]) -> Event:
    """One ``events_catalog.json`` entry; a mistake in it fails at import, naming the event."""
    source = item["codes_from"]
    base = tuple(
        code
        for code in brief[source["event"]].brief_codes
        if code.split(MERGE_CODE_SEPARATOR)[1] in source["groups"]
    )
    own = tuple(code for group in item["own_groups"] for code in _GROUP_CODES[group])
    extra = tuple(code for group in item["extra_groups"] for code in _GROUP_CODES[group])
    codes = base + own + extra
    if len(set(codes)) != len(codes):
        raise RuntimeError(f"Event {key!r}: a code is offered twice")
    for name in ("channel_code", "status_code", "status_from_code", "status_to_code"):
        if item.get(name) and item[name] not in codes:
            raise RuntimeError(f"Event {key!r}: {name} {item[name]!r} is none of its codes")
    return Event(
        key=key,
        name=item["name"],
        scope=item["scope"],
        description=item["description"],
        merge_codes=codes,
        brief_codes=base + own,
        payload=tuple(item["payload"].items()),
        fetch=tuple(FetchStep(**step) for step in item["fetch"]),
        send_once=item.get("send_once", ""),
        stop_on_order_statuses=item.get("stop_on_order_statuses"),
        consent=item.get("consent"),
        channel_code=item.get("channel_code", ""),
        status_code=item.get("status_code", ""),
        status_from_code=item.get("status_from_code", ""),
        status_to_code=item.get("status_to_code", ""),
        default_filter=item.get("default_filter", {}),
        sample=item.get("sample", {}),
    )


# The brief's three (cart_abandoned, cart_converted, shipment_created), then the catalog's.
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
    """The resources beyond the event's own (cart/order/customer, its fetch plan's, the
    webhook's) that ``codes`` need: codes the event does not offer, and the brief's, need
    nothing more."""
    event = get_event(event_key)
    offered = set(event.extra_codes)
    needed: set[str] = set()
    for code in codes:
        if code in offered:
            needed |= EXTRA_CODES[code].resources
    own = {*BASE_RESOURCES.values(), WEBHOOK_RESOURCE, *(step.resource for step in event.fetch)}
    return frozenset(needed - own)
