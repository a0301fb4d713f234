"""The other side of the wire, for tests: BigCommerce mocked with `responses` (FakeStore), a
loopback HTTP server that records what it receives (RecordingServer), and a DNS resolver that
answers from a table (FakeResolver). The BigCommerce stand-in itself is `integrations.standin`.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import responses

from tests.factories import BC_BASE, STORE_HASH, load_bigcommerce_example

# --- BigCommerce, mocked with `responses` ---------------------------------------------------

STORE = f"{BC_BASE}/stores/{STORE_HASH}"


DEFAULT_API_ACCOUNT = "m9r6keqmo7h7f23btnpwernbez1kglkl"  # the client id of every token but those
# FakeStore.api_accounts names


class FakeStore:
    """BigCommerce's read endpoints answering with its example payloads, and its hooks API
    keeping state, so tests see exactly which calls the app makes."""

    def __init__(self, rsps: responses.RequestsMock):
        self.rsps = rsps
        self.hooks: dict[int, dict] = {}
        # Hooks belong to the API account whose token made them; a token listed here is another
        # account's (BigCommerce shows, changes and deletes only the caller's account's hooks).
        self.api_accounts: dict[str, str] = {}
        self.next_hook_id = 18048287
        self.cart = load_bigcommerce_example("v3_cart_response.json")["data"]
        self.order = load_bigcommerce_example("v2_order_response.json")
        self.customer_v2 = load_bigcommerce_example("v2_customer_response.json")
        self.customer_v3 = load_bigcommerce_example("v3_customers_list_response.json")["data"][0]
        self.customer_v3 = {**self.customer_v3, "id": 11}
        self.order["customer_id"] = 11
        self.shipment = load_bigcommerce_example("v2_order_shipment_response.json")
        self.order_products = load_bigcommerce_example("v2_order_products_response.json")
        self.store_info = load_bigcommerce_example("v2_store_information_response.json")
        self.refunds = load_bigcommerce_example("v3_order_refunds_response.json")["data"]
        # The shipment's items are the order's products (BigCommerce's examples differ).
        for item, product in zip(self.shipment["items"], self.order_products, strict=True):
            item["order_product_id"] = product["id"]
        self.customer_v2["id"] = 11
        self.cart["customer_id"] = 11
        self.failures: dict[str, list[tuple[int, dict]]] = {}
        self.blocked_domains: list[dict] = []  # what GET /v3/hooks/admin reports as blocked
        # Loopback servers that tests start themselves (allowlisted HTTP steps) are real.
        rsps.add_passthru(re.compile(r"http://127\.0\.0\.1:\d+/"))
        rsps.add_callback(responses.GET, re.compile(rf"{STORE}/v3/carts/[^/?]+"), self._cart)
        rsps.add_callback(responses.GET, re.compile(rf"{STORE}/v2/orders/\d+$"), self._order)
        rsps.add_callback(
            responses.GET, re.compile(rf"{STORE}/v2/orders/\d+/shipments/\d+$"), self._shipment
        )
        rsps.add_callback(
            responses.GET, re.compile(rf"{STORE}/v2/orders/\d+/products(\?.*)?$"), self._products
        )
        rsps.add_callback(responses.GET, f"{STORE}/v2/store", self._store_info)
        rsps.add_callback(
            responses.GET,
            re.compile(rf"{STORE}/v3/orders/\d+/payment_actions/refunds$"),
            self._refunds,
        )
        rsps.add_callback(
            responses.GET, re.compile(rf"{STORE}/v2/customers/\d+"), self._customer_v2
        )
        rsps.add_callback(
            responses.GET, re.compile(rf"{STORE}/v3/customers(\?.*)?$"), self._customers_v3
        )
        rsps.add_callback(responses.GET, re.compile(rf"{STORE}/v3/hooks(\?.*)?$"), self._list_hooks)
        rsps.add_callback(responses.GET, f"{STORE}/v3/hooks/admin", self._hooks_admin)
        rsps.add_callback(responses.POST, f"{STORE}/v3/hooks", self._create_hook)
        rsps.add_callback(responses.PUT, re.compile(rf"{STORE}/v3/hooks/\d+"), self._update_hook)
        rsps.add_callback(responses.DELETE, re.compile(rf"{STORE}/v3/hooks/\d+"), self._delete_hook)

    # helpers for tests
    def fail_next(self, path_part: str, *statuses: int, headers: dict | None = None):
        """The next calls whose URL contains `path_part` answer `statuses`, with `headers`."""
        self.failures.setdefault(path_part, []).extend((s, headers or {}) for s in statuses)

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

    def hook_writes(self) -> list[tuple[str, str]]:
        """(method, path) of every call that changed a hook."""
        return [
            (c.request.method, c.request.url.rsplit(f"/stores/{STORE_HASH}", 1)[1])
            for c in self.rsps.calls
            if "/v3/hooks" in c.request.url and c.request.method != "GET"
        ]

    # callbacks
    def _json(self, status, body, headers=None):
        return (status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body))

    def _injected(self, request):
        for part, statuses in self.failures.items():
            if part in request.url and statuses:
                status, headers = statuses.pop(0)
                return self._json(status, {"status": status, "title": "injected"}, headers)
        return None

    def _cart(self, request):
        cart_id = request.url.rsplit("/", 1)[1].split("?")[0]
        return self._injected(request) or self._json(
            200, {"data": {**self.cart, "id": cart_id}, "meta": {}}
        )

    def _order(self, request):
        order_id = int(request.url.rsplit("/", 1)[1])
        return self._injected(request) or self._json(200, {**self.order, "id": order_id})

    def _shipment(self, request):
        order_id, _, shipment_id = request.url.split("/orders/", 1)[1].split("/")
        body = {**self.shipment, "id": int(shipment_id), "order_id": int(order_id)}
        return self._injected(request) or self._json(200, body)

    def _products(self, request):
        return self._injected(request) or self._json(200, self.order_products)

    def _refunds(self, request):
        order_id = int(request.url.split("/orders/", 1)[1].split("/")[0])
        body = {"data": [{**refund, "order_id": order_id} for refund in self.refunds], "meta": {}}
        return self._injected(request) or self._json(200, body)

    def _store_info(self, request):
        return self._injected(request) or self._json(200, self.store_info)

    def _customer_v2(self, request):
        return self._injected(request) or self._json(200, self.customer_v2)

    def _customers_v3(self, request):
        found = [self.customer_v3] if self.customer_v3 else []  # None: deleted, the list empty
        return self._injected(request) or self._json(200, {"data": found, "meta": {}})

    def _api_account(self, request) -> str:
        return self.api_accounts.get(request.headers.get("X-Auth-Token"), DEFAULT_API_ACCOUNT)

    def _own_hook(self, request) -> dict | None:
        hook = self.hooks.get(int(request.url.rsplit("/", 1)[1]))
        mine = hook and hook.get("client_id", DEFAULT_API_ACCOUNT) == self._api_account(request)
        return hook if mine else None

    def _list_hooks(self, request):
        mine = [
            h
            for h in self.hooks.values()
            if h.get("client_id", DEFAULT_API_ACCOUNT) == self._api_account(request)
        ]
        return self._injected(request) or self._json(200, {"data": mine, "meta": {}})

    def _hooks_admin(self, request):
        hooks = [
            {**h, "status": "active" if h.get("is_active", True) else "deactivated"}
            for h in self.hooks.values()
        ]
        data = {"emails": [], "hooks_list": hooks, "blocked_domains": self.blocked_domains}
        return self._injected(request) or self._json(200, {"data": data, "meta": {}})

    def _create_hook(self, request):
        body = json.loads(request.body)
        hook = {
            "id": self.next_hook_id,
            "client_id": self._api_account(request),
            "store_hash": STORE_HASH,
            "created_at": 1561488106,
            "updated_at": 1561488106,
            **body,
        }
        self.hooks[hook["id"]] = hook
        self.next_hook_id += 1
        return self._json(200, {"data": hook, "meta": {}})

    def _update_hook(self, request):
        hook = self._own_hook(request)
        if hook is None:
            return self._json(404, {"status": 404, "title": "Not found"})
        hook.update(json.loads(request.body))
        return self._json(200, {"data": hook, "meta": {}})

    def _delete_hook(self, request):
        injected = self._injected(request)
        if injected:
            return injected
        hook = self._own_hook(request)
        if hook is None:
            return self._json(404, {"status": 404, "title": "Not found"})
        del self.hooks[hook["id"]]
        return self._json(200, {"data": hook, "meta": {}})


# --- A loopback HTTP server that records what it receives -----------------------------------


@dataclass
class Received:
    """One request, as the server read it."""

    method: str
    path: str
    header_items: list[tuple[str, str]]  # as sent, in order
    body: bytes

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.header_items)

    def header(self, name: str) -> str | None:
        """The value of header `name` (any case), which must have been sent at most once."""
        values = [v for k, v in self.header_items if k.lower() == name.lower()]
        assert len(values) <= 1, f"{name} sent {len(values)} times"
        return values[0] if values else None


Route = Callable[[BaseHTTPRequestHandler], None]


def respond(handler: BaseHTTPRequestHandler, status=200, body: bytes | str = b"", headers=None):
    """Answer the request `handler` is serving (a Content-Length unless `headers` has one)."""
    payload = body.encode() if isinstance(body, str) else body
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if "Content-Length" not in (headers or {}):
        handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def reply(status=200, body: bytes | str = b"", headers=None) -> Route:
    """A route that always answers the same."""
    return lambda handler: respond(handler, status, body, headers)


def redirect(status: int, location: str) -> Route:
    return reply(status, headers={"Location": location})


OK = reply(200, "ok", {"Content-Type": "text/plain; charset=utf-8"})


class _Handler(BaseHTTPRequestHandler):
    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.received.append(
            Received(self.command, self.path, list(self.headers.items()), body)
        )
        self.server.routes.get(self.path.split("?")[0], OK)(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format, *args):  # keep test output quiet
        pass


class RecordingServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 (a free port) that records every request in `received` and
    answers by path from `routes` (path without the query → route; OK otherwise). A route may
    wait on `release`, which is set when the server closes."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[Received] = []
        self.routes: dict[str, Route] = {}
        self.release = threading.Event()
        self._thread: threading.Thread | None = None

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn() (a reverse DNS lookup); skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def handle_error(self, request, client_address) -> None:
        pass  # a client that timed out (or was killed) and left is expected in some tests

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> RecordingServer:
        self._thread = threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self.release.set()
        if self._thread is not None:
            self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> RecordingServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


# --- DNS ------------------------------------------------------------------------------------


class FakeResolver:
    """Stands in for `socket.getaddrinfo`: answers IP literals and a fixed table, nothing else.

    A table value is a list of addresses, or a list of such lists for successive lookups (the
    last answer repeats) — the latter simulates DNS rebinding.
    """

    def __init__(self, table: dict[str, list] | None = None) -> None:
        self.table = dict(table or {})
        self.name_lookups: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        host = host.decode() if isinstance(host, bytes) else host
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            self.name_lookups.append(host)
            answers = self.table.get(host)
            if answers is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            if answers and isinstance(answers[0], list):
                index = min(self.name_lookups.count(host), len(answers)) - 1
                answers = answers[index]
            addresses = answers
        results = []
        for address in addresses:
            version = ipaddress.ip_address(address).version
            af = socket.AF_INET6 if version == 6 else socket.AF_INET
            if family not in (0, socket.AF_UNSPEC, af):
                continue
            sockaddr = (address, port, 0, 0) if version == 6 else (address, port)
            results.append((af, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
        if not results:
            raise socket.gaierror(socket.EAI_ADDRFAMILY, "No address of the requested family")
        return results
