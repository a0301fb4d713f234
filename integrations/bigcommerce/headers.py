"""BigCommerce's response headers, read with bounds: the one place a header becomes a number.

Headers are input like any body: a rate-limit reset of ``1e20`` ms, ``inf``, ``nan``, a
negative count or a 5,000-digit number must never reach ``time.sleep``, ``timedelta`` or a
database column as they are. Every value read here is finite and clamped: waits to
``[0, retry horizon]`` (``BIGCOMMERCE_RETRY_HORIZON_SECONDS``), counts to ``[0, MAX_COUNT]``.
A value that is not a number at all (garbage, empty, ``nan``, over ``MAX_HEADER_CHARS``) reads
as absent (``None``), as if BigCommerce had not sent it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from django.core.exceptions import ImproperlyConfigured

RESET_MS = "X-Rate-Limit-Time-Reset-Ms"
WINDOW_MS = "X-Rate-Limit-Time-Window-Ms"
REQUESTS_LEFT = "X-Rate-Limit-Requests-Left"
REQUESTS_QUOTA = "X-Rate-Limit-Requests-Quota"
X_RETRY_AFTER = "X-Retry-After"
RETRY_AFTER = "Retry-After"  # seconds, or an HTTP date (RFC 9110)

DEFAULT_HORIZON_SECONDS = 3600.0
MAX_HEADER_CHARS = 64  # longer values are not read at all
MAX_COUNT = 10**9  # requests in a window: BigCommerce's quotas are in the thousands

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INFINITE = {"inf": math.inf, "infinity": math.inf}


def horizon() -> float:
    """The longest wait a header may ask for, in seconds (``BIGCOMMERCE_RETRY_HORIZON_SECONDS``);
    a longer one reads as this. The setting itself is bounded to [1 s, 7 days]."""
    from django.conf import settings

    try:
        configured = getattr(settings, "BIGCOMMERCE_RETRY_HORIZON_SECONDS", None)
    except ImproperlyConfigured:  # Django not configured (a bare script)
        configured = None
    try:
        value = float(configured) if configured is not None else DEFAULT_HORIZON_SECONDS
    except (TypeError, ValueError):
        value = DEFAULT_HORIZON_SECONDS
    if math.isnan(value):
        value = DEFAULT_HORIZON_SECONDS
    return min(max(value, 1.0), 7 * 86400.0)


def number(value: object) -> float | None:
    """A header value as a float (``inf`` allowed, never ``nan``); None if it is not a number."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_HEADER_CHARS:
        return None
    sign = -1.0 if text[0] == "-" else 1.0
    word = text.lstrip("+-").lower()
    if word in _INFINITE and len(text) - len(word) <= 1:
        return sign * _INFINITE[word]
    if not _NUMBER_RE.fullmatch(text):
        return None
    return float(text)  # may be inf ("1e999"); never nan: the pattern has no such spelling


def clamp_seconds(seconds: float | None, *, limit: float | None = None) -> float | None:
    """``seconds`` within ``[0, limit]`` (the retry horizon by default); None stays None, and so
    does ``nan``, which is no wait at all."""
    if seconds is None:
        return None
    try:
        seconds = float(seconds)
    except (TypeError, ValueError, OverflowError):
        return None
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), horizon() if limit is None else limit)


def seconds(value: object, *, unit: float = 1.0, limit: float | None = None) -> float | None:
    """A duration header in seconds (``unit=1000`` for a ``-Ms`` header), clamped."""
    found = number(value)
    return None if found is None else clamp_seconds(found / unit, limit=limit)


def count(value: object, *, limit: int = MAX_COUNT) -> int | None:
    """A count header (requests left, quota) as an int in ``[0, limit]``."""
    found = number(value)
    if found is None:
        return None
    return int(min(max(found, 0.0), float(limit)))


def retry_after(value: object, *, now: datetime | None = None) -> float | None:
    """``Retry-After``: delay-seconds, or an HTTP date (the seconds until then), clamped."""
    delay = seconds(value)
    if delay is not None or not isinstance(value, str) or len(value) > MAX_HEADER_CHARS:
        return delay
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return clamp_seconds((when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class RateLimit:
    """BigCommerce's rate-limit headers of one response, every one bounded (None: absent)."""

    reset_after: float | None = None  # X-Rate-Limit-Time-Reset-Ms, in seconds
    retry_after: float | None = None  # the longer of X-Retry-After and Retry-After, seconds
    requests_left: int | None = None
    requests_quota: int | None = None
    window: float | None = None  # X-Rate-Limit-Time-Window-Ms, in seconds

    @property
    def wait(self) -> float | None:
        """What a 429 asks for: the longer of the reset window and the retry-after headers."""
        waits = [w for w in (self.reset_after, self.retry_after) if w is not None]
        return max(waits) if waits else None


def rate_limit(headers: Mapping[str, str], *, now: datetime | None = None) -> RateLimit:
    """Read every rate-limit header of a response (names case-insensitive)."""
    found = _lower(headers)
    retry_afters = [
        w
        for w in (
            seconds(found.get(X_RETRY_AFTER.lower())),
            retry_after(found.get(RETRY_AFTER.lower()), now=now),
        )
        if w is not None
    ]
    return RateLimit(
        reset_after=seconds(found.get(RESET_MS.lower()), unit=1000.0),
        retry_after=max(retry_afters) if retry_afters else None,
        requests_left=count(found.get(REQUESTS_LEFT.lower())),
        requests_quota=count(found.get(REQUESTS_QUOTA.lower())),
        window=seconds(found.get(WINDOW_MS.lower()), unit=1000.0),
    )


_NAMES = {n.lower() for n in (RESET_MS, WINDOW_MS, REQUESTS_LEFT, REQUESTS_QUOTA)} | {
    X_RETRY_AFTER.lower(),
    RETRY_AFTER.lower(),
}


def _lower(headers: Mapping[str, str]) -> dict[str, object]:
    """Only the headers read here, by lower-case name (a plain dict or requests' headers)."""
    return {str(k).lower(): v for k, v in headers.items() if str(k).lower() in _NAMES}
