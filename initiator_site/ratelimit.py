"""A small fixed-window rate limiter on Django's cache, for the public pages (survey and
unsubscribe). One counter per (scope, client address, window); with a shared cache
(``CACHE_URL``, e.g. Redis) the limit holds across web processes, with the default local-memory
cache per process. When the cache can't be reached, requests go through unlimited (logged):
the limiter guards the pages, it must not take them down."""

from __future__ import annotations

import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` proxies the entry
    of X-Forwarded-For that the outermost of them added (entries further left are whatever the
    client sent, so never trusted)."""
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops > 0 and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if len(entries) >= hops:
            return entries[-hops]
    return request.META.get("REMOTE_ADDR") or "unknown"


def hit(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one request; False when this is over `limit` within the current window."""
    window = int(time.time() // window_seconds)
    counter = f"ratelimit:{scope}:{key}:{window}"
    if cache.add(counter, 1, timeout=window_seconds + 1):
        return True
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.add(counter, 1, timeout=window_seconds + 1)
        return True
    return count <= limit


def limited(scope: str, *, limit, window_seconds: int, refuse):
    """Decorate a view: over the limit per client address, answer ``refuse(request)``.
    `limit` is a number, or a function giving it (read per request, e.g. from settings)."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            most = limit() if callable(limit) else limit
            try:
                allowed = hit(
                    scope, client_address(request), limit=most, window_seconds=window_seconds
                )
            except Exception as exc:  # any cache backend's connection error
                logger.warning(
                    "Rate limit %r not checked: the cache failed (%s)", scope, type(exc).__name__
                )
                allowed = True
            if not allowed:
                return refuse(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
