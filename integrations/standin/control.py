"""The stand-in's control API, under ``/_standin/`` (no auth; loopback only):

- ``GET stats`` -> ``{"calls": {"GET /v2/orders/{id}": n, ...}, "total": n}``;
  ``POST stats/reset``.
- ``POST fire`` ``{"store_hash", "scope", "data"?, "hash"?, "count"?: 1}`` -> POSTs a
  BigCommerce-shaped delivery to every active hook of that store and scope, with the hook's
  headers (any scope: ``store/order/created``, ``store/order/statusUpdated`` — the order then
  has the new status —, ``store/order/refund/created``, ``store/customer/created``, ...; the
  order it is about is recorded as modified, delivered or not: see `history`);
  answers ``[{"hook_id", "destination", "status", "error"?, "payload"}]``.
- ``GET|POST|DELETE faults``: list / queue ``{"path_contains", "status"?, "times"?: 1,
  "headers"?, "delay_ms"?, "body"?}`` / clear injected failures. ``status`` absent: only delay;
  ``status`` 0: drop the connection without answering.
- ``GET hooks``; ``POST hooks/{id}/deactivate`` (as BigCommerce does to a failing hook).
- ``POST blocked-domains`` ``{"store_hash", "destination", "time_left"?, "reason"?}``: the
  domain is blocked for that store (``GET /v3/hooks/admin`` reports it); ``DELETE
  blocked-domains`` lifts every block.
- ``GET rate-limit``: the quota, the window and each store's served and refused requests per
  window; ``POST rate-limit`` ``{"quota", "window_ms"}`` sets them (and starts counting
  afresh); ``POST rate-limit/spend`` ``{"store_hash", "count"}``: the store's other apps
  send that many requests now.
- ``POST orders/{id}/status`` ``{"store_hash", "status_id", "status"}``: the order's status
  changes (refunded, cancelled, ...); ``POST carts/{id}/convert`` ``{"store_hash"}``: the cart
  becomes an order and is gone from ``v3/carts`` (404) — what a run that waited then sees.

Also :func:`is_loopback`, the check that keeps the stand-in, its control clients and its
deliveries on loopback.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any
from urllib.parse import urlsplit

import requests

from integrations.merge_data import ORDER_STATUSES

from . import data as samples
from .state import StandInError, StandInState

STATUS_UPDATED = "store/order/statusUpdated"


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses: the only places the stand-in may listen."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class StandInControl(StandInState):
    """:class:`StandInState` plus delivering events and answering ``/_standin/`` requests."""

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
        targets = self._active_hooks(store_hash, scope)
        results = []
        with requests.Session() as session:
            session.trust_env = False  # straight to the destination, never through a proxy
            for _ in range(count):
                payload = samples.delivery_payload(store_hash, scope, data, event_hash)
                self._status_changed(store_hash, payload)
                self.history.record(store_hash, scope, payload["data"])
                results.extend(_deliver(session, hook, payload, timeout) for hook in targets)
        return results

    def _status_changed(self, store_hash: str, payload: dict) -> None:
        """An order's status change is announced after it happened: the order then has it."""
        status = payload["data"].get("status")
        if payload["scope"] != STATUS_UPDATED or not isinstance(status, dict):
            return
        new, order_id = status.get("new_status_id"), payload["data"].get("id")
        if isinstance(new, int) and isinstance(order_id, int):
            self.set_order_status(store_hash, order_id, new, ORDER_STATUSES.get(new, ""))

    def _control(self, method: str, path: str, body: Any) -> Any:
        """The answer to a control request (``path`` without ``/_standin``), sent with 200."""
        if (method, path) == ("GET", "/stats"):
            return self.stats()
        if (method, path) == ("POST", "/stats/reset"):
            self.reset_stats()
            return self.stats()
        if (method, path) == ("POST", "/fire"):
            return self.fire(**_fire_arguments(body))
        if path == "/faults" and method in ("GET", "POST", "DELETE"):
            if method == "POST":
                self.add_fault(**_fault_arguments(body))
            elif method == "DELETE":
                self.clear_faults()
            return self.faults()
        if path.startswith("/rate-limit"):
            return self._rate_limit_control(method, path, body)
        if (method, path) == ("GET", "/hooks"):
            return self.hooks()
        match = re.fullmatch(r"/hooks/(\d+)/deactivate", path)
        if method == "POST" and match:
            return self.deactivate_hook(int(match[1]))
        if (method, path) == ("POST", "/blocked-domains"):
            return self.block_domain(**_block_arguments(body))
        if (method, path) == ("DELETE", "/blocked-domains"):
            self.unblock_domains()
            return []
        match = re.fullmatch(r"/orders/(\d+)/status", path)
        if method == "POST" and match:
            store_hash, status_id, status = _order_status_arguments(body)
            return self.set_order_status(store_hash, int(match[1]), status_id, status)
        match = re.fullmatch(r"/carts/([0-9a-fA-F-]{36})/convert", path)
        if method == "POST" and match:
            return self.convert_cart(_store_hash_argument(body), match[1])
        raise StandInError(404, f"no control endpoint {method} /_standin{path}")

    def _rate_limit_control(self, method: str, path: str, body: Any) -> dict:
        limiter = self.rate_limit
        try:
            if (method, path) == ("GET", "/rate-limit"):
                return limiter.describe()
            if (method, path) == ("POST", "/rate-limit") and isinstance(body, dict):
                return limiter.configure(body.get("quota"), body.get("window_ms"))
            if (method, path) == ("POST", "/rate-limit/spend"):
                return limiter.spend(_store_hash_argument(body), body.get("count"))
        except ValueError as exc:
            raise StandInError(400, str(exc)) from None
        raise StandInError(400, "rate-limit takes GET, or POST {'quota', 'window_ms'}")


def _store_hash_argument(body: Any) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("store_hash"), str):
        raise StandInError(400, "needs {'store_hash': str}")
    return body["store_hash"]


def _block_arguments(body: Any) -> dict:
    store_hash = _store_hash_argument(body)
    destination, time_left = body.get("destination"), body.get("time_left", 3600)
    reason = body.get("reason", "")
    if not isinstance(destination, str) or not 0 < len(destination) <= 500:
        raise StandInError(400, "destination must be a domain or URL (at most 500 characters)")
    if not isinstance(time_left, int) or isinstance(time_left, bool) or time_left < 0:
        raise StandInError(400, "time_left must be a number of seconds")
    if not isinstance(reason, str) or len(reason) > 500:
        raise StandInError(400, "reason must be text (at most 500 characters)")
    return {
        "store_hash": store_hash,
        "destination": destination,
        "time_left": time_left,
        "reason": reason,
    }


def _order_status_arguments(body: Any) -> tuple[str, int, str]:
    store_hash = _store_hash_argument(body)
    status_id, status = body.get("status_id"), body.get("status", "")
    if not isinstance(status_id, int) or isinstance(status_id, bool) or not 0 <= status_id <= 99:
        raise StandInError(400, "status_id must be an integer from 0 to 99")
    if not isinstance(status, str) or len(status) > 100:
        raise StandInError(400, "status must be text (at most 100 characters)")
    return store_hash, status_id, status


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
