"""What BigCommerce's `GET /v3/hooks/admin` says about our hooks: which of an
authentication's hooks it deactivated, and whether it blocked the domain we receive on."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings

from integrations import authentications
from integrations.bigcommerce import errors
from integrations.models import BigCommerceAuthentication, WebhookSubscription
from integrations.subscriptions import webhook_url

INACTIVE_STATUSES = frozenset({"inactive", "deactivated"})


@dataclass
class HookAdminReport:
    deactivated: list[WebhookSubscription] = field(default_factory=list)
    blocked: str | None = None  # why our domain is blocked, in words; None when it is not


def host_of(value: str) -> str:
    """The host of a URL or of a bare domain, lower-case ('' when there is none)."""
    text = value.strip()
    return (urlsplit(text if "//" in text else f"//{text}").hostname or "").lower()


def _blocked_detail(entries: list, host: str) -> str | None:
    for entry in entries:
        if not isinstance(entry, dict) or host_of(str(entry.get("destination") or "")) != host:
            continue
        reasons = [
            str(r.get("failure_description"))[:200]
            for r in entry.get("reasons") or []
            if isinstance(r, dict) and r.get("failure_description")
        ]
        time_left = entry.get("time_left")
        minutes = ""
        if isinstance(time_left, int) and time_left > 0:
            minutes = f" for about {max(1, time_left // 60)} more minutes"
        why = f" ({'; '.join(reasons[:3])})" if reasons else ""
        return (
            f"BigCommerce stopped sending webhooks to {host}{minutes}, because its deliveries "
            f"there failed{why}. Make sure this app answers at its webhook URLs; BigCommerce "
            "lifts the block by itself."
        )
    return None


def inspect(
    auth: BigCommerceAuthentication, subscriptions: list[WebhookSubscription]
) -> HookAdminReport:
    """One `GET /v3/hooks/admin` for `auth`: its `subscriptions` (wanted ones) whose hook
    BigCommerce shows inactive, and why our domain is blocked. BigCommerce errors are raised
    (a 401/403 also marks the authentication failing, as every other call does)."""
    try:
        with authentications.client_for(auth) as client:
            data = client.get_hooks_admin()
    except (errors.AuthenticationFailed, errors.PermissionDenied) as exc:
        authentications.mark_failing(auth.pk, exc.message)
        raise
    hooks = [h for h in data.get("hooks_list") or [] if isinstance(h, dict)]
    report = HookAdminReport()
    for sub in subscriptions:
        url = webhook_url(sub)
        hook = next(
            (
                h
                for h in hooks
                if (sub.hook_id is not None and h.get("id") == sub.hook_id)
                or (url is not None and h.get("destination") == url)
            ),
            None,
        )
        if hook is not None and (
            hook.get("is_active") is False or hook.get("status") in INACTIVE_STATUSES
        ):
            report.deactivated.append(sub)
    host = host_of(settings.PUBLIC_BASE_URL or "")
    if host:
        report.blocked = _blocked_detail(data.get("blocked_domains") or [], host)
    return report
