"""The BigCommerce client against `responses` mocks shaped like BigCommerce's own examples."""

import json
import logging
import threading

import pytest
import requests
import responses
from responses import matchers

from integrations.bigcommerce.client import (
    HOOK_FIELDS,
    USER_AGENT,
    BigCommerceClient,
    kept_alive_session,
    rate_limit_wait,
    retry_delay,
)
from integrations.bigcommerce.errors import (
    AuthenticationFailed,
    BadResponse,
    BigCommerceError,
    InvalidCredentials,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from tests.factories import load_bigcommerce_example
from tests.harness import ROOT as REPOSITORY

BASE = "https://api.bigcommerce.test"
STORE = "abc123"
TOKEN = "tok3n-Sup3rSecret-9f8e7d"
ROOT = f"{BASE}/stores/{STORE}"
# BigCommerce's OpenAPI spec sits beside the repository in the shared workspace.
WEBHOOKS_SPEC = REPOSITORY.parent / "shared/bigcommerce/specs/reference/webhooks.v3.yml"


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def client(sleeps):
    with BigCommerceClient(
        STORE,
        TOKEN,
        base_url=BASE,
        connect_timeout=3,
        read_timeout=7,
        max_retries=2,
        max_wait_seconds=30,
        sleep=sleeps.append,
    ) as bc:
        yield bc


# --- reads, shaped like BigCommerce's examples -------------------------------------------------


def test_get_store_sends_auth_json_headers_and_timeouts(mocked, client):
    # given BigCommerce's store information example
    store = load_bigcommerce_example("v2_store_information_response.json")
    mocked.get(f"{ROOT}/v2/store", json=store)
    # when
    result = client.get_store()
    # then
    assert result == store
    request = mocked.calls[0].request
    assert request.headers["X-Auth-Token"] == TOKEN
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("bigcommerce-workflow-initiator/")
    assert "Content-Type" not in request.headers
    assert request.req_kwargs["timeout"] == (3.0, 7.0)
    assert client.calls == 1


def test_get_cart_returns_the_data_object(mocked, client):
    # given
    body = load_bigcommerce_example("v3_cart_response.json")
    cart_id = body["data"]["id"]
    mocked.get(f"{ROOT}/v3/carts/{cart_id}", json=body)
    # when / then
    assert client.get_cart(cart_id) == body["data"]


def test_get_order_accepts_numeric_strings(mocked, client):
    # given a payload whose orderId drifted to a string
    order = load_bigcommerce_example("v2_order_response.json")
    mocked.get(f"{ROOT}/v2/orders/218", json=order)
    # when / then
    assert client.get_order("218") == order
    assert mocked.calls[0].request.req_kwargs["timeout"] == (3.0, 7.0)


def test_get_customer_v2(mocked, client):
    customer = load_bigcommerce_example("v2_customer_response.json")
    mocked.get(f"{ROOT}/v2/customers/1", json=customer)
    assert client.get_customer_v2(1) == customer


def test_get_customer_v3_uses_id_in_and_returns_the_first_item(mocked, client):
    # given
    body = load_bigcommerce_example("v3_customers_list_response.json")
    mocked.get(
        f"{ROOT}/v3/customers", json=body, match=[matchers.query_param_matcher({"id:in": "5"})]
    )
    # when
    result = client.get_customer_v3(5)
    # then the colon stays literal, as in BigCommerce's docs
    assert result == body["data"][0]
    assert mocked.calls[0].request.url == f"{ROOT}/v3/customers?id:in=5"


def test_get_customer_v3_with_an_empty_list_is_not_found(mocked, client):
    mocked.get(f"{ROOT}/v3/customers", json={"data": [], "meta": {}})
    with pytest.raises(NotFound, match="customer 9"):
        client.get_customer_v3(9)


def test_v2_no_content_counts_as_not_found(mocked, client):
    # given BigCommerce's v2 habit of answering 204 for an empty result
    mocked.get(f"{ROOT}/v2/orders/7", status=204)
    # when / then
    with pytest.raises(NotFound, match="order 7"):
        client.get_order(7)


@pytest.mark.parametrize("bad_id", [0, -3, "abc", None, True])
def test_invalid_ids_are_refused_before_any_request(mocked, client, bad_id):
    with pytest.raises(ValueError):
        client.get_order(bad_id)
    assert client.calls == 0


# --- hooks -------------------------------------------------------------------------------------


def test_create_hook_posts_the_webhook_base_body(mocked, client):
    # given
    created = load_bigcommerce_example("hooks_create_response.v3.json")
    mocked.post(f"{ROOT}/v3/hooks", json=created)
    # when
    hook = client.create_hook(
        "store/order/created", "https://example.test/webhooks", {"custom-key": "v"}
    )
    # then
    assert hook == created["data"]
    request = mocked.calls[0].request
    assert json.loads(request.body) == {
        "scope": "store/order/created",
        "destination": "https://example.test/webhooks",
        "is_active": True,
        "headers": {"custom-key": "v"},
    }
    assert request.headers["Content-Type"] == "application/json"


def test_hook_bodies_match_bigcommerce_openapi_spec(mocked, client):
    # given BigCommerce's webhooks spec (webhook_Base for POST, webhook_Put for PUT)
    yaml = pytest.importorskip("yaml")
    if not WEBHOOKS_SPEC.exists():
        pytest.skip(f"{WEBHOOKS_SPEC} is not available")
    schemas = yaml.safe_load(WEBHOOKS_SPEC.read_text())["components"]["schemas"]
    base, put = schemas["webhook_Base"], schemas["webhook_Put"]
    created = load_bigcommerce_example("hooks_create_response.v3.json")
    mocked.post(f"{ROOT}/v3/hooks", json=created)
    # when
    client.create_hook("store/cart/abandoned", "https://example.test/h", {"X-Secret": "s"})
    body = json.loads(mocked.calls[0].request.body)
    # then every field is in the schema, with the schema's types, and the required ones are set
    assert set(body) == set(base["properties"])
    assert set(base["required"]) <= set(body)
    types = {"string": str, "boolean": bool, "object": dict}
    for name, value in body.items():
        assert isinstance(value, types[base["properties"][name]["type"]])
    assert set(put["properties"]) == HOOK_FIELDS


def test_list_hooks_follows_pagination(mocked, client):
    # given two pages of hooks
    hook = load_bigcommerce_example("hooks_create_response.v3.json")["data"]
    page = {"total": 2, "count": 1, "per_page": 1, "total_pages": 2}
    mocked.get(
        f"{ROOT}/v3/hooks",
        json={"data": [hook], "meta": {"pagination": {**page, "current_page": 1}}},
        match=[matchers.query_string_matcher("")],
    )
    mocked.get(
        f"{ROOT}/v3/hooks",
        json={"data": [{**hook, "id": 2}], "meta": {"pagination": {**page, "current_page": 2}}},
        match=[matchers.query_param_matcher({"page": "2"})],
    )
    # when
    hooks = client.list_hooks()
    # then
    assert [h["id"] for h in hooks] == [hook["id"], 2]
    assert client.calls == 2


def test_update_hook_puts_only_the_given_fields(mocked, client):
    created = load_bigcommerce_example("hooks_create_response.v3.json")
    mocked.put(f"{ROOT}/v3/hooks/18048287", json=created)
    assert client.update_hook(18048287, is_active=True) == created["data"]
    assert json.loads(mocked.calls[0].request.body) == {"is_active": True}


def test_update_hook_refuses_unknown_fields(mocked, client):
    with pytest.raises(TypeError):
        client.update_hook(1, client_id="x")
    with pytest.raises(TypeError):
        client.update_hook(1)
    assert client.calls == 0


def test_delete_hook_treats_404_as_already_gone(mocked, client):
    # given one hook that exists and one that does not
    created = load_bigcommerce_example("hooks_create_response.v3.json")
    mocked.delete(f"{ROOT}/v3/hooks/1", json=created)
    mocked.delete(f"{ROOT}/v3/hooks/2", status=404, json={"status": 404, "title": "not found"})
    # when / then neither raises
    assert client.delete_hook(1) is None
    assert client.delete_hook(2) is None
    assert client.calls == 2


# --- retries -----------------------------------------------------------------------------------


def test_a_5xx_is_retried_with_backoff(mocked, client, sleeps):
    # given a 503 then the order
    order = load_bigcommerce_example("v2_order_response.json")
    mocked.get(f"{ROOT}/v2/orders/218", status=503, json={"status": 503})
    mocked.get(f"{ROOT}/v2/orders/218", json=order)
    # when
    result = client.get_order(218)
    # then
    assert result == order
    assert client.calls == 2
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 0.75


def test_persistent_5xx_gives_up_after_max_retries(mocked, client, sleeps):
    mocked.get(f"{ROOT}/v2/orders/1", status=500)
    with pytest.raises(Unavailable) as caught:
        client.get_order(1)
    assert caught.value.retryable is True
    assert caught.value.status_code == 500
    assert client.calls == 3
    assert 0.5 <= sleeps[0] <= 0.75 and 1.0 <= sleeps[1] <= 1.25  # exponential


def test_network_errors_are_retried_then_unavailable(mocked, client, sleeps):
    # given a connection that keeps failing
    mocked.get(f"{ROOT}/v2/store", body=requests.ConnectionError("connection refused"))
    # when / then
    with pytest.raises(Unavailable, match="Could not connect") as caught:
        client.get_store()
    assert caught.value.retryable and caught.value.status_code is None
    assert client.calls == 3 and len(sleeps) == 2


def test_a_timeout_then_success(mocked, client, sleeps):
    store = load_bigcommerce_example("v2_store_information_response.json")
    mocked.get(f"{ROOT}/v2/store", body=requests.ReadTimeout("slow"))
    mocked.get(f"{ROOT}/v2/store", json=store)
    assert client.get_store() == store
    assert client.calls == 2


@pytest.mark.parametrize(
    ("reset_ms", "retry_after", "expected_wait"),
    [("1500", "2", 2.0), ("3000", "1", 3.0), ("250", None, 0.25), (None, "4", 4.0)],
)
def test_429_waits_the_longer_of_both_headers(
    mocked, client, sleeps, reset_ms, retry_after, expected_wait
):
    # given a 429 with BigCommerce's rate-limit headers, then the order
    headers = {"X-Rate-Limit-Requests-Left": "0"}
    if reset_ms:
        headers["X-Rate-Limit-Time-Reset-Ms"] = reset_ms
    if retry_after:
        headers["X-Retry-After"] = retry_after
    mocked.get(f"{ROOT}/v2/orders/5", status=429, headers=headers)
    mocked.get(f"{ROOT}/v2/orders/5", json={"id": 5})
    # when
    assert client.get_order(5) == {"id": 5}
    # then it slept exactly what BigCommerce asked for
    assert sleeps == [expected_wait]


def test_429_with_a_long_reset_raises_rate_limited_without_sleeping(mocked, client, sleeps):
    # given a reset window far beyond max_wait_seconds (30 s here)
    mocked.get(f"{ROOT}/v2/orders/5", status=429, headers={"X-Rate-Limit-Time-Reset-Ms": "120000"})
    # when / then the caller gets the wait to reschedule with
    with pytest.raises(RateLimited) as caught:
        client.get_order(5)
    assert caught.value.retry_after == 120.0
    assert caught.value.retryable and caught.value.status_code == 429
    assert sleeps == [] and client.calls == 1


def test_429_that_persists_raises_rate_limited_after_max_retries(mocked, client, sleeps):
    mocked.get(f"{ROOT}/v2/orders/5", status=429, headers={"X-Retry-After": "1"})
    with pytest.raises(RateLimited) as caught:
        client.get_order(5)
    assert caught.value.retry_after == 1.0
    assert sleeps == [1.0, 1.0] and client.calls == 3


@pytest.mark.parametrize(
    ("status", "path", "call", "error", "fragment"),
    [
        (401, "/v2/store", "get_store", AuthenticationFailed, "check the Access Token"),
        (403, "/v2/orders/3", "get_order", PermissionDenied, "missing OAuth scopes"),
        (403, "/v2/store", "get_store", PermissionDenied, "Store Hash"),
        (404, "/v2/store", "get_store", NotFound, "check the Store Hash"),
        (404, "/v2/orders/3", "get_order", NotFound, "no order 3"),
        (422, "/v2/orders/3", "get_order", BadResponse, "HTTP 422"),
    ],
)
def test_client_errors_are_typed_and_not_retried(
    mocked, client, sleeps, status, path, call, error, fragment
):
    # given
    mocked.get(f"{ROOT}{path}", status=status, json={"status": status, "title": "Nope"})
    # when
    with pytest.raises(error, match=fragment) as caught:
        getattr(client, call)(*([3] if call == "get_order" else []))
    # then
    assert caught.value.status_code == status
    assert caught.value.retryable is False
    assert client.calls == 1 and sleeps == []


def test_403_names_the_scope_to_grant(mocked, client):
    mocked.get(f"{ROOT}/v3/customers", status=403)
    with pytest.raises(PermissionDenied, match=r"Customers \(read-only\)"):
        client.get_customer_v3(3)


def test_other_4xx_carries_bigcommerce_explanation(mocked, client):
    # given BigCommerce's 422 example body
    body = {
        "status": 422,
        "title": "JSON data is missing or invalid",
        "type": "/api-docs/getting-started/api-status-codes",
        "errors": {"destination": "error.path.missing."},
    }
    mocked.post(f"{ROOT}/v3/hooks", status=422, json=body)
    # when / then
    with pytest.raises(BadResponse, match="JSON data is missing or invalid.*destination"):
        client.create_hook("store/cart/abandoned", "", {})


def test_a_reply_that_is_not_json_is_a_bad_response(mocked, client):
    mocked.get(f"{ROOT}/v2/store", body="<html>login</html>", content_type="text/html")
    with pytest.raises(BadResponse, match="not JSON"):
        client.get_store()


@pytest.mark.parametrize("depth", [33, 1_100, 50_000])
def test_a_reply_nested_past_the_json_limit_is_a_bad_response(mocked, client, depth):
    # given a reply nested deeper than any JSON the app reads (JSON_MAX_DEPTH)
    mocked.get(f"{ROOT}/v2/store", body="[" * depth + "]" * depth, content_type="application/json")
    # when / then it is refused as unusable, not a RecursionError
    with pytest.raises(BadResponse, match="more than 32 levels deep"):
        client.get_store()


@pytest.mark.parametrize("body", ['{"total": NaN}', '{"total": 1e400}', '{"total": Infinity}'])
def test_a_reply_with_non_finite_numbers_is_a_bad_response(mocked, client, body):
    mocked.get(f"{ROOT}/v2/orders/3", body=body, content_type="application/json")
    with pytest.raises(BadResponse, match="not JSON"):
        client.get_order(3)


def test_redirects_are_not_followed(mocked, client):
    # given a redirect elsewhere (it would carry the token there)
    mocked.get(f"{ROOT}/v2/store", status=302, headers={"Location": "https://elsewhere.test/"})
    # when / then
    with pytest.raises(BadResponse, match="redirect"):
        client.get_store()
    assert client.calls == 1


# --- configuration and credentials -------------------------------------------------------------


def test_defaults_come_from_settings(mocked, settings):
    # given
    settings.BIGCOMMERCE_API_BASE_URL = "https://configured.test/"
    settings.BIGCOMMERCE_CONNECT_TIMEOUT = 1.5
    settings.BIGCOMMERCE_READ_TIMEOUT = 2.5
    settings.BIGCOMMERCE_MAX_RETRIES = 0
    mocked.get(f"https://configured.test/stores/{STORE}/v2/store", status=500)
    # when
    bc = BigCommerceClient(STORE, TOKEN, sleep=pytest.fail)
    with pytest.raises(Unavailable):
        bc.get_store()
    # then: no retry, configured timeouts
    assert bc.calls == 1
    assert mocked.calls[0].request.req_kwargs["timeout"] == (1.5, 2.5)


@pytest.mark.parametrize("store_hash", ["", "ABC", "abc/../x", "abc 1", "a" * 65, None])
def test_malformed_store_hash_is_refused(store_hash):
    with pytest.raises(InvalidCredentials, match="Store Hash"):
        BigCommerceClient(store_hash, TOKEN)


@pytest.mark.parametrize("token", ["", "has space", "line\nbreak", "ünïcode", None])
def test_malformed_token_is_refused_without_echoing_it(token):
    with pytest.raises(InvalidCredentials, match="Access Token") as caught:
        BigCommerceClient(STORE, token)
    if token:
        assert token not in str(caught.value)


def test_the_token_never_appears_in_errors_logs_or_repr(mocked, sleeps, caplog):
    # given failures of every kind, one of them echoing the token back
    caplog.set_level(logging.DEBUG)
    bc = BigCommerceClient(STORE, TOKEN, base_url=BASE, max_retries=1, sleep=sleeps.append)
    mocked.get(f"{ROOT}/v2/store", status=401)
    mocked.get(f"{ROOT}/v2/orders/1", status=403)
    mocked.get(f"{ROOT}/v2/orders/2", status=404)
    mocked.get(f"{ROOT}/v2/orders/3", status=422, json={"title": f"bad token {TOKEN}"})
    mocked.get(f"{ROOT}/v2/orders/4", status=500)
    mocked.get(f"{ROOT}/v2/orders/5", status=429, headers={"X-Retry-After": "99"})
    mocked.get(f"{ROOT}/v2/orders/6", body=requests.ConnectionError(f"boom {TOKEN}"))
    # when
    errors = []
    for call in [bc.get_store] + [lambda i=i: bc.get_order(i) for i in range(1, 7)]:
        with pytest.raises(BigCommerceError) as caught:
            call()
        errors.append(caught.value)
    # then
    texts = [str(e) for e in errors] + [repr(e) for e in errors] + [e.message for e in errors]
    texts += [r.getMessage() for r in caplog.records] + [repr(bc)]
    assert len(errors) == 7 and caplog.records
    assert all(TOKEN not in text for text in texts)


# --- the retry policy on its own ---------------------------------------------------------------


def test_retry_delay_policy():
    # non-retryable errors and exhausted attempts give up
    assert retry_delay(NotFound("x"), 0, max_retries=3, max_wait=30) is None
    assert retry_delay(Unavailable("x"), 3, max_retries=3, max_wait=30) is None
    # exponential backoff, jitter added, capped at max_wait
    assert retry_delay(Unavailable("x"), 2, max_retries=3, max_wait=30, jitter=lambda: 0) == 2.0
    assert retry_delay(Unavailable("x"), 2, max_retries=3, max_wait=30, jitter=lambda: 1) == 2.25
    assert retry_delay(Unavailable("x"), 9, max_retries=10, max_wait=30, jitter=lambda: 0) == 30
    # a 429 waits what it was told, unless that is beyond max_wait
    assert retry_delay(RateLimited("x", retry_after=5), 0, max_retries=3, max_wait=30) == 5
    assert retry_delay(RateLimited("x", retry_after=31), 0, max_retries=3, max_wait=30) is None


def test_rate_limit_wait_ignores_garbage():
    assert rate_limit_wait({"X-Rate-Limit-Time-Reset-Ms": "abc", "X-Retry-After": "2"}) == 2.0
    assert rate_limit_wait({}) is None
    assert rate_limit_wait({"X-Retry-After": "-4"}) == 0.0


# --- the workers' kept-alive session -------------------------------------------------------------


def test_the_kept_alive_session_is_reused_and_never_carries_cookies_between_stores(mocked):
    # Given two stores fetched one after the other by one worker thread
    mocked.get(
        f"{ROOT}/v2/orders/1",
        json={"id": 1},
        headers={"Set-Cookie": "lb=store-a; Path=/"},
    )
    other = f"{BASE}/stores/zzz999/v2/orders/2"
    mocked.get(other, json={"id": 2})
    session = kept_alive_session()
    with BigCommerceClient(STORE, TOKEN, base_url=BASE, session=session) as bc:
        bc.get_order(1)
    with BigCommerceClient("zzz999", "other-token-1", base_url=BASE, session=session) as bc:
        bc.get_order(2)
    # Then the same session (and its connections) served both, and is still open
    assert kept_alive_session() is session
    # ... the first store's cookie was refused, so the second request carried none
    assert len(session.cookies) == 0
    assert "Cookie" not in mocked.calls[1].request.headers
    # ... and each request carried its own store's token
    assert mocked.calls[0].request.headers["X-Auth-Token"] == TOKEN
    assert mocked.calls[1].request.headers["X-Auth-Token"] == "other-token-1"


def test_the_kept_alive_session_reads_proxy_settings_once_for_the_api_host(monkeypatch):
    # Given a proxy for HTTPS, except for one host, set in the environment
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "api.bigcommerce.local")
    # When a worker thread opens its sessions to a proxied and to an exempt API host
    proxied, exempt = [], []
    worker = threading.Thread(
        target=lambda: (
            proxied.append(kept_alive_session("https://api.bigcommerce.test")),
            exempt.append(kept_alive_session("https://api.bigcommerce.local/")),
        )
    )
    worker.start()
    worker.join()
    # Then the proxy applies to the first only, and requests won't read the environment again
    assert proxied[0].proxies.get("https") == "http://127.0.0.1:3128"
    assert "https" not in exempt[0].proxies
    assert proxied[0].trust_env is False and exempt[0].trust_env is False
    assert proxied[0] is not exempt[0]
