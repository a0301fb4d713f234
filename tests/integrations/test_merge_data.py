"""Fetch plan (minimum BigCommerce calls) and merge data built from BigCommerce's examples."""

import json

import pytest

from integrations.events import get_event
from integrations.merge_data import (
    Resources,
    build_merge_data,
    fetch_resources,
    resolve_code,
    subject_keys,
)
from integrations.payloads import DeliveryPayload
from tests.factories import load_bigcommerce_example

CART_ID = "09346904-4175-44fd-be53-f7e598531b6c"


def cart(customer_id=0):
    data = load_bigcommerce_example("v3_cart_response.json")["data"]
    data["customer_id"] = customer_id
    return data


def order(customer_id=11):
    data = load_bigcommerce_example("v2_order_response.json")
    data["customer_id"] = customer_id
    return data


def customer_v2():
    return load_bigcommerce_example("v2_customer_response.json")


def customer_v3():
    return load_bigcommerce_example("v3_customer_item.docs_customer_login.json")


class FakeClient:
    """Serves BigCommerce's examples and records every call."""

    def __init__(self, *, cart=None, order=None, customer_v3=None):
        self.calls = []
        self.cart = cart
        self.order = order
        self.customer_v3 = customer_v3

    def get_cart(self, cart_id):
        self.calls.append(("get_cart", cart_id))
        return self.cart

    def get_order(self, order_id):
        self.calls.append(("get_order", order_id))
        return self.order

    def get_customer_v2(self, customer_id):
        self.calls.append(("get_customer_v2", customer_id))
        return customer_v2()

    def get_customer_v3(self, customer_id):
        self.calls.append(("get_customer_v3", customer_id))
        return self.customer_v3


def payload(event_key, *, cart_id=None, order_id=None, shipment_id=None):
    return DeliveryPayload(
        event_key=event_key,
        scope=get_event(event_key).scope,
        store_hash="abc123",
        hash="h",
        created_at=None,
        cart_id=cart_id,
        order_id=order_id,
        shipment_id=shipment_id,
        raw={},
    )


ABANDONED = payload("cart_abandoned", cart_id=CART_ID)
CONVERTED = payload("cart_converted", cart_id=CART_ID, order_id=252)
SHIPPED = payload("shipment_created", order_id=251, shipment_id=12)


def test_cart_abandoned_registered_fetches_cart_then_v2_customer():
    # given a registered shopper's abandoned cart
    client = FakeClient(cart=cart(customer_id=11))
    # when fetching its resources
    resources = fetch_resources(client, ABANDONED)
    # then exactly the cart and the v2 customer are fetched
    assert client.calls == [("get_cart", CART_ID), ("get_customer_v2", 11)]
    assert resources.cart["id"] == "3cae6525-d0e8-4252-afec-0890fbb710c5"
    assert resources.customer["first_name"] == "Jane"
    assert resources.order is None


def test_cart_abandoned_guest_makes_no_customer_call():
    # given a guest's cart (customer_id 0, as in BigCommerce's example)
    client = FakeClient(cart=cart(customer_id=0))
    # when fetching its resources
    resources = fetch_resources(client, ABANDONED)
    # then only the cart is fetched
    assert client.calls == [("get_cart", CART_ID)]
    assert resources.customer is None


def test_cart_converted_fetches_order_then_v2_customer():
    # given a converted cart whose order belongs to customer 11
    client = FakeClient(order=order(customer_id=11))
    # when fetching its resources
    resources = fetch_resources(client, CONVERTED)
    # then the v2 order and the v2 customer are fetched, not the (deleted) cart
    assert client.calls == [("get_order", 252), ("get_customer_v2", 11)]
    assert resources.cart is None
    assert resources.order["total_inc_tax"] == "69.8400"


