"""From a delivery to merge data: which store resources to fetch, and how codes map onto them.

Fetch plan (the minimum calls; docs/architecture.md, "Adding an event"):

=================  ===========================  ==================================
event              first call                   customer call (skipped for guests)
=================  ===========================  ==================================
cart_abandoned     v3 cart ``data.id``          v2 customer ``cart.customer_id``
cart_converted     v2 order ``data.orderId``    v2 customer ``order.customer_id``
shipment_created   v2 order ``data.orderId``    v3 customer ``order.customer_id``
=================  ===========================  ==================================

Every other event's plan is data: its ``fetch`` steps in ``events_catalog.json`` (e.g.
``order_refunded``: the v2 order, the refund from ``GET /v3/orders/{o}/payment_actions/refunds``,
the v2 customer), run in order by ``_fetch_catalog_plan``; the body's own ids (a status change)
are the ``webhook`` resource, which costs no call.

The extra codes (``merge_codes_more.json``) cost a call only when a listening workflow uses
them: the caller passes the codes used, and each resource they need is fetched once —
the shipment (``GET /v2/orders/{o}/shipments/{s}``), the order's products (every page of
``GET /v2/orders/{o}/products?limit=250``) and the store's settings (``/v2/store``, cached per
authentication by the caller).

The delivery task's time budget (`integrations.bigcommerce.budget`) is sized for the brief's
plan, ``MAX_FETCH_CALLS``; extra resources (and a refund's third call) share it, and should
BigCommerce be so slow that they would outlast it, the client's deadline stops the fetch and
the delivery is retried later (never killed by the task timeout).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from integrations.bigcommerce.errors import NotFound
from integrations.events import (
    EXTRA_CODES,
    MERGE_CODE_SEPARATOR,
    EventKey,
    get_event,
    resources_for,
)
from integrations.payloads import MAX_ID, DeliveryPayload

MAX_FETCH_CALLS = 2  # the first call and the customer call of the brief's plan above
JSONValue = Any  # str | int | float | bool | list | dict | None, as found in BigCommerce's JSON


class ResourceClient(Protocol):
    """The part of the BigCommerce client this module needs (errors propagate to the caller)."""

    def get_cart(self, cart_id: str) -> dict: ...

    def get_order(self, order_id: int) -> dict: ...

    def get_customer_v2(self, customer_id: int) -> dict: ...

    def get_customer_v3(self, customer_id: int) -> dict | None: ...

    def get_shipment(self, order_id: int, shipment_id: int) -> dict: ...

    def get_order_products(self, order_id: int) -> list[dict]: ...

    def get_store(self) -> dict: ...

    def get_order_refund(self, order_id: int, refund_id: int) -> dict: ...


@dataclass(frozen=True)
class Resources:
    """The store resources of one delivery; ``None`` where not fetched (or a guest customer)."""

    cart: dict | None = None
    order: dict | None = None
    customer: dict | None = None
    shipment: dict | None = None
    order_products: list | None = None
    store: dict | None = None
    refund: dict | None = None
    webhook: dict | None = None  # the body's own ids (payloads.DeliveryPayload.fields)


def fetch_resources(
    client: ResourceClient,
    payload: DeliveryPayload,
    codes: Iterable[str] = (),
    *,
    store: Callable[[], dict] | None = None,
) -> Resources:
    """Fetch what ``payload``'s event needs with the fewest calls, plus the resources the extra
    codes among ``codes`` need (each once); ``store`` loads the store's settings (by default
    ``client.get_store()``). Client errors propagate."""
    resources = _fetch_event_resources(client, payload)
    extra = resources_for(payload.event_key, codes)
    more: dict[str, Any] = {}
    if "shipment" in extra and payload.shipment_id and payload.order_id:
        more["shipment"] = client.get_shipment(payload.order_id, payload.shipment_id)
    if "order_products" in extra and payload.order_id:
        more["order_products"] = client.get_order_products(payload.order_id)
    if "store" in extra:
        more["store"] = store() if store is not None else client.get_store()
    return dataclasses.replace(resources, **more) if more else resources


def _fetch_event_resources(client: ResourceClient, payload: DeliveryPayload) -> Resources:
    key = payload.event_key
    if get_event(key).fetch:
        return _fetch_catalog_plan(client, payload)
    if key == EventKey.CART_ABANDONED:
        cart = client.get_cart(payload.cart_id)
        customer = _customer(client.get_customer_v2, _customer_id(cart))
        return Resources(cart=cart, customer=customer)
    if key in (EventKey.CART_CONVERTED, EventKey.SHIPMENT_CREATED):
        order = client.get_order(payload.order_id)
        # Shipments use the v3 customer: their merge codes (channel_ids, ...) are v3 fields.
        get = client.get_customer_v3 if key == EventKey.SHIPMENT_CREATED else client.get_customer_v2
        return Resources(order=order, customer=_customer(get, _customer_id(order)))
    raise ValueError(f"No fetch plan for event {key!r}")


# What a catalog plan's step may ask (events_catalog.json's "call"): (client, id, pick) -> value.
_CALLS: dict[str, Callable[[Any, int, int | None], Any]] = {
    "order": lambda client, id_, _pick: client.get_order(id_),
    "customer_v2": lambda client, id_, _pick: _customer(client.get_customer_v2, id_),
    "customer_v3": lambda client, id_, _pick: _customer(client.get_customer_v3, id_),
    "order_refund": lambda client, id_, pick: client.get_order_refund(id_, pick),
}


def _fetch_catalog_plan(client: ResourceClient, payload: DeliveryPayload) -> Resources:
    """Run a catalog event's fetch steps in order, one call each; a step whose id is missing
    or 0 (a guest's customer) makes no call and leaves its resource null."""
    found: dict[str, Any] = {"webhook": dict(payload.fields)}
    for step in get_event(payload.event_key).fetch:
        id_ = _positive_id(_lookup(found, step.id))
        pick = _positive_id(_lookup(found, step.pick)) if step.pick else None
        if id_ is None or (step.pick and pick is None):
            found[step.resource] = None
            continue
        found[step.resource] = _CALLS[step.call](client, id_, pick)
    return Resources(**found)


def _lookup(found: dict[str, Any], where: str) -> Any:
    resource, key = where.split(".", 1)
    value = found.get(resource)
    return value.get(key) if isinstance(value, dict) else None


def _customer(get: Callable[[int], dict | None], customer_id: int | None) -> dict | None:
    """The customer, or None for a guest or a customer deleted since (BigCommerce has none by
    that id): the event still happened, and its Customer codes are null, as for a guest."""
    if not customer_id:
        return None
    try:
        return get(customer_id)
    except NotFound:
        return None


def build_merge_data(
    event_key: str, resources: Resources, codes: Iterable[str] = ()
) -> dict[str, JSONValue]:
    """Map every brief code of the event, and the event's extra codes among ``codes``, in the
    event's order, to its value (``None`` when absent). ``codes=ALL`` maps every code."""
    event = get_event(event_key)
    wanted = set(event.extra_codes) if codes is ALL else set(codes)
    names = event.brief_codes + tuple(code for code in event.extra_codes if code in wanted)
    return {code: resolve_code(code, resources) for code in names}


ALL: Any = object()  # build_merge_data(..., codes=ALL): every code, extra ones included


def in_event_order(event_key: str, merge_data: dict[str, JSONValue]) -> dict[str, JSONValue]:
    """Stored merge data in the event's merge-code order (PostgreSQL's jsonb keeps no order)."""
    codes = get_event(event_key).merge_codes
    return {code: merge_data.get(code) for code in codes if code in merge_data}


def resolve_code(code: str, resources: Resources) -> JSONValue:
    """The value at ``code``'s path, e.g. ``BigCommerce | Cart | currency | code`` ->
    ``cart["currency"]["code"]``; ``None`` if the resource or any key is missing. An extra
    code's value is at its own path in its resource, or made by its rule."""
    extra = EXTRA_CODES.get(code)
    if extra is not None and extra.value:
        return _VALUE_RULES[extra.value](resources)
    if extra is not None:
        (resource_name,) = extra.resources  # a path code reads one resource
        value: Any = getattr(resources, resource_name)
        path = list(extra.path)
    else:
        _prefix, resource_name, *path = code.split(MERGE_CODE_SEPARATOR)
        value = _RESOURCE_GETTERS[resource_name](resources)
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    # A copy, so that editing merge data never edits the fetched resources (or the samples).
    return copy.deepcopy(value)


_RESOURCE_GETTERS = {
    "Cart": lambda resources: resources.cart,
    "Order": lambda resources: resources.order,
    "Customer": lambda resources: resources.customer,
}

# The cart page: BigCommerce documents no link that reopens an abandoned cart from the
# webhook's token (README, "Merge codes"), so the recovery link opens the store's cart.
CART_PAGE = "/cart.php"
_CART_ITEM_KINDS = ("physical_items", "digital_items", "custom_items")


def _tracking_link(resources: Resources) -> JSONValue:
    shipment = resources.shipment if isinstance(resources.shipment, dict) else {}
    return shipment.get("tracking_link") or shipment.get("generated_tracking_link") or None


def _order_products(resources: Resources) -> JSONValue:
    if not isinstance(resources.order_products, list):
        return None
    return [
        {
            "name": item.get("name"),
            "sku": item.get("sku"),
            "quantity": item.get("quantity"),
            "price": item.get("price_inc_tax"),
            "total": item.get("total_inc_tax"),
            "product_id": item.get("product_id"),
        }
        for item in resources.order_products
        if isinstance(item, dict)
    ]


def _shipment_items(resources: Resources) -> JSONValue:
    """The shipment's items with their names and SKUs from the order's products."""
    shipment = resources.shipment if isinstance(resources.shipment, dict) else {}
    items = shipment.get("items")
    if not isinstance(items, list):
        return None
    products = {
        item.get("id"): item
        for item in resources.order_products or []
        if isinstance(item, dict) and item.get("id") is not None
    }
    shipped = []
    for item in items:
        if not isinstance(item, dict):
            continue
        product = products.get(item.get("order_product_id"), {})
        shipped.append(
            {
                "name": product.get("name"),
                "sku": product.get("sku"),
                "quantity": item.get("quantity"),
                "product_id": item.get("product_id") or product.get("product_id"),
            }
        )
    return shipped


def _cart_line_items(resources: Resources) -> JSONValue:
    cart = resources.cart if isinstance(resources.cart, dict) else None
    line_items = cart.get("line_items") if cart else None
    if not isinstance(line_items, dict):
        return None
    items = []
    for kind in _CART_ITEM_KINDS:
        for item in line_items.get(kind) or []:
            if isinstance(item, dict):
                items.append(
                    {
                        "name": item.get("name"),
                        "sku": item.get("sku"),
                        "quantity": item.get("quantity"),
                        "price": item.get("sale_price", item.get("list_price")),
                        "total": item.get("extended_sale_price", item.get("extended_list_price")),
                        "product_id": item.get("product_id"),
                        "url": item.get("url"),
                        "image_url": item.get("image_url"),
                    }
                )
    for card in line_items.get("gift_certificates") or []:
        if isinstance(card, dict):
            amount = card.get("amount")
            items.append(
                {
                    "name": card.get("name"),
                    "sku": None,
                    "quantity": card.get("quantity", 1),
                    "price": amount,
                    "total": amount,
                    "product_id": None,
                }
            )
    return items


def _cart_recovery_url(resources: Resources) -> JSONValue:
    store = resources.store if isinstance(resources.store, dict) else {}
    base = store.get("secure_url") or (f"https://{store['domain']}" if store.get("domain") else "")
    if not isinstance(base, str) or not base:
        return None
    return base.rstrip("/") + CART_PAGE


# BigCommerce's order statuses (GET /v2/order_statuses), by id, for a status change's names.
ORDER_STATUSES = {
    0: "Incomplete",
    1: "Pending",
    2: "Shipped",
    3: "Partially Shipped",
    4: "Refunded",
    5: "Cancelled",
    6: "Declined",
    7: "Awaiting Payment",
    8: "Awaiting Pickup",
    9: "Awaiting Shipment",
    10: "Completed",
    11: "Awaiting Fulfillment",
    12: "Manual Verification Required",
    13: "Disputed",
    14: "Partially Refunded",
}


def _status_name(which: str) -> Callable[[Resources], JSONValue]:
    def rule(resources: Resources) -> JSONValue:
        webhook = resources.webhook if isinstance(resources.webhook, dict) else {}
        status_id = webhook.get(which)
        return ORDER_STATUSES.get(status_id) if isinstance(status_id, int) else None

    return rule


_VALUE_RULES: dict[str, Callable[[Resources], JSONValue]] = {
    "previous_status_name": _status_name("previous_status_id"),
    "new_status_name": _status_name("new_status_id"),
    "tracking_link": _tracking_link,
    "order_products": _order_products,
    "shipment_items": _shipment_items,
    "cart_line_items": _cart_line_items,
    "cart_recovery_url": _cart_recovery_url,
}
_missing_rules = {code.value for code in EXTRA_CODES.values() if code.value} - set(_VALUE_RULES)
if _missing_rules:  # fail at import rather than with a half-working catalog
    raise RuntimeError(f"merge_codes_more.json names unknown value rules: {_missing_rules}")


def subject_keys(event_key: str, resources: Resources) -> dict[str, str | None]:
    """Keys for the send-once guard: ``{"order", "cart", "customer"}``, each ``None`` if unknown.

    ``order`` is ``order:<id>``; ``cart`` is ``cart:<uuid>`` (the abandoned cart, or the cart an
    order came from); ``customer`` is ``customer:<id>`` for a registered customer, otherwise
    ``email:<lower-case email>`` so that guests are recognised too. Keys are not prefixed with the
    store: a workflow (and so its guard) belongs to one store.
    """
    get_event(event_key)  # unknown event -> KeyError, like everywhere else
    cart = resources.cart if isinstance(resources.cart, dict) else {}
    order = resources.order if isinstance(resources.order, dict) else {}
    customer = resources.customer if isinstance(resources.customer, dict) else {}

    order_id = _positive_id(order.get("id"))
    cart_id = cart.get("id") or order.get("cart_id")
    customer_id = _positive_id(customer.get("id")) or _customer_id(cart) or _customer_id(order)
    billing = order.get("billing_address")
    email = (
        customer.get("email")
        or cart.get("email")
        or (billing.get("email") if isinstance(billing, dict) else None)
    )

    if customer_id:
        customer_key = f"customer:{customer_id}"
    elif isinstance(email, str) and email.strip():
        customer_key = f"email:{email.strip().lower()}"
    else:
        customer_key = None
    return {
        "order": f"order:{order_id}" if order_id else None,
        "cart": f"cart:{cart_id.lower()}" if isinstance(cart_id, str) and cart_id else None,
        "customer": customer_key,
    }


ORDER_ID_CODE = "BigCommerce | Order | id"
# Where an event's merge data has the customer's email, best first (a guest has no Customer).
EMAIL_CODES = (
    "BigCommerce | Customer | email",
    "BigCommerce | Cart | email",
    "BigCommerce | Order | billing_address | email",
)
MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True)
class SearchKeys:
    """What a run is found by in the runs list: its order id and its customer's email."""

    order_id: int | None
    customer_email: str  # lower-case; "" when unknown


