"""The one module that talks to BigCommerce's REST API.

Read-only toward the store: the only writes are to our own webhooks (``/v3/hooks``). Every call
sends ``X-Auth-Token`` and JSON headers, has connect/read timeouts, is retried with exponential
backoff on network errors and 5xx, and honours BigCommerce's rate-limit headers on 429 (read
with bounds by :mod:`.headers`). A client has a time budget (:mod:`.budget`): no request, sleep
or slow reply runs past it. Given the shared API budget (:mod:`.quota`), it takes a slot before
every request and reports every reply's rate-limit headers, so that all workers and nodes
together keep to their share of the store's quota. Failures are raised as the typed errors of
:mod:`integrations.bigcommerce.errors`.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Protocol
from urllib.parse import quote

import requests
import urllib3
from django.core.exceptions import ImproperlyConfigured

from initiator_site import json_input

from . import budget, quota
from .errors import (
    AuthenticationFailed,
    BadResponse,
    BigCommerceError,
    InvalidCredentials,
    NotFound,
    OverBudget,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from .headers import RateLimit, rate_limit
from .quota import Grant

logger = logging.getLogger(__name__)

USER_AGENT = "bigcommerce-workflow-initiator/0.1"
DEFAULT_BASE_URL = "https://api.bigcommerce.com"
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_JITTER_SECONDS = 0.25
MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # far beyond any reply the app asks for
READ_CHUNK_BYTES = 64 * 1024
MAX_HOOK_PAGES = 100  # a safety net should a server keep announcing more pages
PRODUCTS_PER_PAGE = 250  # the most v2 lists return at once
ORDERS_PER_PAGE = 250  # v2's largest page
MAX_PRODUCT_PAGES = 40  # 10,000 line items: a safety net against a server that never ends
HOOK_FIELDS = frozenset({"scope", "destination", "is_active", "headers"})  # webhook_Put schema
STORE_HASH_RE = re.compile(r"[a-z0-9]{1,64}")
TOKEN_RE = re.compile(r"[\x21-\x7e]{1,512}")  # printable ASCII: it is sent as a header value

# The OAuth scope to grant, by the first path segment after /v2 or /v3 (for 403 messages).
SCOPE_HINTS = {
    "store": "Information & Settings (read-only)",
    "orders": "Orders (read-only)",
    "customers": "Customers (read-only)",
    "carts": "Carts (read-only)",
    "hooks": "the default scope of a store-level API account",
}

NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def _setting(name: str, default: Any) -> Any:
    """A Django setting, or ``default`` when Django is not configured (e.g. a bare script)."""
    from django.conf import settings

    try:
        return getattr(settings, name, default)
    except ImproperlyConfigured:
        return default


def retry_delay(
    error: BigCommerceError,
    attempt: int,
    *,
    max_retries: int,
    max_wait: float,
    jitter: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before retrying after ``error`` on ``attempt`` (0-based); None: give up.

    A 429 waits what BigCommerce asked for, unless that is longer than ``max_wait`` (then the
    caller, a queue task, reschedules instead of holding a worker). Other retryable errors back
    off exponentially, with jitter so that many workers do not retry in lockstep.
    """
    if not error.retryable or attempt >= max_retries:
        return None
    if isinstance(error, RateLimited) and error.retry_after is not None:
        return error.retry_after if error.retry_after <= max_wait else None
    return min(max_wait, BACKOFF_BASE_SECONDS * 2**attempt + jitter() * BACKOFF_JITTER_SECONDS)


