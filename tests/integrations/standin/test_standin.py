"""The BigCommerce stand-in, driven by the real BigCommerceClient over loopback."""

import io
import json

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError

from integrations.bigcommerce.client import BigCommerceClient
from integrations.bigcommerce.errors import (
    AuthenticationFailed,
    BadResponse,
    NotFound,
    RateLimited,
    Unavailable,
)
from integrations.management.commands import bigcommerce_standin
from integrations.standin import StandIn, data, server
from tests import harness
from tests.factories import load_bigcommerce_example
from tests.servers import RecordingServer

STORE, TOKEN = "teststore", "test-token-123"
OTHER, OTHER_TOKEN = "otherstore", "other-token-456"
CART_ID = "3cae6525-d0e8-4252-afec-0890fbb710c5"
WEBHOOK_PATH = "/webhooks/bigcommerce/x/"  # where the hooks of the `fire` tests point


@pytest.fixture
def standin():
    with StandIn(port=0, stores={STORE: TOKEN, OTHER: OTHER_TOKEN}) as running:
        yield running


@pytest.fixture
def client(standin, sleeps):
    with BigCommerceClient(
        STORE, TOKEN, base_url=standin.base_url, max_retries=2, read_timeout=5, sleep=sleeps.append
    ) as bc:
        yield bc


@pytest.fixture
def control(standin):
    """Call the control API over HTTP, as a benchmark script would."""
    session = harness.session()

    def call(method, path, body=None):
        response = session.request(
            method, f"{standin.base_url}/_standin/{path}", json=body, timeout=10
        )
        return response.status_code, response.json()

    yield call
    session.close()


# --- store API ---------------------------------------------------------------------------------


def test_store_information_is_shaped_like_the_example(client):
    store = client.get_store()
    example = load_bigcommerce_example("v2_store_information_response.json")
    assert list(store) == list(example)
    assert store["name"] == f"BigCommerce Stand-in ({STORE})"
    assert store["id"] == STORE


@pytest.mark.parametrize(("order_id", "customer_id"), [(218, 2), (220, 0), (7, 1), (13, 7)])
def test_orders_follow_the_documented_customer_rule(client, order_id, customer_id):
    # when
    order = client.get_order(order_id)
    # then: the example's fields, plus two the live API returns
    example = load_bigcommerce_example("v2_order_response.json")
    assert set(example) <= set(order)
    assert {"is_deleted", "consignments"} <= set(order)
    assert order["id"] == order_id and order["customer_id"] == customer_id
    assert order["products"]["resource"] == f"/orders/{order_id}/products"
    assert f"/stores/{STORE}/v2/orders/{order_id}/" in order["products"]["url"]


def test_cart_is_shaped_like_the_example_with_a_derived_customer(client):
    cart = client.get_cart(CART_ID)
    example = load_bigcommerce_example("v3_cart_response.json")["data"]
    assert list(cart) == list(example)
    assert cart["id"] == CART_ID
    assert cart["customer_id"] == data.customer_id_for(int(CART_ID.replace("-", ""), 16))
    assert "@" in cart["email"]


def test_customers_v2_and_v3_describe_the_same_person(client):
    v2 = client.get_customer_v2(3)
    v3 = client.get_customer_v3(3)
    assert set(load_bigcommerce_example("v2_customer_response.json")) <= set(v2)
    assert set(load_bigcommerce_example("v3_customers_list_response.json")["data"][0]) <= set(v3)
    assert v2["id"] == v3["id"] == 3
    assert (v2["first_name"], v2["email"]) == (v3["first_name"], v3["email"])
    assert v3["authentication"] == {"force_password_reset": False}


def test_a_registered_order_customer_can_be_fetched(client):
    order = client.get_order(218)
    customer = client.get_customer_v2(order["customer_id"])
    assert order["billing_address"]["email"] == customer["email"]


@pytest.mark.parametrize(
    "call",
    [
        lambda bc: bc.get_order(900000),
        lambda bc: bc.get_customer_v2(900001),
        lambda bc: bc.get_customer_v3(999999),
        lambda bc: bc.get_cart("00000000-1111-4222-8333-444444444444"),
        lambda bc: bc.get_cart("not-a-uuid"),
    ],
)
def test_deleted_resources_answer_not_found(client, call):
    with pytest.raises(NotFound):
        call(client)
    assert client.calls == 1  # not retried