def search_keys(merge_data: dict[str, JSONValue]) -> SearchKeys:
    """The order id and customer email in ``merge_data`` (any event's; absent codes are
    simply unknown)."""
    order_id = _positive_id(merge_data.get(ORDER_ID_CODE))
    email = ""
    for code in EMAIL_CODES:
        value = merge_data.get(code)
        if isinstance(value, str) and value.strip():
            email = normalise_email(value)
            break
    return SearchKeys(
        order_id=order_id if order_id is not None and order_id <= MAX_ID else None,
        customer_email=email if len(email) <= MAX_EMAIL_LENGTH else "",
    )


def normalise_email(value: str) -> str:
    """An email as it is stored for search and looked up: trimmed, lower-case."""
    return value.strip().lower()


def resources_in(merge_data: dict[str, JSONValue]) -> Resources:
    """The parts of the resources that stored merge data holds (enough for ``subject_keys``)."""
    parts: dict[str, dict] = {"Cart": {}, "Order": {}, "Customer": {}}
    for code, value in merge_data.items():
        _prefix, resource_name, *path = code.split(MERGE_CODE_SEPARATOR)
        if resource_name not in parts or not path or value is None:
            continue
        node = parts[resource_name]
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = value
    return Resources(
        cart=parts["Cart"] or None, order=parts["Order"] or None, customer=parts["Customer"] or None
    )


def _customer_id(resource: dict | None) -> int | None:
    """The resource's ``customer_id`` if it names a registered customer; 0/None = guest."""
    if not isinstance(resource, dict):
        return None
    return _positive_id(resource.get("customer_id"))


def _positive_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value) or None
    return None
