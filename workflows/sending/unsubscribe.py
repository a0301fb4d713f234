"""Unsubscribe links: a signed token (account + normalised address), its URL, and the RFC 8058
headers every customer email carries.

The token is ``django.core.signing`` with its own salt: it needs no login and no database row,
it can't be forged or edited, and it says nothing but an account id and an address, which the
confirmation page shows only masked.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from workflows.sending.addresses import normalise

SALT = "workflows.sending.unsubscribe"
# The visible link's merge code, usable in any email body; added in a footer when absent.
MERGE_CODE = "[Unsubscribe | url]"
ONE_CLICK = "List-Unsubscribe=One-Click"


@dataclass(frozen=True)
class Unsubscriber:
    account_id: int
    email: str


def make_token(account_id: int, email: str) -> str:
    return signing.dumps({"a": account_id, "e": normalise(email)}, salt=SALT, compress=True)


def read_token(token: str) -> Unsubscriber | None:
    """Who the token unsubscribes; None for a token that is tampered with or malformed."""
    try:
        data = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        return None
    if not isinstance(data, dict):
        return None
    account_id, email = data.get("a"), data.get("e")
    if isinstance(account_id, bool) or not isinstance(account_id, int) or account_id < 1:
        return None
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        return None
    return Unsubscriber(account_id, email)


def url_for(account_id: int, email: str) -> str | None:
    """The unsubscribe page's public address; None without ``PUBLIC_BASE_URL``."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    if not base:
        return None
    return base + reverse("unsubscribe", args=[make_token(account_id, email)])


def headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST ``List-Unsubscribe=One-Click``."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK}