def test_v2_not_found_body_is_bigcommerce_shaped(standin):
    response = requests.get(
        f"{standin.base_url}/stores/{STORE}/v2/orders/900000",
        headers={"X-Auth-Token": TOKEN},
        timeout=5,
    )
    assert response.status_code == 404
    assert response.json() == [{"status": 404, "message": "The requested resource was not found."}]


def test_a_wrong_token_is_rejected(standin):
    bc = BigCommerceClient(STORE, OTHER_TOKEN, base_url=standin.base_url)
    with pytest.raises(AuthenticationFailed):
        bc.get_store()
    assert bc.calls == 1


def test_an_unknown_store_hash_is_not_found(standin):
    bc = BigCommerceClient("nosuchstore", TOKEN, base_url=standin.base_url)
    with pytest.raises(NotFound, match="Store Hash"):
        bc.get_store()


# --- hooks -------------------------------------------------------------------------------------


def test_hooks_lifecycle(client):
    # given a new hook
    hook = client.create_hook("store/cart/abandoned", "https://example.test/h", {"X-S": "1"})
    example = load_bigcommerce_example("hooks_create_response.v3.json")["data"]
    assert list(hook) == list(example)
    assert hook["is_active"] is True and hook["store_hash"] == STORE
    # when listed, updated, duplicated and deleted
    assert client.list_hooks() == [hook]
    updated = client.update_hook(hook["id"], is_active=False)
    assert updated["is_active"] is False
    with pytest.raises(BadResponse) as duplicate:
        client.create_hook("store/cart/abandoned", "https://example.test/h", {})
    client.delete_hook(hook["id"])
    # then
    assert duplicate.value.status_code == 422
    assert client.list_hooks() == []
    client.delete_hook(hook["id"])  # already gone: fine


def test_hooks_are_kept_per_store(standin, client):
    client.create_hook("store/cart/abandoned", "https://example.test/h", {})
    other = BigCommerceClient(OTHER, OTHER_TOKEN, base_url=standin.base_url)
    assert other.list_hooks() == []
    # the same scope + destination is fine in another store
    assert other.create_hook("store/cart/abandoned", "https://example.test/h", {})["id"]


def test_hook_list_pages_are_followed_by_the_client(standin, client):
    for n in range(55):
        client.create_hook("store/cart/abandoned", f"https://example.test/{n}", {})
    standin.reset_stats()
    assert len(client.list_hooks()) == 55
    assert standin.stats()["calls"] == {"GET /v3/hooks": 2}


def test_invalid_hook_bodies_answer_422(standin):
    response = requests.post(
        f"{standin.base_url}/stores/{STORE}/v3/hooks",
        json={"scope": "store/cart/abandoned"},
        headers={"X-Auth-Token": TOKEN},
        timeout=5,
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"destination": "error.path.missing."}


# --- faults ------------------------------------------------------------------------------------


def test_injected_429_is_waited_out_by_the_client(control, client, sleeps):
    # given
    status, _ = control(
        "POST",
        "faults",
        {"path_contains": "/v2/orders/", "status": 429, "headers": {"X-Retry-After": "2"}},
    )
    # when
    order = client.get_order(5)
    # then the default reset window (1 s) lost to X-Retry-After (2 s)
    assert status == 200 and order["id"] == 5
    assert sleeps == [2.0] and client.calls == 2


def test_injected_long_429_raises_rate_limited(standin, client):
    standin.add_fault("/v2/orders/", 429, headers={"X-Rate-Limit-Time-Reset-Ms": "60000"})
    with pytest.raises(RateLimited) as caught:
        client.get_order(5)
    assert caught.value.retry_after == 60.0


def test_injected_500s_are_retried(control, client, standin):
    control("POST", "faults", {"path_contains": "/v3/carts/", "status": 500, "times": 2})
    assert client.get_cart(CART_ID)["id"] == CART_ID
    assert client.calls == 3
    assert standin.faults() == []


def test_persistent_503_becomes_unavailable(standin, client):
    standin.add_fault("", 503, times=10)
    with pytest.raises(Unavailable):
        client.get_store()
    assert client.calls == 3


def test_dropped_connection_is_retried(standin, client):
    standin.add_fault("/v2/store", 0)
    assert client.get_store()["id"] == STORE
    assert client.calls == 2


