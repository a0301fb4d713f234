"""Parsing webhook bodies: BigCommerce's examples and their drift parse; bad input is refused."""

import copy
import dataclasses
import json

import pytest

from integrations.payloads import DeliveryPayload, PayloadError, parse_delivery
from tests.factories import STORE_HASH as STORE
from tests.factories import delivery_body, drop_path, set_path

SCOPES = {
    "cart_abandoned": "store/cart/abandoned",
    "cart_converted": "store/cart/converted",
    "shipment_created": "store/shipment/created",
}


def parse(event_key: str, body) -> DeliveryPayload:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_delivery(raw, expected_scope=SCOPES[event_key], expected_store_hash=STORE)


def test_cart_abandoned_example_parses():
    # given BigCommerce's cart abandoned example
    body = delivery_body("cart_abandoned")
    # when parsing it
    payload = parse("cart_abandoned", body)
    # then the cart id and the delivery's identity are extracted
    assert payload == DeliveryPayload(
        event_key="cart_abandoned",
        scope="store/cart/abandoned",
        store_hash=STORE,
        hash="352e4afc6dd3fc85ea26bfdf3f91852604d57528",
        created_at=1561482670,
        cart_id="09346904-4175-44fd-be53-f7e598531b6c",
        order_id=None,
        shipment_id=None,
        raw=body,
    )


def test_cart_converted_example_parses():
    # given BigCommerce's cart converted example
    # when parsing it
    payload = parse("cart_converted", delivery_body("cart_converted"))
    # then both the cart and the order ids are extracted
    assert payload.event_key == "cart_converted"
    assert payload.cart_id == "d30016e2-23c0-4a90-884f-2e92ac135476"
    assert payload.order_id == 252
    assert payload.shipment_id is None


def test_shipment_created_example_parses():
    # given BigCommerce's shipment created example
    # when parsing it
    payload = parse("shipment_created", delivery_body("shipment_created"))
    # then the shipment and order ids are extracted
    assert (payload.shipment_id, payload.order_id, payload.cart_id) == (12, 251, None)
    assert payload.hash == "8b98021cb0faa7e3a58a0e4182d3696a4bdd24ab"
    assert payload.raw["store_id"] == "1025646"


@pytest.mark.parametrize(
    ("event_key", "change", "field", "expected"),
    [
        ("cart_converted", lambda b: b.update(store_id=1025646), "order_id", 252),
        ("cart_converted", lambda b: b.update(store_id="1025646"), "order_id", 252),
        ("cart_converted", lambda b: b.pop("store_id"), "order_id", 252),
        ("cart_converted", lambda b: b["data"].update(orderId="252"), "order_id", 252),
        ("cart_converted", lambda b: b["data"].update(orderId=252.0), "order_id", 252),
        ("cart_converted", lambda b: b.pop("created_at"), "created_at", None),
        ("cart_converted", lambda b: b.update(created_at=None), "created_at", None),
        ("cart_converted", lambda b: b.update(created_at="1561486893"), "created_at", 1561486893),
        (
            "cart_abandoned",
            lambda b: b["data"].pop("token"),
            "cart_id",
            "09346904-4175-44fd-be53-f7e598531b6c",
        ),
        (
            "cart_abandoned",
            lambda b: b["data"].pop("type"),
            "cart_id",
            "09346904-4175-44fd-be53-f7e598531b6c",
        ),
        (
            "cart_abandoned",
            lambda b: b["data"].update(id="09346904-4175-44FD-BE53-F7E598531B6C"),
            "cart_id",
            "09346904-4175-44fd-be53-f7e598531b6c",
        ),
        ("shipment_created", lambda b: b["data"].update(id="12"), "shipment_id", 12),
        ("shipment_created", lambda b: b["data"].update(orderId="251"), "order_id", 251),
        ("shipment_created", lambda b: b.update(extra={"new": "field"}), "order_id", 251),
    ],
)
def test_drifted_types_are_accepted(event_key, change, field, expected):
    # given an example delivery with a type drift seen across BigCommerce's docs
    body = delivery_body(event_key)
    change(body)
    # when parsing it
    payload = parse(event_key, body)
    # then it is accepted and the value normalised
    assert getattr(payload, field) == expected


def _with(event_key, change):
    body = delivery_body(event_key)
    change(body)
    return json.dumps(body).encode()


def _set(path, value):
    """A change setting a (dotted) key of the body."""

    return lambda body: set_path(body, path, value)