def rate_limit_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds a 429 asks us to wait: the longer of the reset window and ``X-Retry-After``
    (or ``Retry-After``), finite and within the retry horizon (see :mod:`.headers`)."""
    return rate_limit(headers).wait


class ApiBudget(Protocol):
    """The shared API budget (:class:`.quota.SharedBudget`), as the client uses it."""

    def acquire(self, store_hash: str, count: int = 1) -> Grant: ...

    def observe(self, store_hash: str, limits: RateLimit, *, rejected: bool = False) -> None: ...


_kept_alive = threading.local()


def kept_alive_session(base_url: str | None = None) -> requests.Session:
    """This thread's keep-alive session to BigCommerce's API (`base_url`, by default the
    setting), for the task workers' fetches: connections (TLS handshakes included) are reused
    from one delivery to the next instead of opened for each.

    It accepts no cookies, so nothing from one store's responses ever rides along on another's
    requests; the token goes in each request's headers, never the session. The environment's
    proxy and CA bundle settings (`HTTPS_PROXY`, `NO_PROXY`, `REQUESTS_CA_BUNDLE`, ...) are read
    once, for that host, when the session opens: requests would otherwise read them, and
    ~/.netrc, again on every call (about 0.5 ms each)."""
    base_url = (base_url or _setting("BIGCOMMERCE_API_BASE_URL", DEFAULT_BASE_URL)).rstrip("/")
    sessions = _kept_alive.__dict__.setdefault("sessions", {})
    session = sessions.get(base_url)
    if session is None:
        session = requests.Session()
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        found = session.merge_environment_settings(base_url, {}, None, None, None)
        session.proxies.update(found["proxies"])
        session.verify, session.cert = found["verify"], found["cert"]
        session.trust_env = False
        sessions[base_url] = session
    return session


class BigCommerceClient:
    """A client for one store. Not thread-safe: use one per task or request."""

    def __init__(
        self,
        store_hash: str,
        access_token: str,
        *,
        base_url: str | None = None,
        session: requests.Session | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_retries: int | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        max_wait_seconds: float | None = None,
        budget_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        api_budget: ApiBudget | None = None,
    ) -> None:
        """Timeouts, retries and the longest sleep before a retry default to the settings
        (:func:`.budget.client_limits`); ``budget_seconds``, the most this client may spend in
        all, to a delivery task's BigCommerce share (:func:`.budget.delivery_task`). The budget
        starts with the first request. ``api_budget``: the store's shared request budget, or
        None to send without one (scripts, unit tests)."""
        if not isinstance(store_hash, str) or not STORE_HASH_RE.fullmatch(store_hash):
            raise InvalidCredentials(
                "The store hash is not valid — check the Store Hash: it is the short lowercase "
                "code after /stores/ in your API path (e.g. 'abc123')."
            )
        if not isinstance(access_token, str) or not TOKEN_RE.fullmatch(access_token):
            raise InvalidCredentials(
                "The access token is empty or contains spaces or unusual characters — "
                "paste the Access Token of your API account again."
            )
        self.store_hash = store_hash
        self._access_token = access_token
        self.base_url = base_url or _setting("BIGCOMMERCE_API_BASE_URL", DEFAULT_BASE_URL)
        self.base_url = self.base_url.rstrip("/")
        self._store_url = f"{self.base_url}/stores/{quote(store_hash, safe='')}"
        self._session = session if session is not None else requests.Session()
        self._owns_session = session is None
        limits = budget.client_limits()
        self._timeout = (
            float(connect_timeout or limits.connect_timeout),
            float(read_timeout or limits.read_timeout),
        )
        if max_retries is None:
            max_retries = limits.max_retries
        self._max_retries = max(0, int(max_retries))
        self._sleep = sleep
        self._max_wait = float(limits.max_wait if max_wait_seconds is None else max_wait_seconds)
        if budget_seconds is None:
            budget_seconds = budget.delivery_task().bigcommerce_seconds
        self._budget = max(0.0, float(budget_seconds))
        self._clock = clock
        self._api_budget = api_budget
        self._reserved = 0  # slots of the budget taken ahead (`reserve`), until:
        self._reserved_until = 0.0
        self._deadline: float | None = None
        self._calls = 0

    def __repr__(self) -> str:
        return f"<BigCommerceClient store_hash={self.store_hash!r} base_url={self.base_url!r}>"

    def __enter__(self) -> BigCommerceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session if this client created it."""
        if self._owns_session:
            self._session.close()

    @property
    def calls(self) -> int:
        """HTTP requests actually sent, retries and pages included."""
        return self._calls

    def time_left(self) -> float:
        """Seconds left of this client's budget (all of it before the first request)."""
        if self._deadline is None:
            return self._budget
        return self._deadline - self._clock()

    # --- store data (read-only) -------------------------------------------------------------

    def get_store(self) -> dict:
        """``GET /v2/store``: the store's information; also how credentials are verified."""
        return self._object(self._call("GET", "/v2/store", "the store information"), "store")

    def get_cart(self, cart_id: str) -> dict:
        """``GET /v3/carts/{id}``: the cart (``data`` of the reply)."""
        if not isinstance(cart_id, str) or not cart_id:
            raise ValueError("cart_id must be a non-empty string")
        what = f"cart {cart_id}"
        body = self._call("GET", f"/v3/carts/{quote(cart_id, safe='')}", what)
        return self._object(self._object(body, what).get("data"), what)

    def get_order(self, order_id: int | str) -> dict:
        """``GET /v2/orders/{id}``: the order."""
        order_id = _positive_int(order_id, "order_id")
        what = f"order {order_id}"
        return self._object(self._call("GET", f"/v2/orders/{order_id}", what), what)

    def get_customer_v2(self, customer_id: int | str) -> dict:
        """``GET /v2/customers/{id}``: the customer, v2 shape (used by the cart events)."""
        customer_id = _positive_int(customer_id, "customer_id")
        what = f"customer {customer_id}"
        return self._object(self._call("GET", f"/v2/customers/{customer_id}", what), what)

    def get_customer_v3(self, customer_id: int | str) -> dict:
        """``GET /v3/customers?id:in={id}``: the customer, v3 shape (used by shipments)."""
        customer_id = _positive_int(customer_id, "customer_id")
        what = f"customer {customer_id}"
        # The colon stays literal, as in BigCommerce's docs (it is legal in a query string).
        body = self._object(self._call("GET", f"/v3/customers?id:in={customer_id}", what), what)
        data = body.get("data")
        if not isinstance(data, list):
            raise BadResponse(f"BigCommerce sent an unexpected reply for {what} (no data list).")
        if not data:
            raise NotFound(f"BigCommerce has no {what}; it may have been deleted.", status_code=200)
        return self._object(data[0], what)

    def get_shipment(self, order_id: int | str, shipment_id: int | str) -> dict:
        """``GET /v2/orders/{order_id}/shipments/{shipment_id}``: one shipment of an order."""
        order_id = _positive_int(order_id, "order_id")
        shipment_id = _positive_int(shipment_id, "shipment_id")
        what = f"shipment {shipment_id} of order {order_id}"
        path = f"/v2/orders/{order_id}/shipments/{shipment_id}"
        return self._object(self._call("GET", path, what), what)

    def get_order_products(self, order_id: int | str) -> list[dict]:
        """``GET /v2/orders/{id}/products``: the order's line items, all pages."""
        order_id = _positive_int(order_id, "order_id")
        return self._v2_pages(
            f"/v2/orders/{order_id}/products", f"the products of order {order_id}"
        )

    def get_order_refund(self, order_id: int | str, refund_id: int | str) -> dict:
        """``GET /v3/orders/{id}/payment_actions/refunds``: the order's refund ``refund_id``
        (the list holds every refund of the order; NotFound when none has that id)."""
        order_id = _positive_int(order_id, "order_id")
        refund_id = _positive_int(refund_id, "refund_id")
        what = f"refund {refund_id} of order {order_id}"
        path = f"/v3/orders/{order_id}/payment_actions/refunds"
        data = self._object(self._call("GET", path, what), what).get("data")
        if not isinstance(data, list):
            raise BadResponse(f"BigCommerce sent an unexpected reply for {what} (no data list).")
        for item in data:
            if isinstance(item, dict) and item.get("id") == refund_id:
                return item
        raise NotFound(f"BigCommerce has no {what}; it may have been deleted.", status_code=200)

    def list_orders_modified(
        self, since: str, until: str, *, after_id: int = 0, limit: int = ORDERS_PER_PAGE
    ) -> list[dict]:
        """``GET /v2/orders?min_date_modified=&max_date_modified=&min_id=&sort=id:asc``: one
        page of the orders modified between `since` and `until` (RFC-2822 or ISO-8601 text),
        with ids above `after_id`, lowest first — a bookmark that holds while orders change
        (page numbers would shift). An empty list when there are no more."""
        what = "the orders modified in the gap"
        params = {
            "min_date_modified": since,
            "max_date_modified": until,
            "min_id": after_id + 1,
            "sort": "id:asc",
            "limit": max(1, min(int(limit), ORDERS_PER_PAGE)),
        }
        body = self._call("GET", "/v2/orders", what, params=params)
        if body is None:  # 204: none
            return []
        if not isinstance(body, list):
            raise BadResponse(f"BigCommerce sent an unexpected reply for {what} (no list).")
        return [self._object(order, what) for order in body]

    def count_orders_modified(self, since: str, until: str) -> int:
        """``GET /v2/orders/count`` with the same dates: how many orders changed in the gap."""
        what = "the count of orders modified in the gap"
        params = {"min_date_modified": since, "max_date_modified": until}
        body = self._object(self._call("GET", "/v2/orders/count", what, params=params), what)
        count = body.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise BadResponse(f"BigCommerce sent an unexpected reply for {what} (no count).")
        return count

    def list_order_shipments(self, order_id: int | str) -> list[dict]:
        """``GET /v2/orders/{id}/shipments``: every shipment of the order, all pages."""
        order_id = _positive_int(order_id, "order_id")
        return self._v2_pages(
            f"/v2/orders/{order_id}/shipments", f"the shipments of order {order_id}"
        )

    def _v2_pages(self, path: str, what: str) -> list[dict]:
        """Every page of a v2 list at ``limit=250`` (an empty reply or a short page is the
        last; at most MAX_PRODUCT_PAGES)."""
        items: list[dict] = []
        for page in range(1, MAX_PRODUCT_PAGES + 1):
            params = {"limit": PRODUCTS_PER_PAGE, "page": page}
            body = self._call("GET", path, what, params=params)
            if body is None:  # 204: no (more) items
                break
            if not isinstance(body, list):
                raise BadResponse(f"BigCommerce sent an unexpected reply for {what} (no list).")
            items.extend(self._object(item, what) for item in body)
            if len(body) < PRODUCTS_PER_PAGE:
                break
        return items

    # --- our webhooks (the only writes) -----------------------------------------------------

    def list_hooks(self) -> list[dict]:
        """``GET /v3/hooks``: every hook of this API account on the store, all pages."""
        hooks: list[dict] = []
        for page in range(1, MAX_HOOK_PAGES + 1):
            params = {"page": page} if page > 1 else None
            body = self._call("GET", "/v3/hooks", "the webhook list", params=params)
            if body is None:  # 204: no hooks at all
                break
            data = self._object(body, "the webhook list").get("data")
            if not isinstance(data, list):
                raise BadResponse("BigCommerce sent an unexpected webhook list (no data list).")
            hooks.extend(data)
            pagination = (body.get("meta") or {}).get("pagination") or {}
            total_pages = pagination.get("total_pages")
            if not isinstance(total_pages, int) or page >= total_pages or not data:
                break
        return hooks

    def get_hooks_admin(self) -> dict:
        """``GET /v3/hooks/admin``: this API account's notification emails, its hooks with
        their status (``hooks_list``) and the domains BigCommerce has blocked
        (``blocked_domains``, each with its ``destination``, ``time_left`` and ``reasons``)."""
        what = "the webhooks admin information"
        data = self._object(self._call("GET", "/v3/hooks/admin", what), what).get("data")
        data = self._object(data, what)
        for key in ("hooks_list", "blocked_domains"):
            if data.get(key) is not None and not isinstance(data[key], list):
                raise BadResponse(f"BigCommerce sent an unexpected {key} in {what}.")
        return data

    def create_hook(
        self,
        scope: str,
        destination: str,
        headers: Mapping[str, str] | None,
        is_active: bool = True,
    ) -> dict:
        """``POST /v3/hooks`` (body per ``webhook_Base``); returns the created hook."""
        body = {
            "scope": scope,
            "destination": destination,
            "is_active": bool(is_active),
            "headers": dict(headers) if headers is not None else None,
        }
        return self._hook(self._call("POST", "/v3/hooks", "a new webhook", body=body), "new")

    def update_hook(self, hook_id: int | str, **fields: Any) -> dict:
        """``PUT /v3/hooks/{id}`` with any of scope, destination, is_active, headers."""
        hook_id = _positive_int(hook_id, "hook_id")
        unknown = set(fields) - HOOK_FIELDS
        if unknown or not fields:
            raise TypeError(f"update_hook takes one or more of {sorted(HOOK_FIELDS)}")
        what = f"webhook {hook_id}"
        return self._hook(self._call("PUT", f"/v3/hooks/{hook_id}", what, body=fields), what)

    def delete_hook(self, hook_id: int | str) -> None:
        """``DELETE /v3/hooks/{id}``; a hook that is already gone is fine."""
        hook_id = _positive_int(hook_id, "hook_id")
        try:
            self._call("DELETE", f"/v3/hooks/{hook_id}", f"webhook {hook_id}")
        except NotFound:
            logger.info("BigCommerce webhook %s was already deleted", hook_id)

    # --- plumbing ---------------------------------------------------------------------------

    def _hook(self, body: Any, what: str) -> dict:
        return self._object(self._object(body, f"webhook {what}").get("data"), f"webhook {what}")

    def _object(self, value: Any, what: str) -> dict:
        """``value`` as a JSON object; an empty reply (v2 answers 204) means not found."""
        if value is None:
            raise NotFound(f"BigCommerce has no {what} (empty reply).", status_code=204)
        if not isinstance(value, dict):
            raise BadResponse(f"BigCommerce sent an unexpected reply for {what} (not an object).")
        return value

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """Send one logical request, retrying per :func:`retry_delay`; the parsed JSON or None."""
        headers = {
            "X-Auth-Token": self._access_token,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self._deadline is None:
            self._deadline = self._clock() + self._budget
        attempt = 0
        while True:
            try:
                return self._send(method, path, what, headers, params, body)
            except BigCommerceError as error:
                delay = retry_delay(
                    error, attempt, max_retries=self._max_retries, max_wait=self._max_wait
                )
                if delay is None:
                    raise
                left = self.time_left()
                if delay >= left:
                    # Sleeping would outlast the budget (a queue task's timeout is behind it):
                    # give up now; the error is retryable, so the caller reschedules.
                    logger.warning(
                        "BigCommerce %s %s failed (%s); not retried: a %.2f s wait, %.2f s left",
                        method,
                        path,
                        error.message,
                        delay,
                        max(left, 0.0),
                    )
                    raise
                attempt += 1
                logger.warning(
                    "BigCommerce %s %s failed (%s); retry %d of %d in %.2f s",
                    method,
                    path,
                    error.message,
                    attempt,
                    self._max_retries,
                    delay,
                )
                self._sleep(delay)

    def _send(
        self,
        method: str,
        path: str,
        what: str,
        headers: dict[str, str],
        params: Mapping[str, Any] | None,
        body: Any,
    ) -> Any:
        left = self.time_left()
        if left <= 0:
            raise Unavailable(
                f"BigCommerce took longer than this task may wait ({self._budget:g} s) "
                f"for {what} — try again later."
            )
        self._take_slot(what)
        self._calls += 1
        try:
            response = self._session.request(
                method,
                self._store_url + path,
                params=params,
                json=body,
                headers=headers,
                # Never past the budget; the reply is read below against the same deadline.
                timeout=(min(self._timeout[0], left), min(self._timeout[1], left)),
                # A redirect would carry X-Auth-Token to wherever it points: never follow one.
                allow_redirects=False,
                stream=True,
            )
            try:
                content = self._read(response, what)
            finally:
                response.close()
        except BigCommerceError:
            raise
        except requests.Timeout as exc:
            raise Unavailable(
                f"BigCommerce did not answer in time for {what} — try again later."
            ) from exc
        except NETWORK_ERRORS as exc:
            raise Unavailable(
                f"Could not connect to BigCommerce for {what} — check the network "
                "or BIGCOMMERCE_API_BASE_URL."
            ) from exc
        except requests.RequestException as exc:
            raise BadResponse(
                f"Could not send the request for {what} — check BIGCOMMERCE_API_BASE_URL."
            ) from exc
        logger.debug("BigCommerce %s %s -> %s", method, path, response.status_code)
        self._report(response)
        if response.status_code >= 300:
            raise self._error_for(response, content, path, what)
        if response.status_code == 204 or not content:
            return None
        return self._json(content, what)

    def reserve(self, count: int, what: str = "these calls") -> None:
        """Take `count` slots of the store's budget at once, for calls that belong together
        (a delivery's fetch): either all of them get their slots now, or none is sent and
        OverBudget says when to come back — so a budget running out halfway wastes no call.
        Slots not used by the window's end are given up."""
        if self._api_budget is None:
            return
        grant = self._api_budget.acquire(self.store_hash, count)
        self._check(grant, what)
        # While the quota is unknown the ledger counted one slot (for the first call) and the
        # others take their own; slots are used before the window's last moments (EDGE_MS).
        self._reserved = count if grant.limited else 1
        self._reserved_until = self._clock() + (grant.left_ms - quota.EDGE_MS) / 1000

    def _take_slot(self, what: str) -> None:
        """A slot of the store's shared budget, or OverBudget saying when the window resets."""
        if self._api_budget is None:
            return
        if self._reserved and self._clock() < self._reserved_until:
            self._reserved -= 1
            return
        self._reserved = 0
        self._check(self._api_budget.acquire(self.store_hash), what)

    def _check(self, grant: Grant, what: str) -> None:
        if not grant.granted:
            raise OverBudget(
                f"This app's share of the store's API quota is used up for now (for {what}); "
                f"it resets in {grant.seconds:.1f} s.",
                retry_after=grant.seconds,
            )

    def _report(self, response: requests.Response) -> None:
        if self._api_budget is not None:
            limits = rate_limit(response.headers)
            self._api_budget.observe(self.store_hash, limits, rejected=response.status_code == 429)

    def _read(self, response: requests.Response, what: str) -> bytes:
        """The reply's body, within MAX_RESPONSE_BYTES and the budget. The read timeout bounds
        each wait for data; this bounds a server that trickles it (each read returns what has
        arrived, so the deadline is checked between them)."""
        chunks, size = [], 0
        try:
            while chunk := response.raw.read1(READ_CHUNK_BYTES, decode_content=True):
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise BadResponse(
                        f"BigCommerce sent a reply over {MAX_RESPONSE_BYTES} bytes for {what}."
                    )
                chunks.append(chunk)
                if self.time_left() <= 0:
                    raise Unavailable(
                        f"BigCommerce did not answer in time for {what} — try again later."
                    )
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise Unavailable(
                f"BigCommerce did not answer in time for {what} — try again later."
            ) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise Unavailable(
                f"BigCommerce's reply for {what} was cut off — try again later."
            ) from exc
        return b"".join(chunks)

    def _json(self, content: bytes, what: str) -> Any:
        """The reply as JSON, bounded in depth like every JSON the app reads."""
        try:
            return json_input.loads(content, what="The reply")
        except json_input.JSONInputError as exc:
            if exc.kind == json_input.DEPTH:
                raise BadResponse(
                    f"BigCommerce sent an unusable reply for {what}: {exc.message}"
                ) from None
            raise BadResponse(
                f"BigCommerce sent a reply that is not JSON for {what} — check "
                "that BIGCOMMERCE_API_BASE_URL points at the API."
            ) from None

    def _error_for(
        self, response: requests.Response, content: bytes, path: str, what: str
    ) -> BigCommerceError:
        status = response.status_code
        if status == 401:
            return AuthenticationFailed(
                "BigCommerce rejected the access token (HTTP 401) — check the Access Token: "
                "it may be mistyped, revoked, or belong to another store.",
                status_code=status,
            )
        if status == 403:
            scope = SCOPE_HINTS.get(path.split("/")[2].split("?")[0], "the needed OAuth scope")
            return PermissionDenied(
                f"BigCommerce refused access to {what} (HTTP 403) — the API account is missing "
                f"OAuth scopes (grant {scope}) or the store hash is wrong; check the API "
                "account's scopes and the Store Hash.",
                status_code=status,
            )
        if status == 404 and path == "/v2/store":
            return NotFound(
                f"BigCommerce found no store '{self.store_hash}' (HTTP 404) — check the Store "
                "Hash: it is the code after /stores/ in your API path.",
                status_code=status,
            )
        if status == 404:
            return NotFound(
                f"BigCommerce has no {what} (HTTP 404); it may have been deleted.",
                status_code=status,
            )
        if status == 429:
            limits = rate_limit(response.headers)
            wait = limits.wait
            when = f"in {wait:.1f} s" if wait is not None else "later"
            logger.info(
                "BigCommerce rate limit for %s: %s of %s requests left, reset in %s s",
                path.split("?")[0],
                limits.requests_left,
                limits.requests_quota,
                limits.reset_after,
            )
            return RateLimited(
                f"BigCommerce's rate limit was reached; try again {when}.",
                status_code=status,
                retry_after=wait,
            )
        if status >= 500:
            return Unavailable(
                f"BigCommerce is unavailable (HTTP {status}) for {what} — try again later.",
                status_code=status,
            )
        if status < 400:
            return BadResponse(
                f"BigCommerce answered {what} with a redirect (HTTP {status}) — "
                "check BIGCOMMERCE_API_BASE_URL.",
                status_code=status,
            )
        return BadResponse(
            f"BigCommerce refused the request for {what} (HTTP {status}): {self._detail(content)}",
            status_code=status,
        )

    def _detail(self, content: bytes) -> str:
        """BigCommerce's own short explanation (v3 ``title``/``errors``, v2 ``message``)."""
        try:
            body = self._json(content, "")
        except BadResponse:
            return "no details"
        if isinstance(body, list) and body and isinstance(body[0], dict):
            body = body[0]  # v2 errors are a list of {status, message}
        if not isinstance(body, dict):
            return "no details"
        parts = [str(body.get("title") or body.get("message") or "")]
        if isinstance(body.get("errors"), dict) and body["errors"]:
            parts.append("; ".join(f"{k}: {v}" for k, v in body["errors"].items()))
        text = " — ".join(p for p in parts if p) or "no details"
        # Never let the token through, even if a server were to echo it back.
        return text.replace(self._access_token, "[redacted]")[:300]


def _positive_int(value: int | str, name: str) -> int:
    """BigCommerce ids arrive as numbers or numeric strings; anything else is a caller bug."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number <= 0:
        raise ValueError(f"{name} must be a positive integer")
    return number
