"""The codes beyond the brief's: after its lists, in groups, each with a value in the sample
data, and none that a format's name could be mistaken for."""

import pytest

from integrations.events import EVENTS, EXTRA_CODES, code_label, get_event, resources_for
from integrations.merge_data import ALL, build_merge_data
from integrations.sample_data import sample_resources
from workflows.merge_filters import FILTERS

EVENT_KEYS = list(EVENTS)


@pytest.mark.parametrize(
    ("event_key", "groups"),
    [
        ("cart_abandoned", ["Cart items", "Store"]),
        ("cart_converted", ["Order products", "Store"]),
        ("shipment_created", ["Shipment", "Order products", "Store"]),
    ],
)
def test_each_event_offers_its_groups_after_the_briefs_codes(event_key, groups):
    # given an event
    event = get_event(event_key)
    # when reading the codes after the brief's
    extra = event.extra_codes
    # then they are the event's groups, in order, and none repeats a brief code
    assert list(dict.fromkeys(EXTRA_CODES[code].group for code in extra)) == groups
    assert not set(extra) & set(event.brief_codes)
    assert event.merge_codes == event.brief_codes + extra


def test_the_asked_for_codes_name_what_must_be_fetched():
    # given the codes a workflow uses
    # when asking which resources they need beyond the event's own
    # then only the extra codes cost anything, and each resource is named once
    assert resources_for("shipment_created", get_event("shipment_created").brief_codes) == set()
    assert resources_for("shipment_created", ["BigCommerce | Shipment | items"]) == {
        "shipment",
        "order_products",
    }
    assert resources_for("cart_abandoned", ["BigCommerce | Cart | line_items"]) == set()
    assert resources_for("cart_abandoned", ["BigCommerce | Cart | recovery_url"]) == {"store"}
    # a code the event does not offer needs nothing
    assert resources_for("cart_abandoned", ["BigCommerce | Shipment | items"]) == set()


@pytest.mark.parametrize("event_key", EVENT_KEYS)
def test_every_extra_code_has_a_value_in_the_sample_data(event_key):
    # given the sample resources of an event (what test events and the picker show)
    resources = sample_resources(event_key, store_hash="abc123")
    # when building the merge data with every code
    data = build_merge_data(event_key, resources, ALL)
    # then every code is there, and every extra code has a value
    assert list(data) == list(get_event(event_key).merge_codes)
    assert [code for code in get_event(event_key).extra_codes if data[code] in (None, "")] == []


def test_sample_line_items_read_like_a_receipt():
    # given the samples
    shipped = build_merge_data("shipment_created", sample_resources("shipment_created"), ALL)
    cart = build_merge_data("cart_abandoned", sample_resources("cart_abandoned"), ALL)
    # when reading the item lists
    # then they carry name, sku, quantity, price and product id
    assert shipped["BigCommerce | Order | products"][0] == {
        "name": "Fog Linen Chambray Towel - Beige Stripe",
        "sku": "S-ORAN",
        "quantity": 1,
        "price": "65.2300",
        "total": "65.2300",
        "product_id": 77,
    }
    assert shipped["BigCommerce | Shipment | items"][0]["name"] == (
        "Fog Linen Chambray Towel - Beige Stripe"
    )
    assert cart["BigCommerce | Cart | line_items"][0]["name"] == "mug"
    assert cart["BigCommerce | Cart | recovery_url"] == "https://my-awesome.store/cart.php"
    assert shipped["Store | timezone"] == "America/Chicago"


def test_no_code_could_be_read_as_a_format():
    # given every code of every event
    codes = {code for event in EVENTS.values() for code in event.merge_codes}
    # when looking at what could follow a code
    segments = {segment.lower() for code in codes for segment in code.split(" | ")[1:]}
    # then no code's segment is a format's name, so "[code | list]" can only be a format
    assert not segments & set(FILTERS)


def test_every_code_has_a_friendly_label():
    # given every code
    for event in EVENTS.values():
        for code in event.merge_codes:
            # when labelling it
            label = code_label(code)
            # then it reads as words, without the separators
            assert label and " | " not in label and "_" not in label.split("(")[0]
    assert code_label("BigCommerce | Order | billing_address | email") == (
        "Order billing address email"
    )
    assert code_label("BigCommerce | Shipment | tracking_number") == "Tracking number"
