"""Sample BigCommerce resources for the stand-in, built from BigCommerce's own examples.

``examples/`` holds copies of BigCommerce's example payloads; each resource is that example with
its ids (and the ids and links derived from them) substituted. The rules are deterministic so
that tests and benchmarks can predict every answer:

- order ``{id}``: ids 1..899999 exist; ``customer_id`` is 0 (a guest) when ``id % 10 == 0``,
  otherwise ``1 + id % 7``.
- cart ``{uuid}``: any UUID exists; with ``n = UUID(id).int`` its ``customer_id`` follows the same
  rule (0 when ``n % 10 == 0``, else ``1 + n % 7``); ``email`` is the customer's, or a guest's.
- customer ``{id}`` (v2 and v3 shapes): ids 1..899999 exist.
- order ``{id}``'s products: ``1 + id % 3`` of them, from BigCommerce's two example products,
  ids ``id * 10 + n``; shipment ``{s}`` of order ``{id}`` (any ``s`` 1..899999) ships them all,
  tracking number ``EJ{id:09d}US``.
- order ``{id}``'s refunds (``GET /v3/orders/{id}/payment_actions/refunds``): one, id
  ``refund_id_for(id)`` (``id * 10 + 1``), of BigCommerce's example refund's amount.
- "Deleted" resources: order and customer ids >= 900000, and carts whose UUID starts with
  ``00000000``, answer 404 like BigCommerce does for a resource that no longer exists.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import time
import uuid
import zlib
from functools import cache
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).parent / "examples"
MISSING_FROM_ID = 900_000
MISSING_CART_PREFIX = "00000000"
API_ROOT = "https://api.bigcommerce.com/stores"
CUSTOMER_NAMES = [
    ("Jane", "Doe"),
    ("John", "Smith"),
    ("Amara", "Okafor"),
    ("Luis", "Garcia"),
    ("Mei", "Chen"),
    ("Priya", "Patel"),
    ("Olga", "Ivanova"),
]
# The delivery examples, by scope; other scopes get a generic {"type", "id"}.
DELIVERY_EXAMPLES = {
    "store/cart/abandoned": "webhook_store_cart_abandoned.json",
    "store/cart/converted": "webhook_store_cart_converted.json",
    "store/shipment/created": "webhook_store_shipment_created.json",
    "store/order/created": "webhook_store_order_created.json",
    "store/order/statusUpdated": "webhook_store_order_statusUpdated.json",
    "store/order/refund/created": "webhook_store_order_refund_created.json",
    "store/customer/created": "webhook_store_customer_created.json",
}


@cache
def _load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def example(name: str) -> Any:
    """A fresh copy of one of BigCommerce's examples (callers may mutate it)."""
    return copy.deepcopy(_load(name))


def customer_id_for(number: int) -> int:
    """The customer of order/cart ``number``: 0 (guest) for one in ten, else 1..7."""
    return 0 if number % 10 == 0 else 1 + number % 7


def exists(resource_id: int) -> bool:
    """Orders and customers 1..899999 exist; higher ids play deleted ones."""
    return 0 < resource_id < MISSING_FROM_ID


def store_id_for(store_hash: str) -> str:
    """A stable numeric store id (BigCommerce sends it as a string in deliveries)."""
    return str(1_000_000 + zlib.crc32(store_hash.encode()) % 9_000_000)


def client_id_for(store_hash: str) -> str:
    """A stable 32-character client id, shaped like BigCommerce's."""
    digest = hashlib.sha1(f"standin-client:{store_hash}".encode(), usedforsecurity=False)
    return digest.hexdigest()[:32]


def _person(customer_id: int) -> tuple[str, str, str]:
    first, last = CUSTOMER_NAMES[(customer_id - 1) % len(CUSTOMER_NAMES)]
    return first, last, f"{first}.{last}.{customer_id}@example.com".lower()


def _link(store_hash: str, resource: str, version: str = "v2") -> dict:
    return {"url": f"{API_ROOT}/{store_hash}/{version}{resource}", "resource": resource}


