"""The event catalog: keys, scopes and merge codes exactly as in merge_codes.json."""

import dataclasses
import json
from pathlib import Path

import pytest

import integrations
from integrations.events import EVENTS, Event, EventKey, event_for_scope, get_event

CATALOG = json.loads((Path(integrations.__file__).parent / "merge_codes.json").read_text())


def test_events_are_the_three_bigcommerce_events_in_order():
    # given the catalog loaded from merge_codes.json
    # when listing its keys
    keys = list(EVENTS)
    # then they are the brief's three events, in the file's order, then the catalog's
    assert keys[:3] == ["cart_abandoned", "cart_converted", "shipment_created"]
    assert keys[:3] == list(CATALOG["events"])
    assert keys[3:] == [
        "order_created",
        "order_status_updated",
        "order_refunded",
        "customer_created",
    ]


@pytest.mark.parametrize(
    ("key", "count"), [("cart_abandoned", 30), ("cart_converted", 106), ("shipment_created", 104)]
)
def test_merge_codes_match_the_file_exactly(key, count):
    # given an event
    event = get_event(key)
    # when comparing its codes with the list in merge_codes.json
    expected = CATALOG["events"][key]["merge_codes"]
    # then the brief's are the same codes, in the same order, no more, no fewer, and they
    # come first in the event's list (the extra groups follow them)
    assert len(event.brief_codes) == count
    assert event.brief_codes == tuple(expected)
    assert event.merge_codes[:count] == tuple(expected)
    assert len(set(event.merge_codes)) == len(event.merge_codes)


def test_every_code_names_a_known_resource():
    # given all the brief's codes of the brief's events
    codes = [code for key in CATALOG["events"] for code in EVENTS[key].brief_codes]
    # when splitting them into segments
    parts = [code.split(" | ") for code in codes]
    # then each is "BigCommerce | <Cart|Order|Customer> | key[ | key]"
    assert all(p[0] == "BigCommerce" and p[1] in {"Cart", "Order", "Customer"} for p in parts)
    assert all(2 < len(p) <= 4 and all(p) for p in parts)


def test_event_key_choices_match_the_catalog():
    # given the TextChoices models use
    # when comparing them with the catalog
    # then keys and names agree
    assert EventKey.values == list(EVENTS)
    assert EventKey.labels == [event.name for event in EVENTS.values()]
    assert EventKey.CART_ABANDONED == "cart_abandoned"


@pytest.mark.parametrize(
    ("scope", "key"),
    [
        ("store/cart/abandoned", "cart_abandoned"),
        ("store/cart/converted", "cart_converted"),
        ("store/shipment/created", "shipment_created"),
    ],
)
def test_event_for_scope(scope, key):
    # given a BigCommerce webhook scope
    # when looking up its event
    event = event_for_scope(scope)
    # then it is the matching event, with that scope
    assert event.key == key
    assert event.scope == scope


def test_event_for_unknown_scope_is_none():
    # given scopes we do not support
    # when looking them up
    # then there is no event
    assert event_for_scope("store/cart/created") is None
    assert event_for_scope("") is None


def test_get_event_unknown_key_names_the_valid_keys():
    # given an unknown key
    # when getting the event
    with pytest.raises(KeyError) as excinfo:
        get_event("order_archived")
    # then the error names the valid keys
    assert "cart_abandoned, cart_converted, shipment_created, order_created" in str(excinfo.value)


def test_descriptions_are_one_readable_sentence():
    # given every event
    for event in EVENTS.values():
        # when reading its description
        text = event.description
        # then it is a single sentence a team member understands
        assert text[0].isupper() and text.endswith(".")
        assert text.count(". ") == 0
        assert 20 < len(text) < 200
    assert "hour" in get_event("cart_abandoned").description


def test_event_is_immutable():
    # given an event
    event = get_event("cart_converted")
    # when trying to change it
    # then it refuses
    assert isinstance(event, Event)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.name = "Other"  # type: ignore[misc]
    assert isinstance(event.merge_codes, tuple)
