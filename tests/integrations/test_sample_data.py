"""Built-in sample data for test events: BigCommerce-shaped, consistent ids, every code filled."""

import json

import pytest

from integrations.events import EVENTS, EXTRA_CODES, get_event
from integrations.merge_data import Resources, build_merge_data, fetch_resources, resolve_code
from integrations.payloads import parse_delivery
from integrations.sample_data import sample_payload, sample_resources
from tests.factories import STORE_HASH as STORE
from tests.factories import load_bigcommerce_example

EVENT_KEYS = list(EVENTS)


def has_path(resources: Resources, code: str) -> bool:
    """Whether every key of the code's path exists (the value itself may be null)."""
    if code in EXTRA_CODES:  # an event's own group (a refund, a status change): a value
        return resolve_code(code, resources) is not None
    _prefix, resource, *path = code.split(" | ")
    value = getattr(resources, resource.lower())
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return False
        value = value[key]
    return True


@pytest.mark.parametrize("event_key", EVENT_KEYS)
def test_every_merge_code_is_present_in_the_sample(event_key):
    # given the sample resources of an event
    resources = sample_resources(event_key)
    # when looking up each of its merge codes
    missing = [code for code in get_event(event_key).brief_codes if not has_path(resources, code)]
    # then every code's key exists, so a test event shows every field
    assert missing == []


@pytest.mark.parametrize("event_key", EVENT_KEYS)
def test_sample_ids_are_consistent(event_key):
    # given the sample resources and delivery body of an event
    resources = sample_resources(event_key)
    body = sample_payload(event_key, STORE)
    # when comparing their ids
    customer_id = resources.customer["id"]
    # then they all describe the same registered customer, cart and order
    assert customer_id == 11
    if resources.cart is not None:
        assert resources.cart["customer_id"] == customer_id
        assert body["data"]["id"] == resources.cart["id"]
    if resources.order is not None:
        assert resources.order["customer_id"] == customer_id
        assert body["data"].get("orderId", body["data"]["id"]) == resources.order["id"]
        assert resources.order["billing_address"]["email"] == resources.customer["email"]
    if event_key == "cart_converted":
        assert body["data"]["id"] == resources.order["cart_id"]
    # the abandoned cart is the cart the sample order came from
    cart_id = sample_resources("cart_abandoned").cart["id"]
    assert sample_resources("cart_converted").order["cart_id"] == cart_id


@pytest.mark.parametrize("event_key", EVENT_KEYS)
def test_sample_payload_is_shaped_like_bigcommerce_examples_and_parses(event_key):
    # given BigCommerce's example delivery and our sample body
    scope = get_event(event_key).scope
    example = load_bigcommerce_example(f"webhook_{scope.replace('/', '_')}.json")
    body = sample_payload(event_key, STORE, hash="f" * 40, created_at=1561482670)
    # when parsing the sample like a real delivery
    payload = parse_delivery(
        json.dumps(body).encode(),
        expected_scope=get_event(event_key).scope,
        expected_store_hash=STORE,
    )
    # then it has the example's fields and types, and parses to the given identity
    assert set(body) == set(example)
    # (a new customer's channels are documented in the callback's schema, not its example)
    assert set(body["data"]) - {"origin_channel_id", "channel_ids"} == set(example["data"])
    assert {k: type(v) for k, v in body.items()} == {k: type(v) for k, v in example.items()}
    assert (payload.hash, payload.created_at, payload.event_key) == (
        "f" * 40,
        1561482670,
        event_key,
    )


@pytest.mark.parametrize("event_key", EVENT_KEYS)
def test_fetching_the_sample_delivery_from_the_sample_store_gives_the_sample_resources(event_key):
    # given a fake store serving the sample resources by id
    resources = sample_resources(event_key)

    class SampleStore:
        def get_cart(self, cart_id):
            assert cart_id == resources.cart["id"]
            return resources.cart

        def get_order(self, order_id):
            assert order_id == resources.order["id"]
            return resources.order

        def get_customer_v2(self, customer_id):
            assert customer_id == resources.customer["id"]
            return resources.customer

        get_customer_v3 = get_customer_v2

        def get_shipment(self, order_id, shipment_id):
            assert (order_id, shipment_id) == (resources.order["id"], resources.shipment["id"])
            return resources.shipment

        def get_order_products(self, order_id):
            assert order_id == resources.order["id"]
            return resources.order_products

        def get_store(self):
            return resources.store

        def get_order_refund(self, order_id, refund_id):
            assert (order_id, refund_id) == (resources.order["id"], resources.refund["id"])
            return resources.refund

    body = json.dumps(sample_payload(event_key, STORE)).encode()
    payload = parse_delivery(
        body, expected_scope=get_event(event_key).scope, expected_store_hash=STORE
    )
    # when running the real fetch plan against it, for every code of the event
    fetched = fetch_resources(SampleStore(), payload, get_event(event_key).merge_codes)
    # then the ids line up and the same resources come back
    assert fetched == resources


def test_sample_customers_are_the_right_api_version():
    # given the samples of cart and shipment events
    # when looking at their customers
    v2 = sample_resources("cart_converted").customer
    v3 = sample_resources("shipment_created").customer
    # then cart events carry the v2 customer and shipments the v3 customer
    assert "addresses" in v2 and "authentication" not in v2
    assert v3["channel_ids"] == [1] and v3["origin_channel_id"] == 1
    assert v3["authentication"] == {"force_password_reset": False}


def test_shipment_sample_order_has_shipped():
    # given the shipment sample
    # when reading the order status
    order = sample_resources("shipment_created").order
    # then it reads like a shipped order, unlike the converted cart's order
    assert order["status"] == "Shipped" and order["date_shipped"]
    assert sample_resources("cart_converted").order["status"] == "Awaiting Payment"


def test_sample_resources_are_fresh_copies():
    # given a sample that a caller changes
    first = sample_resources("cart_abandoned")
    first.cart["currency"]["code"] = "EUR"
    # when asking for the sample again
    second = sample_resources("cart_abandoned")
    # then it is unchanged
    assert second.cart["currency"]["code"] == "USD"


def test_store_hash_fills_the_url_placeholders():
    # given a store hash
    # when asking for the sample with it
    resources = sample_resources("cart_converted", store_hash=STORE)
    data = build_merge_data("cart_converted", resources)
    # then URLs point at that store and no placeholder is left
    assert data["BigCommerce | Order | products | url"] == (
        "https://api.bigcommerce.com/stores/abc123/v2/orders/218/products"
    )
    assert "{store_hash}" not in json.dumps(data)


def test_sample_payload_hashes_are_fresh_by_default():
    # given two sample deliveries of the same event
    first = sample_payload("shipment_created", STORE)
    second = sample_payload("shipment_created", STORE)
    # when comparing their hashes
    # then they differ, so a receiver does not take the second for a duplicate
    assert first["hash"] != second["hash"]
    assert len(first["hash"]) == 40
    assert first["producer"] == "stores/abc123"


def test_unknown_event_has_no_sample():
    # given an unknown event key
    # when asking for samples
    # then both refuse
    with pytest.raises(KeyError):
        sample_resources("order_archived")
    with pytest.raises(KeyError):
        sample_payload("order_archived", STORE)
