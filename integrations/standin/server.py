"""The BigCommerce stand-in: a loopback-only HTTP server for development and benchmarks.

It serves the store API calls this project makes (``/stores/{hash}/v2/store``, ``v3/carts/{id}``,
``v2/orders/{id}``, ``v2/customers/{id}``, ``v3/customers?id:in=``, ``v3/hooks``) with data from
:mod:`integrations.standin.data`, checks ``X-Auth-Token``, and keeps hooks in memory per store.

Control API (no auth; loopback only), under ``/_standin/``:

- ``GET stats`` -> ``{"calls": {"GET /v2/orders/{id}": n, ...}, "total": n}``;
  ``POST stats/reset``.
- ``POST fire`` ``{"store_hash", "scope", "data"?, "hash"?, "count"?: 1}`` -> POSTs a
  BigCommerce-shaped delivery to every active hook of that store and scope, with the hook's
  headers; answers ``[{"hook_id", "destination", "status", "error"?, "payload"}]``.
- ``GET|POST|DELETE faults``: list / queue ``{"path_contains", "status"?, "times"?: 1,
  "headers"?, "delay_ms"?, "body"?}`` / clear injected failures. ``status`` absent: only delay;
  ``status`` 0: drop the connection without answering.
- ``GET hooks``; ``POST hooks/{id}/deactivate`` (as BigCommerce does to a failing hook).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from . import data as samples

logger = logging.getLogger(__name__)

DEFAULT_STORE_HASH = "standin"
DEFAULT_ACCESS_TOKEN = "standin-token"  # a well-known development value, never a real secret
ERROR_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
MAX_BODY_BYTES = 1024 * 1024
FIRST_HOOK_ID = 18048287  # the id in BigCommerce's example
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
    ("GET", r"/v2/orders/(?P<id>[^/]+)", "GET /v2/orders/{id}", "_order"),
    ("GET", r"/v2/customers/(?P<id>[^/]+)", "GET /v2/customers/{id}", "_customer_v2"),
    ("GET", r"/v3/customers", "GET /v3/customers", "_customers_v3"),
    ("GET", r"/v3/hooks", "GET /v3/hooks", "_list_hooks"),
    ("POST", r"/v3/hooks", "POST /v3/hooks", "_create_hook"),
    ("GET", r"/v3/hooks/(?P<id>[^/]+)", "GET /v3/hooks/{id}", "_get_hook"),
    ("PUT", r"/v3/hooks/(?P<id>[^/]+)", "PUT /v3/hooks/{id}", "_update_hook"),
    ("DELETE", r"/v3/hooks/(?P<id>[^/]+)", "DELETE /v3/hooks/{id}", "_delete_hook"),
]
_sleep = time.sleep  # module-level so that tests can record latency instead of waiting

COMPILED_ROUTES = [(m, re.compile(p), key, name) for m, p, key, name in ROUTES]


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses: the only places the stand-in may listen."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (a network failure)


@dataclass
class Fault:
    path_contains: str
    status: int | None = None
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: int = 0
    body: Any = None


def v3_error(status: int, title: str, errors: dict | None = None) -> dict:
    body = {"status": status, "title": title, "type": ERROR_TYPE}
    if errors is not None:
        body["errors"] = errors
    return body


def v2_not_found() -> list:
    return [{"status": 404, "message": "The requested resource was not found."}]


class StandInError(Exception):
    """A control request the stand-in cannot honour; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class StandIn:
    """A BigCommerce stand-in; ``start()`` serves it from a background thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8765,
        latency_ms: int = 0,
        stores: dict[str, str] | None = None,
    ) -> None:
        if not is_loopback(host):
            raise ValueError(f"the stand-in only listens on loopback, not on {host!r}")
        self.host = host
        self.port = port
        self.latency_ms = latency_ms
        self.stores = dict(stores or {DEFAULT_STORE_HASH: DEFAULT_ACCESS_TOKEN})
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._faults: list[Fault] = []
        self._hooks: dict[int, dict] = {}
        self._next_hook_id = FIRST_HOOK_ID
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

    # --- control (also reachable over HTTP under /_standin/) -------------------------------

    def stats(self) -> dict:
        with self._lock:
            return {"calls": dict(self._calls), "total": sum(self._calls.values())}

    def reset_stats(self) -> None:
        with self._lock:
            self._calls.clear()

    def add_fault(
        self,
        path_contains: str,
        status: int | None = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
        delay_ms: int = 0,
        body: Any = None,
    ) -> Fault:
        """Queue a failure for the next ``times`` store API calls whose path contains the text."""
        fault = Fault(path_contains, status, times, dict(headers or {}), delay_ms, body)
        with self._lock:
            self._faults.append(fault)
        return fault

    def faults(self) -> list[dict]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def hooks(self, store_hash: str | None = None) -> list[dict]:
        with self._lock:
            return [
                dict(h)
                for h in self._hooks.values()
                if store_hash is None or h["store_hash"] == store_hash
            ]

    def deactivate_hook(self, hook_id: int) -> dict:
        with self._lock:
            hook = self._hooks.get(hook_id)
            if hook is None:
                raise StandInError(404, f"no hook {hook_id}")
            hook.update(is_active=False, updated_at=int(time.time()))
            return dict(hook)

    def fire(
        self,
        store_hash: str,
        scope: str,
        data: dict | None = None,
        event_hash: str | None = None,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[dict]:
        """Deliver ``count`` events to every active hook of the store and scope, as BigCommerce."""
        if store_hash not in self.stores:
            raise StandInError(404, f"unknown store {store_hash!r}")
        with self._lock:
            targets = [
                dict(h)
                for h in self._hooks.values()
                if h["store_hash"] == store_hash and h["scope"] == scope and h["is_active"]
            ]
        results = []
        with requests.Session() as session:
            session.trust_env = False  # straight to the destination, never through a proxy
            for _ in range(count):
                payload = samples.delivery_payload(store_hash, scope, data, event_hash)
                results.extend(_deliver(session, hook, payload, timeout) for hook in targets)
        return results

    # --- store API --------------------------------------------------------------------------

    def handle_store(
        self, method: str, path: str, query: str, token: str | None, body: Any
    ) -> Reply:
        match = STORE_PATH.fullmatch(path)
        if match is None:
            return Reply(404, v3_error(404, "Not Found"))
        store_hash, api_path = match["store"], match["api"]
        route, key, params = self._route(method, api_path)
        with self._lock:
            self._calls[key] += 1
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
        if route is None:
            return Reply(404, v3_error(404, "The resource at that URL is not found."))
        return getattr(self, route)(store_hash, params, parse_qs(query), body)

    def _route(self, method: str, api_path: str) -> tuple[str | None, str, dict]:
        for route_method, pattern, key, name in COMPILED_ROUTES:
            match = pattern.fullmatch(api_path)
            if match and route_method == method:
                return name, key, match.groupdict()
        return None, f"{method} {api_path}", {}

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path_contains in path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _store_info(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        name = f"BigCommerce Stand-in ({store_hash})"
        return Reply(200, samples.store_information(store_hash, name))

    def _cart(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        cart = samples.cart(params["id"])
        if cart is None:
            return Reply(404, v3_error(404, "Cart not found"))
        return Reply(200, {"data": cart, "meta": {}})

    def _order(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        order = samples.order(_int(params["id"]), store_hash)
        return Reply(200, order) if order else Reply(404, v2_not_found())

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

    def _get_hook(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        hook = self._find_hook(store_hash, params["id"])
        return Reply(200, {"data": dict(hook), "meta": {}}) if hook else _hook_not_found(params)

    def _update_hook(self, store_hash: str, params: dict, query: dict, body: Any) -> Reply:
        errors = _hook_errors(body, partial=True)
        if errors:
            return Reply(422, v3_error(422, "JSON data is missing or invalid", errors))
        with self._lock:
            hook = self._find_hook(store_hash, params["id"])
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
            hook = self._find_hook(store_hash, params["id"])
            if hook is None:
                return _hook_not_found(params)
            del self._hooks[hook["id"]]
            return Reply(200, {"data": dict(hook), "meta": {}})

    def _find_hook(self, store_hash: str, raw_id: str) -> dict | None:
        hook = self._hooks.get(_int(raw_id))
        return hook if hook and hook["store_hash"] == store_hash else None

    def _duplicate(
        self, store_hash: str, scope: str, destination: str, exclude: int | None = None
    ) -> bool:
        # BigCommerce allows one hook per store + client + scope + destination.
        return any(
            h["store_hash"] == store_hash
            and h["scope"] == scope
            and h["destination"] == destination
            and h["id"] != exclude
            for h in self._hooks.values()
        )

    # --- control over HTTP ------------------------------------------------------------------

    def handle_control(self, method: str, path: str, body: Any) -> Reply:
        try:
            return self._control(method, path.removeprefix("/_standin").rstrip("/"), body)
        except StandInError as exc:
            return Reply(exc.status, {"error": str(exc)})

    def _control(self, method: str, path: str, body: Any) -> Reply:
        if (method, path) == ("GET", "/stats"):
            return Reply(200, self.stats())
        if (method, path) == ("POST", "/stats/reset"):
            self.reset_stats()
            return Reply(200, self.stats())
        if (method, path) == ("POST", "/fire"):
            return Reply(200, self.fire(**_fire_arguments(body)))
        if path == "/faults" and method in ("GET", "POST", "DELETE"):
            if method == "POST":
                self.add_fault(**_fault_arguments(body))
            elif method == "DELETE":
                self.clear_faults()
            return Reply(200, self.faults())
        if (method, path) == ("GET", "/hooks"):
            return Reply(200, self.hooks())
        match = re.fullmatch(r"/hooks/(\d+)/deactivate", path)
        if method == "POST" and match:
            return Reply(200, self.deactivate_hook(int(match[1])))
        raise StandInError(404, f"no control endpoint {method} /_standin{path}")


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


def _fire_arguments(body: Any) -> dict:
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("store_hash"), str)
        or not isinstance(body.get("scope"), str)
    ):
        raise StandInError(400, "fire needs {'store_hash': str, 'scope': str}")
    count = body.get("count", 1)
    if not isinstance(count, int) or not 1 <= count <= 100_000:
        raise StandInError(400, "count must be an integer from 1 to 100000")
    if body.get("data") is not None and not isinstance(body["data"], dict):
        raise StandInError(400, "data must be an object")
    if body.get("hash") is not None and not isinstance(body["hash"], str):
        raise StandInError(400, "hash must be a string")
    return {
        "store_hash": body["store_hash"],
        "scope": body["scope"],
        "data": body.get("data"),
        "event_hash": body.get("hash"),
        "count": count,
    }


def _fault_arguments(body: Any) -> dict:
    if not isinstance(body, dict) or not isinstance(body.get("path_contains", ""), str):
        raise StandInError(400, "a fault needs {'path_contains': str}")
    status, times, delay = body.get("status"), body.get("times", 1), body.get("delay_ms", 0)
    if status is not None and (not isinstance(status, int) or not 0 <= status <= 599):
        raise StandInError(400, "status must be an HTTP status (0 drops the connection)")
    if not isinstance(times, int) or times < 1 or not isinstance(delay, int) or delay < 0:
        raise StandInError(400, "times must be >= 1 and delay_ms >= 0")
    headers = body.get("headers") or {}
    if not isinstance(headers, dict):
        raise StandInError(400, "headers must be an object")
    return {
        "path_contains": body.get("path_contains", ""),
        "status": status,
        "times": times,
        "headers": {str(k): str(v) for k, v in headers.items()},
        "delay_ms": delay,
        "body": body.get("body"),
    }


def _deliver(session: requests.Session, hook: dict, payload: dict, timeout: float) -> dict:
    """POST one delivery to one hook; the outcome, never an exception."""
    result: dict[str, Any] = {
        "hook_id": hook["id"],
        "destination": hook["destination"],
        "status": None,
        "payload": payload,
    }
    host = urlsplit(hook["destination"]).hostname or ""
    if not is_loopback(host):
        # A development tool must not post sample data to the internet.
        result["error"] = "not delivered: the stand-in only delivers to loopback destinations"
        return result
    headers = {**(hook.get("headers") or {}), "Content-Type": "application/json"}
    try:
        response = session.post(
            hook["destination"],
            data=json.dumps(payload),
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
        )
        result["status"] = response.status_code
    except requests.RequestException as exc:
        result["error"] = f"{type(exc).__name__}: delivery failed"
    return result


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
            token = self.headers.get("X-Auth-Token")
            reply = standin.handle_store(method, url.path, url.query, token, body)
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
            return json.loads(raw)
        except ValueError as exc:
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