def store_information(store_hash: str, name: str) -> dict:
    """``GET /v2/store``."""
    store = example("v2_store_information_response.json")
    store.update(
        id=store_hash,
        name=name,
        control_panel_base_url=f"https://store-{store_hash}.mybigcommerce.com",
        store_id=int(store_id_for(store_hash)),
    )
    store["logo"]["url"] = store["logo"]["url"].replace("{store_hash}", store_hash)
    return store


def order(order_id: int, store_hash: str) -> dict | None:
    """``GET /v2/orders/{id}``, or None for a "deleted" order."""
    if not exists(order_id):
        return None
    result = example("v2_order_response.json")
    customer_id = customer_id_for(order_id)
    result.update(
        id=order_id,
        customer_id=customer_id,
        cart_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"standin-order-{order_id}")),
        # The live API returns these two; BigCommerce's example omits them (merge codes use them).
        is_deleted=False,
        consignments=_link(store_hash, f"/orders/{order_id}/consignments"),
    )
    for key, segment in (
        ("products", "products"),
        ("shipping_addresses", "shippingaddresses"),
        ("coupons", "coupons"),
    ):
        result[key] = _link(store_hash, f"/orders/{order_id}/{segment}")
    billing = result["billing_address"]
    if customer_id:
        billing["first_name"], billing["last_name"], billing["email"] = _person(customer_id)
    else:
        billing["email"] = f"guest.{order_id}@example.com"
    return result


def refund_id_for(order_id: int) -> int:
    """The id of order ``order_id``'s one refund."""
    return order_id * 10 + 1


def order_refunds(order_id: int) -> dict | None:
    """``GET /v3/orders/{id}/payment_actions/refunds``, or None for a "deleted" order."""
    if not exists(order_id):
        return None
    result = example("v3_order_refunds_response.json")
    for refund in result["data"]:
        refund.update(id=refund_id_for(order_id), order_id=order_id)
    return result


def order_products(order_id: int) -> list[dict] | None:
    """``GET /v2/orders/{id}/products`` (every page), or None for a "deleted" order."""
    if not exists(order_id):
        return None
    examples = example("v2_order_products_response.json")
    products = []
    for n in range(1 + order_id % 3):
        product = copy.deepcopy(examples[n % len(examples)])
        product.update(id=order_id * 10 + n, order_id=order_id)
        for option in product.get("product_options", []):
            option["order_product_id"] = product["id"]
        products.append(product)
    return products


def shipment(order_id: int, shipment_id: int, store_hash: str) -> dict | None:
    """``GET /v2/orders/{id}/shipments/{s}``: a shipment of all the order's products."""
    the_order = order(order_id, store_hash)
    if the_order is None or not exists(shipment_id):
        return None
    result = example("v2_order_shipment_response.json")
    tracking = f"EJ{order_id:09d}US"
    result.update(
        id=shipment_id,
        order_id=order_id,
        customer_id=the_order["customer_id"],
        tracking_number=tracking,
        generated_tracking_link=result["generated_tracking_link"].replace(
            result["tracking_number"], tracking
        ),
        items=[
            {"order_product_id": p["id"], "product_id": p["product_id"], "quantity": p["quantity"]}
            for p in order_products(order_id) or []
        ],
    )
    result["billing_address"].update(
        {key: the_order["billing_address"][key] for key in ("first_name", "last_name", "email")}
    )
    return result


def cart(cart_id: str) -> dict | None:
    """``GET /v3/carts/{id}`` (the ``data`` object), or None for an unknown or "deleted" cart."""
    try:
        parsed = uuid.UUID(cart_id)
    except ValueError:
        return None
    if cart_id.startswith(MISSING_CART_PREFIX):
        return None
    result = example("v3_cart_response.json")["data"]
    customer_id = customer_id_for(parsed.int)
    email = _person(customer_id)[2] if customer_id else f"guest.{cart_id[:8]}@example.com"
    result.update(id=cart_id, customer_id=customer_id, email=email)
    return result


def customer_v2(customer_id: int, store_hash: str) -> dict | None:
    """``GET /v2/customers/{id}``, or None for a "deleted" customer."""
    if not exists(customer_id):
        return None
    result = example("v2_customer_response.json")
    first, last, email = _person(customer_id)
    result.update(
        id=customer_id,
        first_name=first,
        last_name=last,
        email=email,
        addresses=_link(store_hash, f"/customers/{customer_id}/addresses"),
    )
    return result


