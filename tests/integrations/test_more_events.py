"""The catalog's events (events_catalog.json): their body rules, fetch plans and codes. Each
is one entry; these tests are what adding one asks for (docs/architecture.md)."""

import json

import pytest

from integrations.events import EVENTS, MERGE_CODES_FILE, get_event
from integrations.merge_data import ALL, Resources, build_merge_data, fetch_resources
from integrations.payloads import PayloadError, parse_delivery
from integrations.sample_data import sample_resources
from tests.factories import STORE_HASH as STORE
from tests.factories import load_bigcommerce_example

NEW = ["order_created", "order_status_updated", "order_refunded", "customer_created"]
BRIEF_CODES = json.loads(MERGE_CODES_FILE.read_text(encoding="utf-8"))["events"]


def body(event, **data):
    scope = get_event(event).scope
    raw = load_bigcommerce_example(f"webhook_{scope.replace('/', '_')}.json")
    raw["producer"] = f"stores/{STORE}"
    raw["data"].update(data)
    return raw


def parse(event, raw):
    return parse_delivery(
        json.dumps(raw).encode(), expected_scope=get_event(event).scope, expected_store_hash=STORE
    )


class CountingStore:
    """The fetch plans' reads, recorded; order 250's customer is 11 unless told."""

    def __init__(self, customer_id=11):
        self.calls = []
        self.customer_id = customer_id

    def get_order(self, order_id):
        self.calls.append(("order", order_id))
        return {"id": order_id, "customer_id": self.customer_id, "status_id": 11}

    def get_customer_v2(self, customer_id):
        self.calls.append(("customer_v2", customer_id))
        return {"id": customer_id, "email": "jane@example.com"}

    def get_order_refund(self, order_id, refund_id):
        self.calls.append(("refund", order_id, refund_id))
        return {"id": refund_id, "order_id": order_id, "total_amount": 49}

    def get_store(self):
        self.calls.append(("store",))
        return {"name": "XYZ"}

    def get_order_products(self, order_id):
        self.calls.append(("products", order_id))
        return []


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("order_created", [("order", 250), ("customer_v2", 11)]),
        ("order_status_updated", [("order", 250), ("customer_v2", 11)]),
        ("order_refunded", [("order", 250), ("refund", 250, 3), ("customer_v2", 11)]),
        ("customer_created", [("customer_v2", 32)]),
    ],
)
def test_each_fetch_plan_makes_the_minimum_calls(event, expected):
    # Given BigCommerce's example delivery of the event
    payload = parse(event, body(event))
    store = CountingStore()
    # When its resources are fetched for the brief-like codes only
    fetch_resources(store, payload, get_event(event).brief_codes)
    # Then exactly the plan's calls were made
    assert store.calls == expected


def test_a_guest_order_makes_no_customer_call():
    store = CountingStore(customer_id=0)
    resources = fetch_resources(store, parse("order_refunded", body("order_refunded")))
    assert store.calls == [("order", 250), ("refund", 250, 3)]
    data = build_merge_data("order_refunded", resources)
    assert data["BigCommerce | Customer | email"] is None
    assert data["BigCommerce | Refund | amount"] == 49


def test_extra_codes_cost_a_call_only_when_used():
    store = CountingStore()
    payload = parse("order_created", body("order_created"))
    fetch_resources(store, payload, ["Store | name", "BigCommerce | Order | products"])
    assert store.calls[2:] == [("products", 250), ("store",)]


@pytest.mark.parametrize(
    ("event", "data", "field", "value"),
    [
        ("order_created", {"id": "250"}, "order_id", 250),
        (
            "order_status_updated",
            {"status": {"previous_status_id": "0", "new_status_id": 11.0}},
            "previous_status_id",
            0,
        ),
        ("order_refunded", {"refund": {"refund_id": "3"}}, "refund_id", 3),
        ("customer_created", {"id": "32", "channel_ids": ["1", 2]}, "channel_ids", [1, 2]),
    ],
)
def test_drifted_types_are_accepted(event, data, field, value):
    # Given ids sent as strings (or whole floats), as BigCommerce's deliveries drift
    payload = parse(event, body(event, **data))
    # Then they are read as the numbers they are
    assert payload.fields[field] == value


@pytest.mark.parametrize(
    ("event", "data", "message"),
    [
        ("order_created", {"id": -1}, "Field 'data.id' must be a positive integer"),
        ("order_created", {"id": None}, "Field 'data.id' must be a positive integer"),
        ("order_status_updated", {"status": None}, "'data.status.previous_status_id'"),
        (
            "order_status_updated",
            {"status": {"previous_status_id": 0, "new_status_id": {"x": 1}}},
            "must be an order status id",
        ),
        ("order_refunded", {"refund": {}}, "Field 'data.refund.refund_id' must be a positive"),
        ("order_refunded", {"refund": "3"}, "Field 'data.refund.refund_id' must be a positive"),
        ("customer_created", {"id": "abc"}, "Field 'data.id' must be a positive integer"),
        ("customer_created", {"origin_channel_id": "x"}, "must be a channel id"),
        ("customer_created", {"channel_ids": [1, True]}, "must be a list of at most"),
    ],
)
def test_malformed_bodies_are_refused_with_a_clear_reason(event, data, message):
    with pytest.raises(PayloadError) as excinfo:
        parse(event, body(event, **data))
    assert message in excinfo.value.message


def test_the_brief_events_and_codes_are_unchanged_and_come_first():
    # Given the brief's lists, verbatim
    assert list(EVENTS)[:3] == list(BRIEF_CODES)
    for key, item in BRIEF_CODES.items():
        assert EVENTS[key].brief_codes == tuple(item["merge_codes"])
    # Then the new events reuse their Order and Customer codes, in the brief's order
    converted = BRIEF_CODES["cart_converted"]["merge_codes"]
    for key in ("order_created", "order_status_updated", "order_refunded"):
        assert EVENTS[key].merge_codes[: len(converted)] == tuple(converted)
    customer = [c for c in BRIEF_CODES["cart_abandoned"]["merge_codes"] if "| Customer |" in c]
    assert EVENTS["customer_created"].merge_codes[: len(customer)] == tuple(customer)


@pytest.mark.parametrize("event", NEW)
def test_every_code_of_the_sample_has_a_value(event):
    data = build_merge_data(event, sample_resources(event), ALL)
    assert list(data) == list(get_event(event).merge_codes)
    empty = {code for code, value in data.items() if value is None}
    # (BigCommerce's example order leaves its external ids and card type empty)
    assert all("| Order |" in code for code in empty)


def test_status_names_come_from_bigcommerce_s_list():
    payload = parse(
        "order_status_updated",
        body("order_status_updated", status={"previous_status_id": 7, "new_status_id": 14}),
    )
    data = build_merge_data("order_status_updated", Resources(webhook=payload.fields))
    assert data["BigCommerce | Status | previous"] == "Awaiting Payment"
    assert data["BigCommerce | Status | new"] == "Partially Refunded"
    assert data["BigCommerce | Status | new_id"] == 14
