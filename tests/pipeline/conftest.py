"""Pipeline fixtures: a BigCommerce store mocked with `responses`, from BigCommerce's examples."""

from __future__ import annotations

import json
import re

import pytest
import responses

from tests.conftest import BC_BASE, STORE_HASH
from tests.factories import load_bigcommerce_example

STORE = f"{BC_BASE}/stores/{STORE_HASH}"


class FakeStore:
    """BigCommerce's read endpoints answering with its example payloads, and its hooks API
    keeping state, so tests see exactly which calls the app makes."""

    def __init__(self, rsps: responses.RequestsMock):
        self.rsps = rsps
        self.hooks: dict[int, dict] = {}
        self.next_hook_id = 18048287
        self.cart = load_bigcommerce_example("v3_cart_response.json")["data"]
        self.order = load_bigcommerce_example("v2_order_response.json")
        self.customer_v2 = load_bigcommerce_example("v2_customer_response.json")
        self.customer_v3 = load_bigcommerce_example("v3_customers_list_response.json")["data"][0]
        self.customer_v3 = {**self.customer_v3, "id": 11}
        self.order["customer_id"] = 11
        self.customer_v2["id"] = 11
        self.cart["customer_id"] = 11
        self.failures: dict[str, list[int]] = {}
        # Loopback servers that tests start themselves (allowlisted HTTP steps) are real.
        rsps.add_passthru(re.compile(r"http://127\.0\.0\.1:\d+/"))
        rsps.add_callback(responses.GET, re.compile(rf"{STORE}/v3/carts/[^/?]+"), self._cart)
        rsps.add_callback(responses.GET, re.compile(rf"{STORE}/v2/orders/\d+"), self._order)
        rsps.add_callback(
            responses.GET, re.compile(rf"{STORE}/v2/customers/\d+"), self._customer_v2
        )
        rsps.add_callback(
            responses.GET, re.compile(rf"{STORE}/v3/customers(\?.*)?$"), self._customers_v3
        )
        rsps.add_callback(responses.GET, re.compile(rf"{STORE}/v3/hooks(\?.*)?$"), self._list_hooks)
        rsps.add_callback(responses.POST, f"{STORE}/v3/hooks", self._create_hook)
        rsps.add_callback(responses.PUT, re.compile(rf"{STORE}/v3/hooks/\d+"), self._update_hook)
        rsps.add_callback(responses.DELETE, re.compile(rf"{STORE}/v3/hooks/\d+"), self._delete_hook)

    # helpers for tests
    def fail_next(self, path_part: str, *statuses: int):
        self.failures.setdefault(path_part, []).extend(statuses)

    def calls(self, method: str | None = None, path_part: str = "") -> list:
        return [
            c
            for c in self.rsps.calls
            if (method is None or c.request.method == method) and path_part in c.request.url
        ]

    def resource_calls(self) -> list[str]:
        out = []
        for c in self.rsps.calls:
            path = c.request.url.split(f"/stores/{STORE_HASH}", 1)[1]
            if "/hooks" not in path:
                out.append(f"{c.request.method} {path}")
        return out

    # callbacks
    def _json(self, status, body, headers=None):
        return (status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body))

    def _injected(self, request):
        for part, statuses in self.failures.items():
            if part in request.url and statuses:
                status = statuses.pop(0)
                return self._json(status, {"status": status, "title": "injected"})
        return None

    def _cart(self, request):
        cart_id = request.url.rsplit("/", 1)[1].split("?")[0]
        return self._injected(request) or self._json(
            200, {"data": {**self.cart, "id": cart_id}, "meta": {}}
        )

    def _order(self, request):
        order_id = int(request.url.rsplit("/", 1)[1])
        return self._injected(request) or self._json(200, {**self.order, "id": order_id})

    def _customer_v2(self, request):
        return self._injected(request) or self._json(200, self.customer_v2)

    def _customers_v3(self, request):
        return self._injected(request) or self._json(200, {"data": [self.customer_v3], "meta": {}})

    def _list_hooks(self, request):
        return self._injected(request) or self._json(
            200, {"data": list(self.hooks.values()), "meta": {}}
        )

    def _create_hook(self, request):
        body = json.loads(request.body)
        hook = {
            "id": self.next_hook_id,
            "client_id": "m9r6keqmo7h7f23btnpwernbez1kglkl",
            "store_hash": STORE_HASH,
            "created_at": 1561488106,
            "updated_at": 1561488106,
            **body,
        }
        self.hooks[hook["id"]] = hook
        self.next_hook_id += 1
        return self._json(200, {"data": hook, "meta": {}})

    def _update_hook(self, request):
        hook_id = int(request.url.rsplit("/", 1)[1])
        if hook_id not in self.hooks:
            return self._json(404, {"status": 404, "title": "Not found"})
        self.hooks[hook_id].update(json.loads(request.body))
        return self._json(200, {"data": self.hooks[hook_id], "meta": {}})

    def _delete_hook(self, request):
        hook_id = int(request.url.rsplit("/", 1)[1])
        hook = self.hooks.pop(hook_id, None)
        if hook is None:
            return self._json(404, {"status": 404, "title": "Not found"})
        return self._json(200, {"data": hook, "meta": {}})


@pytest.fixture
def store(settings):
    settings.BIGCOMMERCE_MAX_RETRIES = 0  # the pipeline's own retry policy is under test
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeStore(rsps)


@pytest.fixture
def auth(make_authentication, account):
    return make_authentication(account)


@pytest.fixture
def make_workflow(account, auth):
    from workflows.models import Workflow

    def make(event="shipment_created", name="Survey", status="active", **kwargs):
        from integrations.subscriptions import subscription_for

        wf = Workflow.objects.create(
            account=account,
            name=name,
            event=event,
            authentication=kwargs.pop("authentication", auth),
            status=status,
            **kwargs,
        )
        sub = subscription_for(wf.authentication, event)
        if status == "active" and not sub.wanted:
            sub.wanted = True
            sub.save(update_fields=["wanted"])
        return wf

    return make


def delivery_body(event: str, **data_overrides) -> dict:
    name = {
        "cart_abandoned": "webhook_store_cart_abandoned.json",
        "cart_converted": "webhook_store_cart_converted.json",
        "shipment_created": "webhook_store_shipment_created.json",
    }[event]
    body = load_bigcommerce_example(name)
    body["producer"] = f"stores/{STORE_HASH}"
    body["data"].update(data_overrides)
    return body


@pytest.fixture
def post_delivery(client, django_capture_on_commit_callbacks):
    """POST a delivery to a subscription's URL like BigCommerce does; tasks run inline."""
    from integrations.subscriptions import SECRET_HEADER

    def post(sub, body, *, secret=None, raw=None, **extra):
        headers = {
            f"HTTP_{SECRET_HEADER.upper().replace('-', '_')}": sub.secret
            if secret is None
            else secret
        }
        headers.update(extra)
        payload = raw if raw is not None else json.dumps(body)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/webhooks/bigcommerce/{sub.uuid}/",
                payload,
                content_type="application/json",
                **headers,
            )

    return post