def test_shipment_created_fetches_order_then_v3_customer():
    # given a shipment of an order of customer 11
    client = FakeClient(order=order(customer_id=11), customer_v3=customer_v3())
    # when fetching its resources
    resources = fetch_resources(client, SHIPPED)
    # then the v2 order and the v3 customer are fetched
    assert client.calls == [("get_order", 251), ("get_customer_v3", 11)]
    assert resources.customer["authentication"] == {"force_password_reset": False}


@pytest.mark.parametrize("guest_id", [0, None, "0", "", False])
@pytest.mark.parametrize("event", [CONVERTED, SHIPPED], ids=["converted", "shipped"])
def test_guest_orders_make_no_customer_call(event, guest_id):
    # given an order placed by a guest
    client = FakeClient(order=order(customer_id=guest_id))
    # when fetching its resources
    resources = fetch_resources(client, event)
    # then only the order is fetched
    assert client.calls == [("get_order", event.order_id)]
    assert resources.customer is None


def test_customer_id_given_as_string_is_used_as_a_number():
    # given an order whose customer_id drifted to a string
    client = FakeClient(order=order(customer_id="11"))
    # when fetching its resources
    fetch_resources(client, CONVERTED)
    # then the customer is fetched by its numeric id
    assert client.calls[-1] == ("get_customer_v2", 11)


def test_v3_customer_not_found_in_list_leaves_customer_empty():
    # given the v3 customers list returned no customer for that id
    client = FakeClient(order=order(customer_id=11), customer_v3=None)
    # when fetching the resources
    resources = fetch_resources(client, SHIPPED)
    # then the customer is simply absent
    assert resources.customer is None


def test_client_errors_propagate():
    # given a client failing on the order call
    class Unavailable(Exception):
        pass

    class FailingClient(FakeClient):
        def get_order(self, order_id):
            raise Unavailable("503")

    # when fetching
    # then the caller gets the client's error to decide about retries
    with pytest.raises(Unavailable):
        fetch_resources(FailingClient(), CONVERTED)


def test_cart_merge_data_from_the_example():
    # given BigCommerce's cart example for a registered shopper
    resources = Resources(cart=cart(customer_id=1), customer=customer_v2())
    # when building the merge data
    data = build_merge_data("cart_abandoned", resources)
    # then values are found at their paths, with their JSON types
    assert data["BigCommerce | Cart | currency | code"] == "USD"
    assert data["BigCommerce | Cart | cart_amount"] == 25.5
    assert data["BigCommerce | Cart | tax_included"] is False
    assert data["BigCommerce | Customer | form_fields"] == [
        {"name": "Account Sign Up Field", "value": "123dadf"}
    ]
    assert data["BigCommerce | Customer | addresses | resource"] == "/customers/1/addresses"


def test_order_merge_data_from_the_example():
    # given BigCommerce's v2 order example with its v2 customer
    resources = Resources(order=order(customer_id=1), customer=customer_v2())
    # when building the merge data
    data = build_merge_data("cart_converted", resources)
    # then nested and top-level values are found, absent keys are None
    assert data["BigCommerce | Order | billing_address | city"] == "Austin"
    assert isinstance(data["BigCommerce | Order | billing_address | form_fields"], list)
    assert data["BigCommerce | Order | total_inc_tax"] == "69.8400"
    assert data["BigCommerce | Order | products | resource"] == "/orders/218/products"
    assert data["BigCommerce | Order | credit_card_type"] is None  # present, null
    assert data["BigCommerce | Order | consignments | url"] is None  # absent in the example
    assert data["BigCommerce | Order | is_deleted"] is None  # absent in the example
    assert isinstance(data["BigCommerce | Customer | form_fields"], list)


def test_shipment_merge_data_uses_v3_customer_fields():
    # given the order and the v3 customer
    resources = Resources(order=order(), customer=customer_v3())
    # when building the merge data
    data = build_merge_data("shipment_created", resources)
    # then v3-only fields are found, and fields the item lacks are None
    assert data["BigCommerce | Customer | authentication | force_password_reset"] is False
    assert data["BigCommerce | Customer | tax_exempt_category"] == "D"
    assert data["BigCommerce | Customer | channel_ids"] is None


