"""The dashboard's current problems of one account: those our tables show now, and those the
last alert pass learnt from BigCommerce (a deactivated hook, a blocked domain)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workflows.alerts import detect
from workflows.alerts.models import Alert, AlertKind


@dataclass(frozen=True)
class CurrentProblem:
    kind: str
    label: str
    subject_key: str
    detail: str

    @property
    def subject_id(self) -> int | None:
        _, _, value = self.subject_key.partition(":")
        return int(value) if value.isdigit() else None


def current(account_id: int, now: datetime) -> list[CurrentProblem]:
    """Every current problem of the account, in the order of AlertKind; a bounded number of
    queries (one per kind) whatever their number."""
    labels = dict(AlertKind.choices)
    found = [(p.kind, p.subject_key, p.detail) for p in detect.stored(now, [account_id])]
    found += Alert.objects.filter(
        account_id=account_id, resolved_at__isnull=True, kind__in=detect.REMOTE_KINDS
    ).values_list("kind", "subject_key", "detail")
    order = {kind: i for i, kind in enumerate(AlertKind.values)}
    found.sort(key=lambda row: (order[row[0]], row[1]))
    return [CurrentProblem(kind, labels[kind], key, detail) for kind, key, detail in found]
