"""The stand-in's in-memory state: stores, hooks, injected faults and call counts, one lock.

:class:`StandInState` is the base of :class:`~integrations.standin.server.StandIn`; its public
methods are the control operations that need no HTTP (also reachable under ``/_standin/``).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from integrations.standin.data import hook as sample_hook
from integrations.standin.history import StoreHistory
from integrations.standin.quota import RateLimiter

FIRST_HOOK_ID = 18048287  # the id in BigCommerce's example


@dataclass
class Fault:
    path_contains: str
    status: int | None = None
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: int = 0
    body: Any = None


class StandInError(Exception):
    """A control request the stand-in cannot honour; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class StandInState:
    """The stores (hash -> access token) and, guarded by ``_lock``, hooks, faults and calls."""

    def __init__(self, stores: dict[str, str]) -> None:
        self.stores = stores
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._store_calls: Counter[str] = Counter()  # calls per store hash (a per-store quota)
        self._service_seconds = 0.0  # time spent answering store API calls, latency included
        self._faults: list[Fault] = []
        self._hooks: dict[int, dict] = {}
        self._next_hook_id = FIRST_HOOK_ID
        # What happened to a store's data since the event (a run that waited sees it):
        # orders whose status changed ((store, id) -> (status_id, status)), carts gone.
        self._order_statuses: dict[tuple[str, int], tuple[int, str]] = {}
        self._gone_carts: set[tuple[str, str]] = set()
        # Domains BigCommerce stopped delivering to, per store (GET /v3/hooks/admin).
        self._blocked: dict[str, list[dict]] = {}
        self.rate_limit = RateLimiter()  # its own lock
        self.history = StoreHistory()  # its own lock: the orders events were fired for

    # --- control (also reachable over HTTP under /_standin/) -------------------------------

    def stats(self) -> dict:
        with self._lock:
            return {
                "calls": dict(self._calls),
                "total": sum(self._calls.values()),
                "service_seconds": round(self._service_seconds, 6),
            }

    def store_calls(self) -> dict[str, int]:
        """Store API calls per store hash since the last reset."""
        with self._lock:
            return dict(self._store_calls)

    def reset_stats(self) -> None:
        with self._lock:
            self._calls.clear()
            self._store_calls.clear()
            self._service_seconds = 0.0

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

    def set_order_status(self, store_hash: str, order_id: int, status_id: int, status: str) -> dict:
        """The order now has this status (e.g. 4 "Refunded", 5 "Cancelled", 6 "Declined")."""
        with self._lock:
            self._order_statuses[store_hash, order_id] = (status_id, status)
        return {"order_id": order_id, "status_id": status_id, "status": status}

    def order_status(self, store_hash: str, order_id: int) -> tuple[int, str] | None:
        with self._lock:
            return self._order_statuses.get((store_hash, order_id))

    def convert_cart(self, store_hash: str, cart_id: str) -> dict:
        """The cart became an order (or was deleted): from now on it is not found."""
        with self._lock:
            self._gone_carts.add((store_hash, cart_id.lower()))
        return {"cart_id": cart_id, "gone": True}

    def cart_gone(self, store_hash: str, cart_id: str) -> bool:
        with self._lock:
            return (store_hash, cart_id.lower()) in self._gone_carts

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

    def add_hook(self, store_hash: str, scope: str, destination: str, headers: dict) -> dict:
        """A hook registered as if by `POST /v3/hooks`, without the call (seeding many)."""
        with self._lock:
            hook_id, self._next_hook_id = self._next_hook_id, self._next_hook_id + 1
            hook = sample_hook(
                hook_id, store_hash, scope, destination, headers, True, int(time.time())
            )
            self._hooks[hook_id] = hook
            return dict(hook)

    def deactivate_hook(self, hook_id: int) -> dict:
        with self._lock:
            hook = self._hooks.get(hook_id)
            if hook is None:
                raise StandInError(404, f"no hook {hook_id}")
            hook.update(is_active=False, updated_at=int(time.time()))
            return dict(hook)

    def block_domain(
        self, store_hash: str, destination: str, time_left: int = 3600, reason: str = ""
    ) -> list[dict]:
        """BigCommerce blocks `destination` (a domain, or a URL on it) for `time_left` s, as
        it does after its deliveries there keep failing; reported by GET /v3/hooks/admin."""
        entry = {
            "destination": destination,
            "time_left": time_left,
            "reasons": [
                {
                    "failure_description": reason or "Request timed out",
                    "count": 1,
                    "timestamp": int(time.time()),
                }
            ],
        }
        with self._lock:
            self._blocked.setdefault(store_hash, []).append(entry)
            return [dict(e) for e in self._blocked[store_hash]]

    def unblock_domains(self) -> None:
        with self._lock:
            self._blocked.clear()

    def blocked(self, store_hash: str) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self._blocked.get(store_hash, [])]

    # --- for the store API and deliveries ---------------------------------------------------

    def _count_call(self, key: str, store_hash: str = "") -> None:
        with self._lock:
            self._calls[key] += 1
            self._store_calls[store_hash] += 1

    def record_service_time(self, seconds: float) -> None:
        """Time spent answering one store API call, latency included (see `stats`)."""
        with self._lock:
            self._service_seconds += seconds

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path_contains in path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _active_hooks(self, store_hash: str, scope: str) -> list[dict]:
        """Copies of the store's active hooks for the scope: where an event is delivered."""
        with self._lock:
            return [
                dict(h)
                for h in self._hooks.values()
                if h["store_hash"] == store_hash and h["scope"] == scope and h["is_active"]
            ]

    def _find_hook(self, store_hash: str, hook_id: int) -> dict | None:
        hook = self._hooks.get(hook_id)
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
