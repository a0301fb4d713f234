"""The BigCommerce stand-in: a loopback-only HTTP server for development and benchmarks.

It serves the store API calls this project makes (``/stores/{hash}/v2/store``, ``v3/carts/{id}``,
``v2/orders/{id}``, its ``products`` (paged) and ``shipments`` (one, or all), the orders
modified between two dates (``v2/orders?min_date_modified=...``, and their ``count``),
``v2/customers/{id}``, ``v3/customers?id:in=``, ``v3/hooks``) with data from
:mod:`integrations.standin.data`, checks ``X-Auth-Token``, keeps hooks in memory per store, and
enforces a quota per store and window with BigCommerce's rate-limit headers on every reply
(:mod:`integrations.standin.quota`).

The control API under ``/_standin/`` (no auth; loopback only) is in
:mod:`integrations.standin.control`; the in-memory state behind both is in
:mod:`integrations.standin.state`.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from initiator_site import json_input

from . import data as samples
from . import history
from .control import StandInControl, is_loopback
from .quota import DEFAULT_QUOTA, DEFAULT_WINDOW_MS
from .state import Fault, StandInError

logger = logging.getLogger(__name__)

DEFAULT_STORE_HASH = "standin"
DEFAULT_ACCESS_TOKEN = "standin-token"  # a well-known development value, never a real secret
ERROR_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
MAX_BODY_BYTES = 1024 * 1024
HOOKS_PER_PAGE = 50
RATE_LIMIT_HEADERS = {  # what BigCommerce sends with a 429; a fault's own headers override them
    "X-Rate-Limit-Time-Window-Ms": "30000",
    "X-Rate-Limit-Time-Reset-Ms": "1000",
    "X-Rate-Limit-Requests-Quota": "150",
    "X-Rate-Limit-Requests-Left": "0",
}
STORE_PATH = re.compile(r"/stores/(?P<store>[^/]+)(?P<api>/v[23]/.*)")
# (method, path pattern, stats key, StandIn method name)
ROUTES = [
    ("GET", r"/v2/store", "GET /v2/store", "_store_info"),
    ("GET", r"/v3/carts/(?P<id>[^/]+)", "GET /v3/carts/{id}", "_cart"),
    ("GET", r"/v2/orders", "GET /v2/orders", "_orders"),
    ("GET", r"/v2/orders/count", "GET /v2/orders/count", "_orders_count"),
    ("GET", r"/v2/orders/(?P<id>[^/]+)", "GET /v2/orders/{id}", "_order"),
    (
        "GET",
        r"/v2/orders/(?P<id>[^/]+)/shipments",
        "GET /v2/orders/{id}/shipments",
        "_shipments",
    ),
    (
        "GET",
        r"/v2/orders/(?P<id>[^/]+)/shipments/(?P<shipment>[^/]+)",
        "GET /v2/orders/{id}/shipments/{id}",
        "_shipment",
    ),
    ("GET", r"/v2/orders/(?P<id>[^/]+)/products", "GET /v2/orders/{id}/products", "_products"),
    (
        "GET",
        r"/v3/orders/(?P<id>[^/]+)/payment_actions/refunds",
        "GET /v3/orders/{id}/payment_actions/refunds",
        "_refunds",
    ),
    ("GET", r"/v2/customers/(?P<id>[^/]+)", "GET /v2/customers/{id}", "_customer_v2"),
    ("GET", r"/v3/customers", "GET /v3/customers", "_customers_v3"),
    ("GET", r"/v3/hooks", "GET /v3/hooks", "_list_hooks"),
    ("POST", r"/v3/hooks", "POST /v3/hooks", "_create_hook"),
    ("GET", r"/v3/hooks/admin", "GET /v3/hooks/admin", "_hooks_admin"),
    ("GET", r"/v3/hooks/(?P<id>[^/]+)", "GET /v3/hooks/{id}", "_get_hook"),
    ("PUT", r"/v3/hooks/(?P<id>[^/]+)", "PUT /v3/hooks/{id}", "_update_hook"),
    ("DELETE", r"/v3/hooks/(?P<id>[^/]+)", "DELETE /v3/hooks/{id}", "_delete_hook"),
]
_sleep = time.sleep  # module-level so that tests can record latency instead of waiting

COMPILED_ROUTES = [(m, re.compile(p), key, name) for m, p, key, name in ROUTES]


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (a network failure)


def v3_error(status: int, title: str, errors: dict | None = None) -> dict:
    body = {"status": status, "title": title, "type": ERROR_TYPE}
    if errors is not None:
        body["errors"] = errors
    return body


def v2_not_found() -> list:
    return [{"status": 404, "message": "The requested resource was not found."}]


class StandIn(StandInControl):
    """A BigCommerce stand-in; ``start()`` serves it from a background thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8765,
        latency_ms: int = 0,
        stores: dict[str, str] | None = None,
        quota: int = DEFAULT_QUOTA,
        window_ms: int = DEFAULT_WINDOW_MS,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"the stand-in only listens on loopback, not on {host!r}")
        self.host = host
        self.port = port
        self.latency_ms = latency_ms
        super().__init__(dict(stores or {DEFAULT_STORE_HASH: DEFAULT_ACCESS_TOKEN}))
        self.rate_limit.configure(quota, window_ms)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> StandIn:
        """Listen (port 0 picks a free port) and serve from a daemon thread."""
        server_class = _IPv6Server if ":" in self.host else ThreadingHTTPServer
        self._server = server_class((self.host.strip("[]"), self.port), _Handler)
        self._server.standin = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so that stop() returns promptly
            name=f"bigcommerce-standin-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> StandIn:
        return self if self._server is not None else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """What BIGCOMMERCE_API_BASE_URL should be set to."""
        host = f"[{self.host.strip('[]')}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # --- store API --------------------------------------------------------------------------

    def handle_store(
        self, method: str, path: str, query: str, token: str | None, body: Any
    ) -> Reply:
        match = STORE_PATH.fullmatch(path)
        if match is None:
            return Reply(404, v3_error(404, "Not Found"))
        store_hash, api_path = match["store"], match["api"]
        route, key, params = self._route(method, api_path)
        self._count_call(key, store_hash)
        if self.latency_ms:
            _sleep(self.latency_ms / 1000)
        fault = self._take_fault(f"{path}?{query}" if query else path)
        if fault is not None:
            _sleep(fault.delay_ms / 1000)
            if fault.status == 0:
                return Reply(0, drop=True)
            if fault.status is not None:
                return _fault_reply(fault)
        expected = self.stores.get(store_hash)
        if expected is None:
            return Reply(404, v3_error(404, "Store not found"))
        given = (token or "").encode("latin-1", "replace")
        if not hmac.compare_digest(given, expected.encode("latin-1", "replace")):
            return Reply(
                401,
                v3_error(
                    401,
                    "Unauthorized - the v3 Auth client ID or token in "
                    "the request are not a valid combination for this store.",
                ),
            )
        allowed, limit_headers = self.rate_limit.take(store_hash)
        if not allowed:
            return Reply(429, v3_error(429, "Too Many Requests"), limit_headers)
        if route is None:
            reply = Reply(404, v3_error(404, "The resource at that URL is not found."))
        else:
            reply = getattr(self, route)(store_hash, params, parse_qs(query), body)
        reply.headers = {**limit_headers, **reply.headers}
        return reply

    def _route(self, method: str, api_path: str) -> tuple[str | None, str, dict]:
        for route_method, pattern, key, name in COMPILED_ROUTES:
            match = pattern.fullmatch(api_path)
            if match and route_method == method:
                return name, key, match.groupdict()
        return None, f"{method} {api_path}", {}

    def _store_info(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        name = f"BigCommerce Stand-in ({store_hash})"
        return Reply(200, samples.store_information(store_hash, name))

    def _cart(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        cart = None if self.cart_gone(store_hash, params["id"]) else samples.cart(params["id"])
        if cart is None:
            return Reply(404, v3_error(404, "Cart not found"))
        return Reply(200, {"data": cart, "meta": {}})

    def _order(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        order = self._order_now(store_hash, _int(params["id"]))
        return Reply(200, order) if order else Reply(404, v2_not_found())

    def _order_now(self, store_hash: str, order_id: int) -> dict | None:
        """The order with what happened to it: its status, its converted cart, its dates."""
        order = samples.order(order_id, store_hash)
        changed = self.order_status(store_hash, order_id) if order else None
        if changed is not None:
            order["status_id"], order["status"] = changed
        recorded = self.history.order(store_hash, order_id) if order else None
        if recorded is not None:
            order["date_created"] = history.rfc2822(recorded["date_created"])
            order["date_modified"] = history.rfc2822(recorded["date_modified"])
            if recorded["cart_id"]:
                order["cart_id"] = recorded["cart_id"]
        return order

    def _modified_between(self, store_hash: str, query: dict) -> tuple[list[int], Reply | None]:
        """The ids of the orders modified within the query's dates (both needed here)."""
        dates = [
            history.parse_date((query.get(name) or [""])[0])
            for name in ("min_date_modified", "max_date_modified")
        ]
        if None in dates:
            message = "min_date_modified and max_date_modified must be RFC-2822 or ISO-8601 dates"
            return [], Reply(400, [{"status": 400, "message": message}])
        after = max(_int((query.get("min_id") or ["1"])[0]) - 1, 0)
        return self.history.modified(store_hash, dates[0], dates[1], after), None

    def _orders(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        ids, refused = self._modified_between(store_hash, query)
        if refused is not None:
            return refused
        if (query.get("sort") or ["id:asc"])[0] not in ("id", "id:asc"):
            return Reply(400, [{"status": 400, "message": "the stand-in sorts by id:asc only"}])
        limit = min(max(_int((query.get("limit") or ["50"])[0]), 1), 250)
        page = max(_int((query.get("page") or ["1"])[0]), 1)
        chosen = ids[(page - 1) * limit : page * limit]
        orders = [self._order_now(store_hash, order_id) for order_id in chosen]
        return Reply(200, orders) if orders else Reply(204)

    def _orders_count(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        ids, refused = self._modified_between(store_hash, query)
        return refused or Reply(200, {"statuses": [], "count": len(ids)})

    def _shipments(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        order_id = _int(params["id"])
        recorded = self.history.order(store_hash, order_id)
        if samples.order(order_id, store_hash) is None:
            return Reply(404, v2_not_found())
        found = []
        for shipment_id, created in sorted((recorded or {}).get("shipments", {}).items()):
            shipment = samples.shipment(order_id, shipment_id, store_hash)
            shipment["date_created"] = history.rfc2822(created)
            found.append(shipment)
        return Reply(200, found) if found else Reply(204)

    def _shipment(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        found = samples.shipment(_int(params["id"]), _int(params["shipment"]), store_hash)
        return Reply(200, found) if found else Reply(404, v2_not_found())

    def _products(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        products = samples.order_products(_int(params["id"]))
        if products is None:
            return Reply(404, v2_not_found())
        limit = min(max(_int((query.get("limit") or ["50"])[0]), 1), 250)
        page = max(_int((query.get("page") or ["1"])[0]), 1)
        chunk = products[(page - 1) * limit : page * limit]
        return Reply(200, chunk) if chunk else Reply(204)

    def _refunds(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        refunds = samples.order_refunds(_int(params["id"]))
        return Reply(200, refunds) if refunds else Reply(404, v3_error(404, "Order not found"))

    def _customer_v2(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        customer = samples.customer_v2(_int(params["id"]), store_hash)
        return Reply(200, customer) if customer else Reply(404, v2_not_found())

    def _customers_v3(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        # Only the ``id:in`` filter is served; without it the list is empty.
        ids = [_int(i) for v in query.get("id:in", []) for i in v.split(",")]
        found = [c for c in (samples.customer_v3(i) for i in ids) if c]
        meta = {"pagination": samples.pagination(len(found), len(found), 50, 1)}
        return Reply(200, {"data": found, "meta": meta})

    # --- hooks ------------------------------------------------------------------------------

    def _list_hooks(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        def first(name: str) -> str | None:
            return query.get(name, [None])[0]

        hooks = [
            h
            for h in self.hooks(store_hash)
            if first("scope") in (None, h["scope"])
            and first("destination") in (None, h["destination"])
            and first("is_active") in (None, str(h["is_active"]).lower())
        ]
        page = max(1, _int(first("page") or "1"))
        limit = max(1, min(250, _int(first("limit") or str(HOOKS_PER_PAGE))))
        items = hooks[(page - 1) * limit : page * limit]
        meta = {"pagination": samples.pagination(len(hooks), len(items), limit, page)}
        return Reply(200, {"data": items, "meta": meta})

    def _create_hook(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        errors = _hook_errors(body, partial=False)
        if errors:
            return Reply(422, v3_error(422, "JSON data is missing or invalid", errors))
        now = int(time.time())
        with self._lock:
            if self._duplicate(store_hash, body["scope"], body["destination"]):
                return _duplicate_reply()
            hook_id, self._next_hook_id = self._next_hook_id, self._next_hook_id + 1
            hook = samples.hook(
                hook_id,
                store_hash,
                body["scope"],
                body["destination"],
                body.get("headers"),
                body.get("is_active", True),
                now,
            )
            self._hooks[hook_id] = hook
            return Reply(200, {"data": dict(hook), "meta": {}})

    def _hooks_admin(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        """The hooks with BigCommerce's status words, and the domains blocked for the store."""
        active = query.get("is_active", [None])[0]
        hooks = [
            {**h, "status": "active" if h["is_active"] else "deactivated"}
            for h in self.hooks(store_hash)
            if active in (None, str(h["is_active"]).lower())
        ]
        data = {"emails": [], "hooks_list": hooks, "blocked_domains": self.blocked(store_hash)}
        meta = {"pagination": samples.pagination(len(hooks), len(hooks), max(len(hooks), 1), 1)}
        return Reply(200, {"data": data, "meta": meta})

    def _get_hook(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        hook = self._find_hook(store_hash, _int(params["id"]))
        return Reply(200, {"data": dict(hook), "meta": {}}) if hook else _hook_not_found(params)

    def _update_hook(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        errors = _hook_errors(body, partial=True)
        if errors:
            return Reply(422, v3_error(422, "JSON data is missing or invalid", errors))
        with self._lock:
            hook = self._find_hook(store_hash, _int(params["id"]))
            if hook is None:
                return _hook_not_found(params)
            scope = body.get("scope", hook["scope"])
            destination = body.get("destination", hook["destination"])
            if self._duplicate(store_hash, scope, destination, exclude=hook["id"]):
                return _duplicate_reply()
            hook.update(
                {k: body[k] for k in ("scope", "destination", "is_active", "headers") if k in body},
                updated_at=int(time.time()),
            )
            return Reply(200, {"data": dict(hook), "meta": {}})

    def _delete_hook(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        with self._lock:
            hook = self._find_hook(store_hash, _int(params["id"]))
            if hook is None:
                return _hook_not_found(params)
            del self._hooks[hook["id"]]
            return Reply(200, {"data": dict(hook), "meta": {}})

    # --- control over HTTP ------------------------------------------------------------------

    def handle_control(self, method: str, path: str, body: Any) -> Reply:
        """Answer a ``/_standin/`` request (the endpoints are in :mod:`.control`)."""
        try:
            answer = self._control(method, path.removeprefix("/_standin").rstrip("/"), body)
        except StandInError as exc:
            return Reply(exc.status, {"error": str(exc)})
        return Reply(200, answer)


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


def _hook_errors(body: Any, *, partial: bool) -> dict:
    """Validation errors of a hook body (webhook_Base / webhook_Put), BigCommerce-style."""
    if not isinstance(body, dict):
        return {"body": "error.expected.jsobject"}
    errors = {}
    for name in ("scope", "destination"):
        if name not in body:
            if not partial:
                errors[name] = "error.path.missing."
        elif not isinstance(body[name], str) or not body[name]:
            errors[name] = "error.expected.jsstring"
    destination = body.get("destination")
    if isinstance(destination, str) and not destination.startswith(("http://", "https://")):
        errors["destination"] = "error.url.invalid"
    if "is_active" in body and not isinstance(body["is_active"], bool):
        errors["is_active"] = "error.expected.jsboolean"
    headers = body.get("headers")
    if headers is not None and not (
        isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())
    ):
        errors["headers"] = "error.expected.jsobject"
    if partial and not errors and not set(body) & {"scope", "destination", "is_active", "headers"}:
        errors["body"] = "at least one field is required"
    return errors


def _duplicate_reply() -> Reply:
    return Reply(
        422,
        v3_error(
            422,
            "A webhook with the same scope and destination already exists for this store.",
            {"destination": "duplicate"},
        ),
    )


def _hook_not_found(params: dict) -> Reply:
    return Reply(404, v3_error(404, f"Webhook with id [{params['id']}] not found"))


def _fault_reply(fault: Fault) -> Reply:
    status = int(fault.status or 500)
    headers = dict(RATE_LIMIT_HEADERS) if status == 429 else {}
    headers.update(fault.headers)
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Injected failure"
    body = fault.body if fault.body is not None else v3_error(status, title)
    return Reply(status, body, headers)


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    """Translates HTTP to :class:`StandIn` calls; keeps connections alive like a real API."""

    protocol_version = "HTTP/1.1"
    server_version = "BigCommerceStandIn/0.1"
    timeout = 60  # idle keep-alive connections end eventually
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        standin: StandIn = self.server.standin  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        try:
            body = self._read_json()
        except StandInError as exc:
            self._send(Reply(exc.status, v3_error(exc.status, str(exc))))
            return
        if url.path == "/_standin" or url.path.startswith("/_standin/"):
            if not is_loopback(self.client_address[0]):
                reply = Reply(403, {"error": "the control API is for loopback clients only"})
            else:
                reply = standin.handle_control(method, url.path, body)
        else:
            started = time.monotonic()
            token = self.headers.get("X-Auth-Token")
            reply = standin.handle_store(method, url.path, url.query, token, body)
            self._send(reply)
            # How long BigCommerce "took": the bench's I/O bound is built on it.
            standin.record_service_time(time.monotonic() - started)
            return
        self._send(reply)

    def _read_json(self) -> Any:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError as exc:
            self.close_connection = True
            raise StandInError(400, "Invalid Content-Length") from exc
        if length > MAX_BODY_BYTES or length < 0:
            self.close_connection = True
            raise StandInError(413, "Request body too large")
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json_input.loads(raw)
        except json_input.JSONInputError as exc:
            raise StandInError(400, "Input is invalid.") from exc

    def _send(self, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            return
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)
