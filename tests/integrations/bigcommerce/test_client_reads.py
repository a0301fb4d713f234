"""The client's reads for the extra merge codes: a shipment, and an order's products (paged)."""

import json

import pytest
import responses
from responses import matchers

from integrations.bigcommerce.client import PRODUCTS_PER_PAGE, BigCommerceClient
from integrations.bigcommerce.errors import BadResponse, NotFound
from integrations.standin.data import example
from tests.conftest import ACCESS_TOKEN, BC_BASE, STORE_HASH, load_bigcommerce_example

ROOT = f"{BC_BASE}/stores/{STORE_HASH}"


@pytest.fixture
def client(mocked_bc):
    with BigCommerceClient(STORE_HASH, ACCESS_TOKEN, base_url=BC_BASE, max_retries=0) as c:
        yield c


def test_get_shipment_returns_bigcommerce_shipment(mocked_bc, client):
    # given BigCommerce's example shipment 11 of order 228
    shipment = load_bigcommerce_example("v2_order_shipment_response.json")
    mocked_bc.get(f"{ROOT}/v2/orders/228/shipments/11", json=shipment)
    # when the client reads it
    got = client.get_shipment(228, "11")
    # then it is the shipment, tracking number included, in one call
    assert got["tracking_number"] == "EJ958083578US"
    assert got["items"][0]["order_product_id"] == 194
    assert client.calls == 1


def test_a_deleted_shipment_is_not_found(mocked_bc, client):
    # given a shipment BigCommerce no longer has
    mocked_bc.get(f"{ROOT}/v2/orders/228/shipments/99", status=404, json=[{"status": 404}])
    # when the client reads it
    # then it says so, as for any resource that no longer exists
    with pytest.raises(NotFound):
        client.get_shipment(228, 99)


def test_order_products_are_read_page_by_page_with_limit_250(mocked_bc, client):
    # given an order with 252 products: a full page of 250, then 2
    item = example("v2_order_products_response.json")[0]
    pages = {1: [{**item, "id": n} for n in range(250)], 2: [{**item, "id": n} for n in (250, 251)]}
    for page, body in pages.items():
        mocked_bc.get(
            f"{ROOT}/v2/orders/218/products",
            json=body,
            match=[matchers.query_param_matcher({"limit": "250", "page": str(page)})],
        )
    # when the client reads the order's products
    products = client.get_order_products(218)
    # then it has all 252, from two calls that each asked for 250
    assert PRODUCTS_PER_PAGE == 250
    assert [p["id"] for p in products] == list(range(252))
    assert client.calls == 2


def test_an_order_without_products_is_an_empty_list(mocked_bc, client):
    # given BigCommerce answers 204 (no content) for the order's products
    mocked_bc.get(f"{ROOT}/v2/orders/218/products", status=204)
    # when the client reads them
    # then there are none, after one call
    assert client.get_order_products(218) == []
    assert client.calls == 1


def test_a_products_reply_that_is_not_a_list_is_a_bad_response(mocked_bc, client):
    # given a reply that is an object, not BigCommerce's list
    mocked_bc.get(f"{ROOT}/v2/orders/218/products", body=json.dumps({"oops": 1}))
    # when the client reads the products
    # then it refuses the reply
    with pytest.raises(BadResponse):
        client.get_order_products(218)


@responses.activate
def test_bad_ids_are_refused_before_any_request():
    # given a client
    with BigCommerceClient(STORE_HASH, ACCESS_TOKEN, base_url=BC_BASE) as client:
        # when asked for a shipment or products with ids that are no ids
        # then it refuses without calling BigCommerce
        with pytest.raises(ValueError):
            client.get_shipment(0, 1)
        with pytest.raises(ValueError):
            client.get_order_products("x")
    assert not responses.calls


def test_get_hooks_admin_reads_the_blocked_domains(mocked_bc, client):
    # given BigCommerce's answer for an API account with a blocked domain
    blocked = {"destination": "https://example.com", "time_left": 60, "reasons": []}
    body = {"data": {"emails": [], "hooks_list": [], "blocked_domains": [blocked]}, "meta": {}}
    mocked_bc.get(f"{ROOT}/v3/hooks/admin", json=body)
    # when the client reads it, then it is the data, in one call
    assert client.get_hooks_admin()["blocked_domains"] == [blocked]
    assert client.calls == 1


@pytest.mark.parametrize("data", [None, [], {"hooks_list": {}}, {"blocked_domains": "x"}])
def test_an_unexpected_hooks_admin_reply_is_a_bad_response(mocked_bc, client, data):
    mocked_bc.get(f"{ROOT}/v3/hooks/admin", json={"data": data})
    with pytest.raises((BadResponse, NotFound)):
        client.get_hooks_admin()