def _drop(path):
    return lambda body: drop_path(body, path)


MALFORMED = [
    # not a JSON object
    ("cart_abandoned", b"", "not valid JSON"),
    ("cart_abandoned", b"not json", "not valid JSON"),
    ("cart_abandoned", b'{"scope": ', "not valid JSON"),
    ("cart_abandoned", b"\xff\xfe{}", "not valid JSON"),
    ("cart_abandoned", b"[" * 20_000 + b"]" * 20_000, "more than 32 levels deep (the limit)"),
    ("cart_abandoned", b'{"a": "' + b"x" * 70_000 + b'"}', "over the limit of 65536 bytes"),
    ("cart_abandoned", b'{"n": ' + b"1" * 5000 + b"}", "not valid JSON"),
    (
        "cart_converted",
        _with("cart_converted", _set("data.orderId", "NaN")).replace(b'"NaN"', b"NaN"),
        "not valid JSON",
    ),
    ("cart_abandoned", b"[]", "must be a JSON object"),
    ("cart_abandoned", b'"stores/abc123"', "must be a JSON object"),
    ("cart_abandoned", b"null", "must be a JSON object"),
    # required fields
    ("cart_abandoned", _with("cart_abandoned", _drop("scope")), "'scope' is required"),
    ("cart_abandoned", _with("cart_abandoned", _set("scope", 1)), "'scope' must be a string"),
    ("cart_abandoned", _with("cart_abandoned", _drop("data")), "'data' is required"),
    ("cart_abandoned", _with("cart_abandoned", _set("data", [])), "'data' must be a JSON object"),
    ("cart_abandoned", _with("cart_abandoned", _set("data", "x")), "'data' must be a JSON object"),
    ("cart_abandoned", _with("cart_abandoned", _drop("hash")), "'hash' is required"),
    ("cart_abandoned", _with("cart_abandoned", _set("hash", "")), "'hash' must not be empty"),
    ("cart_abandoned", _with("cart_abandoned", _set("hash", "   ")), "'hash' must not be empty"),
    ("cart_abandoned", _with("cart_abandoned", _set("hash", 123)), "'hash' must be a string"),
    ("cart_abandoned", _with("cart_abandoned", _set("hash", "a" * 129)), "at most 128"),
    ("cart_abandoned", _with("cart_abandoned", _set("hash", "ab\r\ncd")), "control characters"),
    ("cart_abandoned", _with("cart_abandoned", _drop("producer")), "'producer' is required"),
    ("cart_abandoned", _with("cart_abandoned", _set("producer", None)), "'producer' is required"),
    # optional fields of the wrong kind
    ("cart_abandoned", _with("cart_abandoned", _set("store_id", True)), "'store_id'"),
    ("cart_abandoned", _with("cart_abandoned", _set("store_id", {"id": 1})), "'store_id'"),
    ("cart_abandoned", _with("cart_abandoned", _set("store_id", "1" * 65)), "'store_id'"),
    ("cart_abandoned", _with("cart_abandoned", _set("created_at", "yesterday")), "'created_at'"),
    ("cart_abandoned", _with("cart_abandoned", _set("created_at", -5)), "'created_at'"),
    ("cart_abandoned", _with("cart_abandoned", _set("created_at", 1.5)), "'created_at'"),
    ("cart_abandoned", _with("cart_abandoned", _set("data.token", 42)), "'data.token'"),
    # wrong subscription
    ("cart_converted", _with("cart_abandoned", lambda b: None), "does not match"),
    (
        "cart_abandoned",
        _with("cart_abandoned", _set("scope", "store/cart/created")),
        "does not match",
    ),
    (
        "cart_abandoned",
        _with("cart_abandoned", _set("producer", "stores/other9")),
        "does not match this subscription's store",
    ),
    ("cart_abandoned", _with("cart_abandoned", _set("producer", "abc123")), "stores/{store_hash}"),
    (
        "cart_abandoned",
        _with("cart_abandoned", _set("producer", "stores/abc123/x")),
        "stores/{store_hash}",
    ),
    ("cart_abandoned", _with("cart_abandoned", _set("producer", "stores/")), "stores/{store_hash}"),
    # cart ids
    ("cart_abandoned", _with("cart_abandoned", _drop("data.id")), "'data.id' must be a cart id"),
    ("cart_abandoned", _with("cart_abandoned", _set("data.id", 42)), "'data.id' must be a cart id"),
    ("cart_abandoned", _with("cart_abandoned", _set("data.id", "abc")), "must be a cart id"),
    (
        "cart_abandoned",
        _with("cart_abandoned", _set("data.id", "../../v2/orders")),
        "must be a cart id",
    ),
    (
        "cart_abandoned",
        _with("cart_abandoned", _set("data.id", "{09346904-4175-44fd-be53-f7e598531b6c}")),
        "must be a cart id",
    ),
    ("cart_converted", _with("cart_converted", _set("data.id", None)), "must be a cart id"),
    # order ids
    ("cart_converted", _with("cart_converted", _drop("data.orderId")), "'data.orderId' must be"),
    ("cart_converted", _with("cart_converted", _set("data.orderId", 0)), "positive integer"),
    ("cart_converted", _with("cart_converted", _set("data.orderId", -1)), "positive integer"),
    ("cart_converted", _with("cart_converted", _set("data.orderId", True)), "positive integer"),
    ("cart_converted", _with("cart_converted", _set("data.orderId", 2.5)), "positive integer"),
    ("cart_converted", _with("cart_converted", _set("data.orderId", 2**63)), "positive integer"),
    ("cart_converted", _with("cart_converted", _set("data.orderId", "25x")), "positive integer"),
    ("cart_converted", _with("cart_converted", _set("data.orderId", " 252")), "positive integer"),
    ("cart_converted", _with("cart_converted", _set("data.orderId", "-3")), "positive integer"),
    ("cart_converted", _with("cart_converted", _set("data.orderId", "1e3")), "positive integer"),
    ("cart_converted", _with("cart_converted", _set("data.orderId", [252])), "positive integer"),
    ("cart_converted", _with("cart_converted", _set("data.orderId", 1e300)), "positive integer"),
    # shipment ids
    (
        "shipment_created",
        _with("shipment_created", _set("data.id", "d30016e2-23c0-4a90-884f-2e92ac135476")),
        "'data.id' must be a positive integer",
    ),
    ("shipment_created", _with("shipment_created", _set("data.id", 0)), "'data.id' must be"),
    (
        "shipment_created",
        _with("shipment_created", _set("data.orderId", None)),
        "'data.orderId' must be",
    ),
]


