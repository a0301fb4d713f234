"""The store's time zone, read from its ``/v2/store`` settings (``timezone.name``): the one
place that says which names count. Send windows and delays use it; "" means unknown (UTC)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_name(store: dict) -> str:
    """The IANA name in `/v2/store`'s ``timezone.name``, if it is one this machine knows."""
    zone = store.get("timezone") if isinstance(store, dict) else None
    name = zone.get("name") if isinstance(zone, dict) else None
    if not isinstance(name, str) or not name or len(name) > 64:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    return name