def test_latency_and_delay_faults_sleep_on_store_calls_only(monkeypatch):
    # given a stand-in with latency, and a recording clock instead of real sleeps
    slept = []
    monkeypatch.setattr(server, "_sleep", slept.append)
    with StandIn(port=0, latency_ms=50, stores={STORE: TOKEN}) as slow:
        slow.add_fault("/v2/store", delay_ms=300)  # no status: slow, then served
        bc = BigCommerceClient(STORE, TOKEN, base_url=slow.base_url)
        # when
        bc.get_store()
        slow.stats()
        requests.get(f"{slow.base_url}/_standin/stats", timeout=5)
    # then
    assert slept == [0.05, 0.3]


def test_control_api_validates_its_input(control):
    assert control("POST", "faults", {"status": "x"})[0] == 400
    assert (
        control("POST", "fire", {"store_hash": "nosuch", "scope": "store/cart/abandoned"})[0] == 404
    )
    assert control("POST", "fire", {"scope": 1})[0] == 400
    assert control("GET", "nothing")[0] == 404
    assert control("POST", "hooks/1/deactivate")[0] == 404


# --- fire --------------------------------------------------------------------------------------


def test_fire_delivers_a_bigcommerce_shaped_payload_with_registered_headers(
    control, client, recording_server
):
    # given a hook registered with a secret header
    hook = client.create_hook(
        "store/shipment/created", recording_server.url(WEBHOOK_PATH), {"X-Secret": "s3"}
    )
    # when
    status, results = control(
        "POST", "fire", {"store_hash": STORE, "scope": "store/shipment/created"}
    )
    # then
    assert status == 200
    assert [(r["destination"], r["status"], r["hook_id"]) for r in results] == [
        (recording_server.url(WEBHOOK_PATH), 200, hook["id"])
    ]
    headers, raw = recording_server.received[0].headers, recording_server.received[0].body
    body = json.loads(raw)
    example = load_bigcommerce_example("webhook_store_shipment_created.json")
    assert list(body) == list(example)
    assert list(body["data"]) == list(example["data"])
    assert headers["X-Secret"] == "s3"
    assert headers["Content-Type"] == "application/json"
    assert body["producer"] == f"stores/{STORE}" and body["scope"] == "store/shipment/created"
    assert isinstance(body["store_id"], str) and isinstance(body["created_at"], int)
    assert len(body["hash"]) == 40
    assert body == results[0]["payload"]
    # and the ids it carries resolve in the stand-in
    assert client.get_order(body["data"]["orderId"])["id"] == body["data"]["orderId"]


@pytest.mark.parametrize(
    "scope", ["store/cart/abandoned", "store/cart/converted", "store/order/created"]
)
def test_fire_generates_realistic_data_per_scope(standin, client, recording_server, scope):
    client.create_hook(scope, recording_server.url(WEBHOOK_PATH), {})
    standin.fire(STORE, scope)
    body = json.loads(recording_server.received[0].body)
    if scope == "store/cart/abandoned":
        assert set(body["data"]) == {"type", "id", "token"}
        assert client.get_cart(body["data"]["id"])["id"] == body["data"]["id"]
    elif scope == "store/cart/converted":
        assert body["data"]["type"] == "cart" and isinstance(body["data"]["orderId"], int)
    else:
        assert body["data"]["type"] == "order" and isinstance(body["data"]["id"], int)


def test_fire_uses_given_data_and_hash_and_count(control, client, recording_server):
    client.create_hook("store/cart/converted", recording_server.url(WEBHOOK_PATH), {})
    data_ = {"type": "cart", "id": CART_ID, "orderId": "252"}
    # when fired three times without a hash: three distinct events
    control(
        "POST",
        "fire",
        {"store_hash": STORE, "scope": "store/cart/converted", "count": 3, "data": data_},
    )
    # and twice with a given hash: a redelivery of one event
    control(
        "POST",
        "fire",
        {"store_hash": STORE, "scope": "store/cart/converted", "count": 2, "hash": "abc"},
    )
    bodies = [json.loads(r.body) for r in recording_server.received]
    assert [b["data"] for b in bodies[:3]] == [data_] * 3
    assert len({b["hash"] for b in bodies[:3]}) == 3
    assert [b["hash"] for b in bodies[3:]] == ["abc", "abc"]