@pytest.mark.parametrize(
    ("event_key", "body", "message"), MALFORMED, ids=[case[2] for case in MALFORMED]
)
def test_malformed_bodies_are_refused_with_a_clear_message(event_key, body, message):
    # given a body that is not a valid delivery for the subscription
    # when parsing it
    with pytest.raises(PayloadError) as excinfo:
        parse(event_key, body)
    # then the error says what is wrong, in a short ASCII message fit for a 400
    assert message in str(excinfo.value)
    assert excinfo.value.message == str(excinfo.value)
    assert len(str(excinfo.value)) < 300
    assert str(excinfo.value).isascii()


def test_there_are_enough_malformed_cases():
    # given the malformed cases above
    # when counting them
    # then at least 25 distinct kinds of bad input are covered
    assert len(MALFORMED) >= 25


def test_hostile_values_are_not_echoed_in_full():
    # given a producer full of markup, much longer than a store hash
    body = delivery_body("cart_abandoned")
    body["producer"] = "stores/<script>" + "x" * 5000
    body["scope"] = "store/cart/abandoned\n" + "y" * 5000
    # when parsing it
    with pytest.raises(PayloadError) as excinfo:
        parse("cart_abandoned", body)
    # then the message quotes at most a short, escaped excerpt
    assert len(str(excinfo.value)) < 300
    assert "\n" not in str(excinfo.value)


def test_unknown_expected_scope_is_a_programming_error():
    # given a subscription scope that is not one of our events
    # when parsing a body for it
    # then it is a plain ValueError (a bug on our side), not a 400 for the sender
    with pytest.raises(ValueError) as excinfo:
        parse_delivery(b"{}", expected_scope="store/order/archived", expected_store_hash=STORE)
    assert not isinstance(excinfo.value, PayloadError)


def test_payload_is_immutable_and_keeps_the_raw_body():
    # given a parsed payload
    body = delivery_body("shipment_created")
    payload = parse("shipment_created", copy.deepcopy(body))
    # when inspecting it
    # then the raw body is kept as sent and the payload cannot be changed
    assert payload.raw == body
    with pytest.raises(dataclasses.FrozenInstanceError):
        payload.order_id = 1  # type: ignore[misc]
