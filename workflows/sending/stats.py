"""Skipped runs counted per reason (for the run list, the API and a dashboard)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count

from workflows.models import RunStatus, WorkflowRun
from workflows.states import SkipReason


def skip_counts(account_id: int, *, since: datetime | None = None) -> dict[str, int]:
    """``{reason: count}`` of the account's skipped real runs, every reason present (0 when
    none), in one query."""
    runs = WorkflowRun.objects.filter(
        workflow__account_id=account_id, status=RunStatus.SKIPPED, is_test=False
    )
    if since is not None:
        runs = runs.filter(created_at__gte=since)
    counted = dict(
        runs.order_by()
        .values("skip_reason")
        .annotate(n=Count("pk"))
        .values_list("skip_reason", "n")
    )
    return {reason: counted.get(reason, 0) for reason in SkipReason.values if reason}