def test_fire_skips_inactive_hooks_and_other_scopes(control, client, recording_server):
    # given one hook BigCommerce deactivated and one for another scope
    hook = client.create_hook("store/cart/abandoned", recording_server.url(WEBHOOK_PATH), {})
    client.create_hook("store/cart/converted", recording_server.url(WEBHOOK_PATH), {})
    status, deactivated = control("POST", f"hooks/{hook['id']}/deactivate")
    assert status == 200 and deactivated["is_active"] is False
    assert client.list_hooks()[0]["is_active"] is False
    # when / then
    assert control("POST", "fire", {"store_hash": STORE, "scope": "store/cart/abandoned"}) == (
        200,
        [],
    )
    assert recording_server.received == []


def test_fire_reports_failed_and_refused_deliveries(standin, client):
    # given a destination nobody listens on, and one off loopback
    unused = RecordingServer()
    unused.close()
    client.create_hook("store/cart/abandoned", unused.url(WEBHOOK_PATH), {})
    client.create_hook("store/cart/abandoned", "https://example.com/h", {})
    # when
    results = standin.fire(STORE, "store/cart/abandoned", timeout=2)
    # then nothing was sent off the machine, and the failure is reported, not raised
    assert [r["status"] for r in results] == [None, None]
    assert "ConnectionError" in results[0]["error"]
    assert "loopback" in results[1]["error"]


# --- stats -------------------------------------------------------------------------------------


def test_stats_count_store_calls_by_route(control, client):
    # when
    client.get_order(1)
    client.get_order(2)
    client.get_cart(CART_ID)
    client.get_customer_v3(4)
    # then control calls are not counted
    control("GET", "stats")
    status, stats = control("GET", "stats")
    assert status == 200
    service_seconds = stats.pop("service_seconds")
    assert stats == {
        "calls": {
            "GET /v2/orders/{id}": 2,
            "GET /v3/carts/{id}": 1,
            "GET /v3/customers": 1,
        },
        "total": 4,
    }
    # ... with the time spent answering them (what the bench's I/O bound is built on)
    assert 0 < service_seconds < 10
    assert control("POST", "stats/reset") == (
        200,
        {"calls": {}, "total": 0, "service_seconds": 0.0},
    )


# --- lifecycle and the management command -----------------------------------------------------


def test_the_stand_in_only_listens_on_loopback():
    with pytest.raises(ValueError):
        StandIn(host="0.0.0.0")


def test_the_command_refuses_a_non_loopback_bind():
    with pytest.raises(CommandError, match="loopback"):
        call_command("bigcommerce_standin", bind="0.0.0.0", stdout=io.StringIO())


def test_the_command_serves_and_prints_what_to_use(monkeypatch):
    # given a command whose foreground wait makes one call instead of blocking
    out = io.StringIO()
    seen = {}

    def wait(self):
        base = out.getvalue().split("BIGCOMMERCE_API_BASE_URL=")[1].split()[0]
        seen["store"] = BigCommerceClient("mystore", "dev-token", base_url=base).get_store()

    monkeypatch.setattr(bigcommerce_standin.Command, "wait", wait)
    # when
    call_command(
        "bigcommerce_standin", port=0, store_hash="mystore", access_token="dev-token", stdout=out
    )
    # then
    text = out.getvalue()
    assert "Store hash:   mystore" in text and "Access token: dev-token" in text
    assert "development" in text and "Stand-in stopped." in text
    assert seen["store"]["id"] == "mystore"


def test_an_orders_products_and_shipment_are_served_like_bigcommerces(client):
    # given order 251 (1 + 251 % 3 = 3 products) and its shipment 12
    # when the client reads the products, the shipment and the order
    products = client.get_order_products(251)
    shipment = client.get_shipment(251, 12)
    # then they are BigCommerce's examples with consistent ids: the shipment ships them all
    assert [p["id"] for p in products] == [2510, 2511, 2512]
    assert products[0]["name"] == "Fog Linen Chambray Towel - Beige Stripe"
    assert shipment["order_id"] == 251 and shipment["id"] == 12
    assert shipment["tracking_number"] == "EJ000000251US"
    assert shipment["tracking_number"] in shipment["generated_tracking_link"]
    assert [i["order_product_id"] for i in shipment["items"]] == [2510, 2511, 2512]
    assert shipment["billing_address"]["email"] == client.get_order(251)["billing_address"]["email"]


