"""The alert pass (every 15 minutes, `workflows.tasks.check_alerts`): open an alert for each
new problem, resolve those that are gone, and email each open one at most once every
`ALERT_EMAIL_INTERVAL_HOURS`. A bounded number of queries whatever the number of accounts
and problems (one BigCommerce call per authentication with a wanted hook)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from workflows.alerts import detect, notify
from workflows.alerts.models import Alert


def run_pass(now: datetime | None = None, account_ids: Iterable[int] | None = None) -> dict:
    """One pass over every account (or the given ones); counts of what it did."""
    now = now or timezone.now()
    if account_ids is not None:
        account_ids = list(account_ids)
    remote, unchecked = detect.from_bigcommerce(account_ids)
    found = {(p.account_id, p.kind, p.subject_key): p for p in detect.stored(now, account_ids)}
    found.update({(p.account_id, p.kind, p.subject_key): p for p in remote})

    open_alerts = Alert.objects.filter(resolved_at__isnull=True)
    if account_ids is not None:
        open_alerts = open_alerts.filter(account_id__in=account_ids)
    known = {(a.account_id, a.kind, a.subject_key): a for a in open_alerts}

    resolved = [
        alert.pk
        for key, alert in known.items()
        if key not in found
        and not (alert.kind in detect.REMOTE_KINDS and (key[0], key[2]) in unchecked)
    ]
    if resolved:
        Alert.objects.filter(pk__in=resolved).update(resolved_at=now)

    changed = []
    for key, alert in known.items():
        problem = found.get(key)
        if problem is not None and problem.detail != alert.detail:
            alert.detail = problem.detail
            changed.append(alert)
    if changed:
        Alert.objects.bulk_update(changed, ["detail"])

    new = Alert.objects.bulk_create(
        Alert(
            account_id=p.account_id,
            kind=p.kind,
            subject_key=p.subject_key,
            detail=p.detail,
            opened_at=now,
        )
        for key, p in found.items()
        if key not in known
    )

    since = now - timedelta(hours=settings.ALERT_EMAIL_INTERVAL_HOURS)
    due = [
        alert
        for key, alert in known.items()
        if key in found and (alert.last_emailed_at is None or alert.last_emailed_at <= since)
    ]
    emailed = notify.send([*due, *new])
    if emailed:
        Alert.objects.filter(pk__in=emailed).update(last_emailed_at=now)
    return {
        "opened": len(new),
        "resolved": len(resolved),
        "open": len(found),
        "emailed": len(emailed),
    }
