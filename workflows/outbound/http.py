"""The one way workflow `http_request` steps call the outside world.

Every hop (the first request and each redirect) is checked by `OutboundPolicy.check_url`, which
resolves the host once; the TCP connection is then made to exactly one of those checked
addresses (never a second lookup, so DNS rebinding cannot swap in an internal address), while
the Host header, TLS SNI and certificate verification still use the host name (see `pinning`).

Response bodies are read up to `max_response_bytes` and then *truncated* (not an error): the
remote side has already acted on the request by then, so failing the step would misreport it
(and a retry would repeat it). `OutboundResponse.truncated` says when that happened.
"""

from __future__ import annotations

import codecs
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ReadTimeoutError

from .address_policy import OutboundError, OutboundPolicy, OutboundRefused, ResolvedTarget
from .pinning import _PinnedAdapter
from .pinning import _PinnedPoolManager as _PinnedPoolManager  # re-exported: tests use it here

__all__ = [
    "ALLOWED_METHODS",
    "OutboundError",
    "OutboundRefused",
    "OutboundResponse",
    "send_request",
]

ALLOWED_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
USER_AGENT = "bigcommerce-workflow-initiator/0.1"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK_BYTES = 16 * 1024
_DEFAULT_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "close",  # one request per connection: each hop gets a fresh, pinned one
}
# Header names are RFC 9110 tokens; anything else could split or smuggle headers.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Computed by the HTTP client; letting users set them invites request smuggling or
# virtual-host confusion at the target.
_RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})
# Headers that may follow a redirect to a different origin; everything else (Authorization,
# Cookie, X-Api-Key, ...) may carry a secret meant only for the original host.
_CROSS_ORIGIN_SAFE_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "content-type", "user-agent"}
)

# Indirection so tests can drive the deadline without sleeping.
_clock = time.monotonic


@dataclass(frozen=True)
class OutboundResponse:
    """What a workflow step records about the final (non-redirect) response."""

    status_code: int
    headers: dict[str, str]
    body_excerpt: str  # decoded text of at most max_response_bytes bytes
    elapsed_ms: int  # whole exchange, all hops
    final_url: str  # canonical URL of the last hop (no userinfo or fragment)
    truncated: bool = False  # True if the body was longer than max_response_bytes


def send_request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, object] | None = None,
    body: bytes | str | None = None,
    policy: OutboundPolicy,
    connect_timeout: float = 5,
    read_timeout: float = 15,
    deadline_seconds: float = 30,
    max_response_bytes: int = 256 * 1024,
    max_redirects: int = 3,
) -> OutboundResponse:
    """Send one request, following up to `max_redirects` redirects, each hop policy-checked.

    Raises OutboundRefused (bad method/header, or the policy refused a hop) or OutboundError
    (DNS, connection, TLS, timeout, deadline, too many redirects); messages are user-safe.
    """
    if max_redirects < 0 or max_response_bytes < 0:
        raise ValueError("max_redirects and max_response_bytes must not be negative")
    method = _check_method(method)
    request_headers = _check_headers(headers or {})
    data = body.encode("utf-8") if isinstance(body, str) else body
    started = _clock()
    deadline_at = started + deadline_seconds
    current_url = url
    previous: ResolvedTarget | None = None

    for hop in range(max_redirects + 1):
        target = policy.check_url(current_url)
        if previous is not None and not _same_origin(previous, target):
            request_headers = {
                name: value
                for name, value in request_headers.items()
                if name.lower() in _CROSS_ORIGIN_SAFE_HEADERS
            }
        remaining = deadline_at - _clock()
        if remaining <= 0:
            raise _deadline_error(deadline_seconds)
        result = _perform_hop(
            target,
            method,
            request_headers,
            data,
            timeout=(min(connect_timeout, remaining), min(read_timeout, remaining)),
            max_bytes=max_response_bytes,
            deadline_at=deadline_at,
            deadline_seconds=deadline_seconds,
        )
        if result.location is None:
            return OutboundResponse(
                status_code=result.status_code,
                headers=result.headers,
                body_excerpt=result.text,
                elapsed_ms=int((_clock() - started) * 1000),
                final_url=target.url,
                truncated=result.truncated,
            )
        if hop == max_redirects:
            break
        method, data, request_headers = _redirected_request(
            result.status_code, method, data, request_headers
        )
        previous = target
        current_url = urljoin(target.url, result.location)

    raise OutboundError(
        f"too many redirects: {target.origin} redirected again after {max_redirects} redirects"
    )


# --- request validation -------------------------------------------------------------------


def _check_method(method: str) -> str:
    normalised = method.upper() if isinstance(method, str) else ""
    if normalised not in ALLOWED_METHODS:
        allowed = ", ".join(sorted(ALLOWED_METHODS))
        raise OutboundRefused(f"HTTP method {method!r} is not allowed; use one of {allowed}")
    return normalised


def header_name_problem(name: object) -> str | None:
    """Why `name` may not be sent as a request header, or None. The one rule for header names,
    used when a step is saved and again when it runs."""
    if not isinstance(name, str) or not _TOKEN.match(name):
        return f"'{str(name)[:100]}' is not valid as a header name (use letters, digits and -)"
    if name.lower() in _RESERVED_HEADERS:
        return f"{name} is set automatically and cannot be given"
    return None