def test_order_products_page_like_bigcommerce(standin):
    # given the stand-in's order 251 with 3 products
    url = f"{standin.base_url}/stores/{STORE}/v2/orders/251/products"
    headers = {"X-Auth-Token": TOKEN, "Accept": "application/json"}
    # when asking for pages of 2
    first = requests.get(url, params={"limit": 2, "page": 1}, headers=headers, timeout=5)
    second = requests.get(url, params={"limit": 2, "page": 2}, headers=headers, timeout=5)
    past = requests.get(url, params={"limit": 2, "page": 3}, headers=headers, timeout=5)
    # then the pages split them, and past the end there is no content
    assert [len(first.json()), len(second.json())] == [2, 1]
    assert past.status_code == 204


def test_a_deleted_orders_shipment_is_not_found(client):
    with pytest.raises(NotFound):
        client.get_shipment(900_001, 1)
    with pytest.raises(NotFound):
        client.get_order_products(900_001)


def test_an_order_status_change_and_a_converted_cart_show_in_the_store_api(control, client):
    # Given an order and a cart the store serves
    assert client.get_order(251)["status_id"] != 4
    assert client.get_cart(CART_ID)["id"] == CART_ID
    # When the order is refunded and the cart converted, through the control API
    assert control("POST", "orders/251/status", {"store_hash": STORE, "status_id": 4})[0] == 200
    assert control("POST", f"carts/{CART_ID}/convert", {"store_hash": STORE})[0] == 200
    # Then the order shows its new status and the cart is gone, on that store only
    assert client.get_order(251)["status_id"] == 4
    with pytest.raises(NotFound):
        client.get_cart(CART_ID)
    # And a change without its store, or with a status that is not one, is refused
    assert control("POST", "orders/251/status", {"status_id": 4})[0] == 400
    assert control("POST", "orders/251/status", {"store_hash": STORE, "status_id": "x"})[0] == 400


def test_shipments_and_order_products_have_exactly_the_examples_fields(client):
    # given BigCommerce's examples of a shipment and of an order's products (GET /v2/orders/
    # {id}/shipments/{id} and /v2/orders/{id}/products: the fields the extra codes read; its
    # two example products differ in their fields)
    shipment_example = load_bigcommerce_example("v2_order_shipment_response.json")
    product_examples = load_bigcommerce_example("v2_order_products_response.json")

    # when the stand-in serves an order's shipment and products
    shipment = client.get_shipment(251, 12)
    products = client.get_order_products(251)

    # then they have the same fields, in the same order, of the same JSON types
    assert list(shipment) == list(shipment_example)
    assert list(shipment["items"][0]) == list(shipment_example["items"][0])
    assert len(products) == 3
    for n, product in enumerate(products):
        example = product_examples[n % len(product_examples)]
        assert list(product) == list(example)
        assert {k: type(v) for k, v in product.items()} == {k: type(v) for k, v in example.items()}


def test_hooks_admin_reports_deactivated_hooks_and_blocked_domains(client, control):
    # Given a hook BigCommerce deactivated and a domain it blocked, for this store
    hook = client.create_hook("store/cart/abandoned", "https://example.test/h", {})
    control("POST", f"hooks/{hook['id']}/deactivate")
    status, _ = control(
        "POST",
        "blocked-domains",
        {"store_hash": STORE, "destination": "example.test", "time_left": 600, "reason": "503"},
    )
    assert status == 200

    # When the client reads GET /v3/hooks/admin
    admin = client.get_hooks_admin()

    # Then it has the documented shape: the hook with its status, the blocked domain and why
    assert set(admin) == {"emails", "hooks_list", "blocked_domains"}
    assert [(h["id"], h["is_active"], h["status"]) for h in admin["hooks_list"]] == [
        (hook["id"], False, "deactivated")
    ]
    [blocked] = admin["blocked_domains"]
    assert (blocked["destination"], blocked["time_left"]) == ("example.test", 600)
    assert set(blocked["reasons"][0]) == {"failure_description", "count", "timestamp"}

    # And another store sees nothing of it; lifting the blocks clears them
    assert control("GET", "hooks")[0] == 200
    control("DELETE", "blocked-domains")
    assert client.get_hooks_admin()["blocked_domains"] == []


@pytest.mark.parametrize(
    "body",
    [None, {"store_hash": STORE}, {"store_hash": STORE, "destination": "x", "time_left": -1}],
)
def test_blocking_a_domain_needs_its_arguments(control, body):
    status, answer = control("POST", "blocked-domains", body)
    assert status == 400
