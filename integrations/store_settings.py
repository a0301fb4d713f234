"""The store's settings from ``GET /v2/store`` — name, address, time zone — kept on the
authentication for a day: the ``Store | …`` codes and the cart recovery link read them, and a
delivery that needs them costs no call while they are fresh. Verifying credentials reads
``/v2/store`` anyway, so it refreshes them too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from integrations.models import BigCommerceAuthentication

KEPT_FOR = timedelta(days=1)
# What is kept of /v2/store: what codes and formatting read, nothing about the merchant.
KEPT_KEYS = ("name", "domain", "secure_url", "timezone", "language", "currency")


def kept(store: dict[str, Any]) -> dict[str, Any]:
    """The part of a ``/v2/store`` reply that is kept."""
    return {key: store[key] for key in KEPT_KEYS if key in store}


def fresh(auth: BigCommerceAuthentication, now=None) -> dict[str, Any] | None:
    """The kept settings if they were read less than a day ago, else ``None``."""
    fetched_at = auth.store_settings_fetched_at
    now = now or timezone.now()
    if fetched_at is None or not auth.store_settings or now - fetched_at >= KEPT_FOR:
        return None
    return auth.store_settings


def remember(auth: BigCommerceAuthentication, store: dict[str, Any]) -> dict[str, Any]:
    """Set ``auth``'s kept settings from a ``/v2/store`` reply (the caller saves ``auth``)."""
    auth.store_settings = kept(store)
    auth.store_settings_fetched_at = timezone.now()
    return auth.store_settings


def load(auth: BigCommerceAuthentication, client) -> dict[str, Any]:
    """The store's settings: the kept ones while fresh, else ``client.get_store()`` (kept)."""
    found = fresh(auth)
    if found is not None:
        return found
    settings = remember(auth, client.get_store())
    BigCommerceAuthentication.objects.filter(pk=auth.pk).update(
        store_settings=settings, store_settings_fetched_at=auth.store_settings_fetched_at
    )
    return settings
