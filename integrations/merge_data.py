"""From a delivery to merge data: which store resources to fetch, and how codes map onto them.

Fetch plan (the minimum calls; docs/architecture.md, "Events"):

=================  ===========================  ==================================
event              first call                   customer call (skipped for guests)
=================  ===========================  ==================================
cart_abandoned     v3 cart ``data.id``          v2 customer ``cart.customer_id``
cart_converted     v2 order ``data.orderId``    v2 customer ``order.customer_id``
shipment_created   v2 order ``data.orderId``    v3 customer ``order.customer_id``
=================  ===========================  ==================================
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Protocol

from integrations.events import MERGE_CODE_SEPARATOR, EventKey, get_event
from integrations.payloads import DeliveryPayload

JSONValue = Any  # str | int | float | bool | list | dict | None, as found in BigCommerce's JSON


class ResourceClient(Protocol):
    """The part of the BigCommerce client this module needs (errors propagate to the caller)."""

    def get_cart(self, cart_id: str) -> dict: ...

    def get_order(self, order_id: int) -> dict: ...

    def get_customer_v2(self, customer_id: int) -> dict: ...

    def get_customer_v3(self, customer_id: int) -> dict | None: ...


@dataclass(frozen=True)
class Resources:
    """The store resources of one delivery; ``None`` where not fetched (or a guest customer)."""

    cart: dict | None = None
    order: dict | None = None
    customer: dict | None = None


def fetch_resources(client: ResourceClient, payload: DeliveryPayload) -> Resources:
    """Fetch what ``payload``'s event needs with the fewest calls; client errors propagate."""
    key = payload.event_key
    if key == EventKey.CART_ABANDONED:
        cart = client.get_cart(payload.cart_id)
        customer_id = _customer_id(cart)
        customer = client.get_customer_v2(customer_id) if customer_id else None
        return Resources(cart=cart, customer=customer)
    if key in (EventKey.CART_CONVERTED, EventKey.SHIPMENT_CREATED):
        order = client.get_order(payload.order_id)
        customer_id = _customer_id(order)
        customer = None
        if customer_id:
            # Shipments use the v3 customer: their merge codes (channel_ids, ...) are v3 fields.
            if key == EventKey.SHIPMENT_CREATED:
                customer = client.get_customer_v3(customer_id)
            else:
                customer = client.get_customer_v2(customer_id)
        return Resources(order=order, customer=customer)
    raise ValueError(f"No fetch plan for event {key!r}")


def build_merge_data(event_key: str, resources: Resources) -> dict[str, JSONValue]:
    """Map every merge code of the event, in order, to its value (``None`` when absent)."""
    return {code: resolve_code(code, resources) for code in get_event(event_key).merge_codes}


def in_event_order(event_key: str, merge_data: dict[str, JSONValue]) -> dict[str, JSONValue]:
    """Stored merge data in the event's merge-code order (PostgreSQL's jsonb keeps no order)."""
    codes = get_event(event_key).merge_codes
    return {code: merge_data.get(code) for code in codes if code in merge_data}


def resolve_code(code: str, resources: Resources) -> JSONValue:
    """The value at ``code``'s path, e.g. ``BigCommerce | Cart | currency | code`` ->
    ``cart["currency"]["code"]``; ``None`` if the resource or any key is missing."""
    _prefix, resource_name, *path = code.split(MERGE_CODE_SEPARATOR)
    value: Any = _RESOURCE_GETTERS[resource_name](resources)
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
