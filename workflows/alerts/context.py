"""The banner: the signed-in user's account's open alerts, on every page (read only when a
page shows it)."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from workflows.alerts.models import Alert

BANNER_LIMIT = 5


def _open_alerts(user) -> list[Alert]:
    return list(
        Alert.objects.filter(account_id=user.account_id, resolved_at__isnull=True).order_by(
            "opened_at", "id"
        )[: BANNER_LIMIT + 1]
    )


def open_alerts(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.account_id:
        return {}
    return {"open_alerts": SimpleLazyObject(lambda: _open_alerts(user))}