def _check_headers(headers: Mapping[str, object]) -> dict[str, str]:
    checked: dict[str, str] = {}
    for name, value in headers.items():
        problem = header_name_problem(name)
        if problem:
            raise OutboundRefused(problem)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise OutboundRefused(f"header {name} must have a text value")
        text = str(value)
        if any(ch in text for ch in "\r\n\0"):
            raise OutboundRefused(f"header {name} contains a line break or NUL character")
        checked[name] = text
    return checked


# --- redirects -----------------------------------------------------------------------------


def _redirected_request(
    status: int, method: str, data: bytes | None, headers: dict[str, str]
) -> tuple[str, bytes | None, dict[str, str]]:
    """Method, body and headers for the next hop (RFC 9110 §15.4, as browsers do it)."""
    if status == 303 or (status in (301, 302) and method == "POST"):
        without_body = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        return "GET", None, without_body
    return method, data, headers  # 307/308 (and 301/302 for non-POST) keep method and body


def _same_origin(old: ResolvedTarget, new: ResolvedTarget) -> bool:
    if (old.scheme, old.host, old.port) == (new.scheme, new.host, new.port):
        return True
    # An upgrade to https on the same host and default ports is the same site, made safer.
    return (old.scheme, old.port, new.scheme, new.port) == ("http", 80, "https", 443) and (
        old.host == new.host
    )


# --- one hop -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _HopResult:
    status_code: int
    headers: dict[str, str]
    location: str | None
    text: str = ""
    truncated: bool = False


def _perform_hop(
    target: ResolvedTarget,
    method: str,
    headers: dict[str, str],
    data: bytes | None,
    *,
    timeout: tuple[float, float],
    max_bytes: int,
    deadline_at: float,
    deadline_seconds: float,
) -> _HopResult:
    prepared = _prepare(method, target.url, headers, data)
    # The adapter is called directly rather than through requests.Session: Session.send reads
    # the whole body of a redirect response (even with allow_redirects=False) and consults
    # proxy/netrc settings from the environment. Here nothing is read unbounded and proxies
    # are never used.
    adapter = _PinnedAdapter(target)
    try:
        try:
            response = adapter.send(prepared, stream=True, timeout=timeout, verify=True, proxies={})
        except requests.RequestException as exc:
            raise _network_error(exc, target, timeout) from exc
        with response:
            response_headers = dict(response.headers)
            location = _location(response)
            if response.status_code in _REDIRECT_STATUSES and location:
                return _HopResult(response.status_code, response_headers, location)
            try:
                raw, truncated = _read_capped(response, max_bytes, deadline_at, deadline_seconds)
            except requests.RequestException as exc:
                raise _network_error(exc, target, timeout) from exc
            return _HopResult(
                response.status_code,
                response_headers,
                None,
                _decode(raw, response.encoding),
                truncated,
            )
    finally:
        adapter.close()


def _location(response: requests.Response) -> str | None:
    """The Location header; http.client decodes headers as latin-1, servers send UTF-8."""
    location = response.headers.get("Location")
    if not location:
        return None
    try:
        return location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return location


def _prepare(
    method: str, url: str, headers: dict[str, str], data: bytes | None
) -> requests.PreparedRequest:
    merged = CaseInsensitiveDict(_DEFAULT_HEADERS)
    merged.update(headers)
    return requests.Request(method, url, headers=merged, data=data).prepare()


def _read_capped(
    response: requests.Response, max_bytes: int, deadline_at: float, deadline_seconds: float
) -> tuple[bytes, bool]:
    """At most `max_bytes` of the (decoded) body, and whether there was more."""
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            return b"".join(chunks)[:max_bytes], True
        # The read timeout bounds each wait; this bounds a server that trickles bytes.
        if _clock() > deadline_at:
            raise _deadline_error(deadline_seconds)
    return b"".join(chunks), False


def _decode(raw: bytes, encoding: str | None) -> str:
    try:
        codec = codecs.lookup(encoding or "utf-8").name
    except LookupError:
        codec = "utf-8"
    # A cut may split a multi-byte character; "replace" keeps the excerpt readable.
    return raw.decode(codec, errors="replace")


def _deadline_error(deadline_seconds: float) -> OutboundError:
    return OutboundError(f"the request took longer than the {deadline_seconds:g} s limit")


def _network_error(
    exc: requests.RequestException, target: ResolvedTarget, timeout: tuple[float, float]
) -> OutboundError:
    """A user-safe message for a requests failure (details stay in __cause__ for logs)."""
    origin = target.origin
    if isinstance(exc, requests.ConnectTimeout):
        return OutboundError(f"connecting to {origin} timed out after {timeout[0]:g} s")
    if isinstance(exc, requests.ReadTimeout) or _wraps(exc, ReadTimeoutError):
        return OutboundError(f"{origin} did not respond within {timeout[1]:g} s")
    if isinstance(exc, requests.exceptions.SSLError):
        return OutboundError(f"secure connection to {origin} failed (TLS certificate or handshake)")
    if isinstance(exc, _MALFORMED_RESPONSE_ERRORS):
        return OutboundError(f"the response from {origin} was malformed or cut off")
    if isinstance(exc, requests.ConnectionError):
        return OutboundError(f"could not connect to {origin}")
    return OutboundError(f"the request to {origin} failed")


_MALFORMED_RESPONSE_ERRORS = (
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def _wraps(exc: BaseException, kind: type[BaseException]) -> bool:
    # requests wraps urllib3 errors raised while streaming in ConnectionError(args[0]).
    return any(isinstance(arg, kind) for arg in exc.args)
