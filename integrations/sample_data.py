"""Built-in sample data for "test events": resources and delivery bodies per event.

The resources in ``sample_resources/`` are BigCommerce's own examples (v3 cart, v2 order, v2 and
v3 customer) with their ids made consistent: one registered customer (id 11, Jane Doe) whose cart
became order 218, so every merge code of every event has a value. The extra codes' resources
(the shipment, the order's products, the store's settings) are BigCommerce's examples kept for
the stand-in (``standin/examples``), their ids made consistent the same way. The catalog's
events (``events_catalog.json``) say in their ``sample`` how their order and body differ
from those: e.g. a refund's order is partially refunded and its body names refund 3.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from integrations.events import EventKey, get_event
from integrations.merge_data import Resources
from integrations.payloads import parse_delivery

SAMPLE_DIR = Path(__file__).with_name("sample_resources")
EXAMPLES_DIR = Path(__file__).with_name("standin") / "examples"
SAMPLE_SHIPMENT_ID = 12
SAMPLE_STORE_ID = "1025646"
STORE_HASH_PLACEHOLDER = "{store_hash}"

# The example order is still awaiting payment; a shipment sample reads better once it shipped.
_SHIPPED_ORDER = {
    "status_id": 2,
    "status": "Shipped",
    "custom_status": "Shipped",
    "date_shipped": "Wed, 06 Mar 2019 15:20:10 +0000",
    "items_shipped": 4,
    "payment_status": "captured",
}


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((SAMPLE_DIR / f"{name}.json").read_text(encoding="utf-8"))


@cache
def _example(name: str) -> Any:
    return json.loads((EXAMPLES_DIR / name).read_text(encoding="utf-8"))


def _extras(order: dict) -> dict[str, Any]:
    """The shipment, products and store settings of the sample order, ids consistent."""
    products = copy.deepcopy(_example("v2_order_products_response.json"))
    for product in products:
        product["order_id"] = order["id"]
    shipment = copy.deepcopy(_example("v2_order_shipment_response.json"))
    shipment.update(id=SAMPLE_SHIPMENT_ID, order_id=order["id"], customer_id=order["customer_id"])
    shipment["items"] = [
        {"order_product_id": p["id"], "product_id": p["product_id"], "quantity": p["quantity"]}
        for p in products
    ]
    return {
        "shipment": shipment,
        "order_products": products,
        "store": copy.deepcopy(_example("v2_store_information_response.json")),
    }


def sample_resources(
    event_key: str, *, store_hash: str | None = None, guest: bool = False
) -> Resources:
    """Sample resources for the event, shaped like what ``fetch_resources`` returns.

    Each call returns fresh copies. With ``store_hash``, the ``{store_hash}`` placeholder in
    resource URLs is filled in. ``guest``: a guest checkout (``customer_id`` 0, no customer
    fetched; the order's billing address and the cart keep their email).
    """
    cart = copy.deepcopy(_load("cart"))
    order = copy.deepcopy(_load("order"))
    extras = _extras(order)
    event = get_event(event_key)
    if event.fetch:
        resources = _catalog_resources(event, order, extras)
    elif event_key == EventKey.CART_ABANDONED:
        resources = Resources(
            cart=cart, customer=copy.deepcopy(_load("customer_v2")), store=extras["store"]
        )
    elif event_key == EventKey.CART_CONVERTED:
        extras.pop("shipment")
        resources = Resources(order=order, customer=copy.deepcopy(_load("customer_v2")), **extras)
    else:
        order.update(_SHIPPED_ORDER)
        resources = Resources(order=order, customer=copy.deepcopy(_load("customer_v3")), **extras)
    if guest:
        for resource in (resources.order, resources.cart, resources.shipment):
            if resource is not None:
                resource["customer_id"] = 0
        resources = dataclasses.replace(resources, customer=None)
    if store_hash is not None:
        resources = dataclasses.replace(
            resources,
            **{
                field.name: _fill_store_hash(getattr(resources, field.name), store_hash)
                for field in dataclasses.fields(resources)
            },
        )
    return resources


def sample_payload(
    event_key: str,
    store_hash: str,
    *,
    hash: str | None = None,  # BigCommerce's field name, kept for clarity
    created_at: int | None = None,
) -> dict[str, Any]:
    """A webhook body for the event, shaped like BigCommerce's examples, whose ids match
    ``sample_resources(event_key)``.

    ``hash`` defaults to a fresh random value so that repeated sample deliveries are not
    mistaken for duplicates; ``created_at`` defaults to now.
    """
    event = get_event(event_key)
    cart = _load("cart")
    order = _load("order")
    if event.fetch:
        data = _catalog_data(event)
    elif event_key == EventKey.CART_ABANDONED:
        # The token is the abandoned-cart recovery token; any 32 hex characters will do.
        data: dict[str, Any] = {"type": "cart", "id": cart["id"], "token": uuid.uuid4().hex}
    elif event_key == EventKey.CART_CONVERTED:
        data = {"type": "cart", "id": order["cart_id"], "orderId": order["id"]}
    else:
        data = {"type": "shipment", "id": SAMPLE_SHIPMENT_ID, "orderId": order["id"]}
    return {
        "scope": event.scope,
        "store_id": SAMPLE_STORE_ID,
        "data": data,
        # 40 hex characters, like BigCommerce's SHA-1 hashes.
        "hash": hash if hash is not None else uuid.uuid4().hex + uuid.uuid4().hex[:8],
        "created_at": created_at if created_at is not None else int(time.time()),
        "producer": f"stores/{store_hash}",
    }


def _catalog_ids() -> dict[str, Any]:
    order = _load("order")
    return {
        "{order_id}": order["id"],
        "{customer_id}": order["customer_id"],
        "{refund_id}": _example("v3_order_refunds_response.json")["data"][0]["id"],
    }


def _catalog_data(event) -> dict[str, Any]:
    """The sample body's ``data`` of a catalog event, its placeholders filled in."""
    ids = _catalog_ids()

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        return ids.get(value, value) if isinstance(value, str) else value

    return fill(event.sample.get("data", {}))


def _catalog_resources(event, order: dict, extras: dict[str, Any]) -> Resources:
    """What the catalog event's fetch plan returns for the sample body."""
    order.update(event.sample.get("order", {}))
    refund = copy.deepcopy(_example("v3_order_refunds_response.json")["data"][0])
    refund["order_id"] = order["id"]
    body = json.dumps(sample_payload(event.key, "sample")).encode()
    fields = parse_delivery(body, expected_scope=event.scope, expected_store_hash="sample").fields
    found = {
        "order": order,
        "customer": copy.deepcopy(_load("customer_v2")),
        "refund": refund,
    }
    plan = {step.resource for step in event.fetch}
    wanted = {name: value for name, value in found.items() if name in plan}
    if "order" not in plan:
        extras = {"store": extras["store"]}
    extras.pop("shipment", None)
    return Resources(webhook=fields, **wanted, **extras)


def _fill_store_hash(value: Any, store_hash: str) -> Any:
    if isinstance(value, str):
        return value.replace(STORE_HASH_PLACEHOLDER, store_hash)
    if isinstance(value, dict):
        return {key: _fill_store_hash(item, store_hash) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill_store_hash(item, store_hash) for item in value]
    return value