@pytest.mark.parametrize(
    ("event_key", "resources"),
    [
        ("cart_abandoned", Resources(cart=cart())),
        ("cart_converted", Resources(order=order(customer_id=0))),
        ("shipment_created", Resources(order=order(customer_id=0))),
    ],
)
def test_guest_has_every_customer_code_null(event_key, resources):
    # given a guest (no customer resource)
    # when building the merge data
    data = build_merge_data(event_key, resources)
    # then every Customer code is present and None
    customer_codes = [code for code in data if code.startswith("BigCommerce | Customer | ")]
    assert customer_codes
    assert all(data[code] is None for code in customer_codes)


@pytest.mark.parametrize(
    ("event_key", "resources"),
    [
        ("cart_abandoned", Resources(cart=cart(1), customer=customer_v2())),
        ("cart_converted", Resources(order=order(), customer=customer_v2())),
        ("shipment_created", Resources(order=order(), customer=customer_v3())),
        ("shipment_created", Resources()),
    ],
)
def test_merge_data_has_exactly_the_event_codes_in_order(event_key, resources):
    # given an event and its resources (or none at all)
    # when building the merge data
    data = build_merge_data(event_key, resources)
    # then every code is a key exactly once, in the event's order, and it is valid JSON
    assert list(data) == list(get_event(event_key).brief_codes)
    assert json.loads(json.dumps(data)) == data


def test_intermediate_values_that_are_not_objects_give_none():
    # given an order whose billing_address drifted to a string
    broken = order()
    broken["billing_address"] = "555 East Street"
    # when resolving a nested code
    value = resolve_code("BigCommerce | Order | billing_address | city", Resources(order=broken))
    # then the value is None rather than an error
    assert value is None


def test_merge_data_is_a_copy_of_the_resources():
    # given resources and their merge data
    resources = Resources(order=order(), customer=customer_v2())
    data = build_merge_data("cart_converted", resources)
    # when changing a list in the merge data
    data["BigCommerce | Customer | form_fields"].append("changed")
    # then the resource is unchanged
    assert resources.customer["form_fields"] == [
        {"name": "Account Sign Up Field", "value": "123dadf"}
    ]


def test_subject_keys_for_a_registered_customer_order():
    # given an order of customer 11 and its customer
    resources = Resources(order=order(customer_id=11), customer=customer_v3() | {"id": 11})
    # when computing the send-once keys
    keys = subject_keys("shipment_created", resources)
    # then order, originating cart and customer are identified
    assert keys == {
        "order": "order:218",
        "cart": "cart:7e48f7ef-2e88-4817-aea4-b0ed01490114",
        "customer": "customer:11",
    }


def test_subject_keys_for_a_guest_cart_use_the_email():
    # given a guest's abandoned cart with an upper-case email
    guest_cart = cart(customer_id=0) | {"email": "Shopper@Example.COM"}
    # when computing the send-once keys
    keys = subject_keys("cart_abandoned", Resources(cart=guest_cart))
    # then the guest is recognised by the lower-cased email
    assert keys == {
        "order": None,
        "cart": "cart:3cae6525-d0e8-4252-afec-0890fbb710c5",
        "customer": "email:shopper@example.com",
    }


def test_subject_keys_for_a_guest_order_use_the_billing_email():
    # given a guest order
    # when computing the send-once keys
    keys = subject_keys("cart_converted", Resources(order=order(customer_id=0)))
    # then the billing email identifies the customer
    assert keys["customer"] == "email:janedoe@example.com"
    assert keys["order"] == "order:218"


def test_subject_keys_when_nothing_is_known():
    # given no resources at all
    # when computing the send-once keys
    # then every key is None
    assert subject_keys("cart_abandoned", Resources()) == {
        "order": None,
        "cart": None,
        "customer": None,
    }