def customer_v3(customer_id: int) -> dict | None:
    """One item of ``GET /v3/customers``, or None for a "deleted" customer."""
    if not exists(customer_id):
        return None
    result = example("v3_customers_list_response.json")["data"][0]
    # The list example lacks a few fields the live API returns; take them from the item example.
    for key, value in example("v3_customer_item.docs_customer_login.json").items():
        result.setdefault(key, value)
    first, last, email = _person(customer_id)
    result.update(id=customer_id, first_name=first, last_name=last, email=email)
    result.setdefault("origin_channel_id", 1)
    for address in result.get("addresses", []):
        address.update(customer_id=customer_id, id=customer_id, first_name=first, last_name=last)
    return result


def pagination(total: int, count: int, per_page: int, page: int) -> dict:
    """``meta.pagination`` of a v3 list, as BigCommerce shapes it."""
    total_pages = max(1, -(-total // per_page))
    links: dict[str, str] = {"current": f"?page={page}&limit={per_page}"}
    if page > 1:
        links["previous"] = f"?page={page - 1}&limit={per_page}"
    if page < total_pages:
        links["next"] = f"?page={page + 1}&limit={per_page}"
    return {
        "total": total,
        "count": count,
        "per_page": per_page,
        "current_page": page,
        "total_pages": total_pages,
        "links": links,
    }


def hook(
    hook_id: int,
    store_hash: str,
    scope: str,
    destination: str,
    headers: dict[str, str] | None,
    is_active: bool,
    now: int,
) -> dict:
    """A webhook object, keys in the order of BigCommerce's create response."""
    result = example("hooks_create_response.v3.json")["data"]
    result.update(
        id=hook_id,
        client_id=client_id_for(store_hash),
        store_hash=store_hash,
        created_at=now,
        updated_at=now,
        scope=scope,
        destination=destination,
        is_active=is_active,
        headers=headers,
    )
    return result


def _random_cart_id(rng: random.Random) -> str:
    cart_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return cart_id if not cart_id.startswith(MISSING_CART_PREFIX) else _random_cart_id(rng)


def event_data(scope: str, rng: random.Random | None = None) -> dict:
    """Realistic ``data`` for a delivery: ids that the stand-in's store API then finds."""
    rng = rng or random.Random()
    order_id = rng.randint(100, MISSING_FROM_ID - 1)
    if scope in DELIVERY_EXAMPLES:
        data = example(DELIVERY_EXAMPLES[scope])["data"]
    else:
        kind = scope.split("/")[1] if scope.count("/") >= 2 else "resource"
        data = {"type": kind, "id": order_id}
    if data["type"] == "cart":
        data["id"] = _random_cart_id(rng)
    elif data["type"] in ("shipment", "customer"):
        data["id"] = rng.randint(1, MISSING_FROM_ID - 1)
    elif data["type"] == "order":
        data["id"] = order_id
    if isinstance(data.get("refund"), dict):
        data["refund"]["refund_id"] = refund_id_for(order_id)
    if "token" in data:
        data["token"] = f"{rng.getrandbits(128):032x}"
    if "orderId" in data:
        data["orderId"] = order_id
    return data


def delivery_payload(
    store_hash: str, scope: str, data: dict | None = None, event_hash: str | None = None
) -> dict:
    """A webhook delivery body shaped exactly like BigCommerce's callback examples.

    BigCommerce's ``hash`` is a SHA-1 of the payload; ours also mixes in a random nonce so that
    every fired event is distinct (even with the same ``data`` in the same second) unless a
    ``hash`` is given, which is how a redelivery of the same event is simulated.
    """
    payload = {
        "scope": scope,
        "store_id": store_id_for(store_hash),
        "data": data if data is not None else event_data(scope),
        "hash": "",
        "created_at": int(time.time()),
        "producer": f"stores/{store_hash}",
    }
    if event_hash is None:
        # Not a security use: BigCommerce's own event hash is a SHA-1 of the payload.
        digest = hashlib.sha1(json.dumps(payload, sort_keys=True).encode(), usedforsecurity=False)
        digest.update(uuid.uuid4().bytes)
        event_hash = digest.hexdigest()
    payload["hash"] = event_hash
    return payload
