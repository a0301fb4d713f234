"""Invitation tokens: 256 random bits each, the customer's only key to their response page.

Only the SHA-256 of a token is looked up (``Invitation.token_hash``, unique); a token that is
not one we could have made is refused before any query.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from django.conf import settings
from django.urls import reverse

TOKEN_BYTES = 32
# token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def well_formed(token: str) -> bool:
    return _TOKEN_RE.match(token) is not None


def page_url(token: str) -> str | None:
    """The response page's public address; None without ``PUBLIC_BASE_URL``."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    if not base:
        return None
    return base + reverse("survey", args=[token])
