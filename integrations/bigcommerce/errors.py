"""Typed errors raised by the BigCommerce client.

Every message says what to fix and never contains the access token: these messages end up in
forms, API responses, logs and stored delivery failures.
"""

from __future__ import annotations

from .headers import clamp_seconds


class BigCommerceError(Exception):
    """Base class. ``retryable`` tells a queue task whether trying again later can help."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        # Finite and within the retry horizon whoever raised it: it becomes a timedelta later.
        self.retry_after = clamp_seconds(retry_after)
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class InvalidCredentials(BigCommerceError, ValueError):
    """The store hash or access token is malformed; raised before any request is sent."""


class AuthenticationFailed(BigCommerceError):
    """HTTP 401: the access token was rejected."""


class PermissionDenied(BigCommerceError):
    """HTTP 403: the API account lacks an OAuth scope, or the token belongs to another store."""


class NotFound(BigCommerceError):
    """HTTP 404 (or 204 / empty list for a single resource): the store or resource is absent."""


class RateLimited(BigCommerceError):
    """HTTP 429 whose wait is longer than the client may sleep (or than its time budget has
    left); ``retry_after`` is in seconds, within the retry horizon."""

    retryable = True


class OverBudget(RateLimited):
    """Our own share of the store's API quota is spent for this window (raised before any
    request is sent, see :mod:`.quota`); ``retry_after`` is when the window resets. Waiting for
    it is not a failure: a delivery is rescheduled without counting an attempt."""


class Unavailable(BigCommerceError):
    """HTTP 5xx, a network error or a timeout: BigCommerce could not be reached just now."""

    retryable = True


class BadResponse(BigCommerceError):
    """A reply we cannot use: not JSON, an unexpected shape, a redirect or another 4xx."""
