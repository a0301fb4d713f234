"""Finding the problems that deserve an alert, for every account at once (the alert pass) or
for one (the dashboard), each kind in a bounded number of queries: never one per row.

A problem is found either in our own tables (`stored`: a hook not registered, an
authentication BigCommerce refuses, dead deliveries, a workflow failing too often) or by asking
BigCommerce (`from_bigcommerce`: hooks it deactivated, our domain blocked)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q

from integrations import hook_admin
from integrations.bigcommerce import errors
from integrations.models import (
    BigCommerceAuthentication,
    DeliveryStatus,
    SubscriptionStatus,
    VerificationStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from workflows.alerts.models import AlertKind
from workflows.models import RunStatus, Workflow, WorkflowRun

logger = logging.getLogger(__name__)

# Found by asking BigCommerce: only the alert pass knows them, the dashboard reads the alerts.
REMOTE_KINDS = (AlertKind.HOOK_DEACTIVATED, AlertKind.DOMAIN_BLOCKED)


@dataclass(frozen=True)
class Problem:
    account_id: int
    kind: str
    subject_key: str
    detail: str


def subject(model: str, pk: int) -> str:
    return f"{model}:{pk}"


def _scoped(rows, path: str, account_ids: Iterable[int] | None):
    return rows if account_ids is None else rows.filter(**{f"{path}__in": list(account_ids)})


def hooks_not_registered(account_ids=None) -> list[Problem]:
    subs = _scoped(
        WebhookSubscription.objects.filter(wanted=True).exclude(
            status=SubscriptionStatus.REGISTERED
        ),
        "authentication__account_id",
        account_ids,
    ).select_related("authentication")
    return [
        Problem(
            sub.authentication.account_id,
            AlertKind.HOOK_NOT_REGISTERED,
            subject("subscription", sub.pk),
            f"The {sub.get_event_display()} webhook of {sub.authentication.name} is not "
            f"registered with BigCommerce: {sub.status_detail or sub.get_status_display()}",
        )
        for sub in subs.order_by("pk")
    ]


def failing_authentications(account_ids=None) -> list[Problem]:
    auths = _scoped(
        BigCommerceAuthentication.objects.filter(status=VerificationStatus.FAILED),
        "account_id",
        account_ids,
    )
    return [
        Problem(
            auth.account_id,
            AlertKind.AUTH_FAILING,
            subject("authentication", auth.pk),
            f"BigCommerce refuses the authentication {auth.name} ({auth.store_hash}): "
            f"{auth.status_detail or 'the credentials were rejected'}",
        )
        for auth in auths.order_by("pk")
    ]


def dead_deliveries(account_ids=None) -> list[Problem]:
    rows = _scoped(
        WebhookDelivery.objects.filter(status=DeliveryStatus.DEAD),
        "subscription__authentication__account_id",
        account_ids,
    )
    counted = (
        rows.order_by()
        .values("subscription__authentication__account_id")
        .annotate(n=Count("pk"))
        .values_list("subscription__authentication__account_id", "n")
    )
    return [
        Problem(
            account_id,
            AlertKind.DEAD_DELIVERIES,
            "account",
            f"{n} {'delivery' if n == 1 else 'deliveries'} died: BigCommerce's data could not "
            "be fetched after every retry, so no workflow ran for them. Replay them once the "
            "cause is fixed.",
        )
        for account_id, n in counted
    ]


def failing_workflows(
    since: datetime, threshold: float, min_runs: int, account_ids: Iterable[int] | None = None
) -> dict[int, tuple[int, int, int]]:
    """``{workflow id: (account id, failed, finished)}`` of workflows whose failure rate since
    `since` is over `threshold` with at least `min_runs` runs that succeeded or failed; one
    query for every account (the alert pass) or the given ones."""
    rows = WorkflowRun.objects.filter(
        is_test=False,
        created_at__gte=since,
        status__in=(RunStatus.SUCCEEDED, RunStatus.FAILED),
    )
    if account_ids is not None:
        rows = rows.filter(workflow__account_id__in=list(account_ids))
    found = {}
    for workflow_id, account_id, failed, finished in (
        rows.order_by()
        .values("workflow_id", "workflow__account_id")
        .annotate(
            failed=Count("pk", filter=Q(status=RunStatus.FAILED)),
            finished=Count("pk"),
        )
        .values_list("workflow_id", "workflow__account_id", "failed", "finished")
    ):
        if finished >= min_runs and failed / finished > threshold:
            found[workflow_id] = (account_id, failed, finished)
    return found


def failing_runs(now: datetime, account_ids=None) -> list[Problem]:
    hours = settings.ALERT_FAILURE_WINDOW_HOURS
    found = failing_workflows(
        now - timedelta(hours=hours),
        settings.ALERT_FAILURE_RATE,
        settings.ALERT_FAILURE_MIN_RUNS,
        account_ids,
    )
    names = dict(Workflow.objects.filter(pk__in=list(found)).values_list("pk", "name"))
    return [
        Problem(
            account_id,
            AlertKind.FAILURE_RATE,
            subject("workflow", workflow_id),
            f"{failed} of the last {finished} finished runs of the workflow "
            f"{names.get(workflow_id, workflow_id)} failed in the last {hours} hours "
            f"(the alert threshold is {settings.ALERT_FAILURE_RATE:.0%}).",
        )
        for workflow_id, (account_id, failed, finished) in sorted(found.items())
    ]


def stored(now: datetime, account_ids: Iterable[int] | None = None) -> list[Problem]:
    """The problems our own tables show (every account when `account_ids` is None)."""
    if account_ids is not None:
        account_ids = list(account_ids)
    return [
        *hooks_not_registered(account_ids),
        *failing_authentications(account_ids),
        *dead_deliveries(account_ids),
        *failing_runs(now, account_ids),
    ]


def from_bigcommerce(account_ids=None) -> tuple[list[Problem], set[tuple[int, str]]]:
    """Ask BigCommerce (`GET /v3/hooks/admin`, once per authentication with a wanted hook)
    which hooks it deactivated and whether it blocked our domain. Returns the problems, and
    the (account, subject) pairs it could not check (BigCommerce unreachable or refusing), whose
    remote alerts stay as they are."""
    subs = _scoped(
        WebhookSubscription.objects.filter(wanted=True).exclude(
            authentication__status=VerificationStatus.FAILED
        ),
        "authentication__account_id",
        account_ids,
    ).select_related("authentication")
    by_auth: dict[int, list[WebhookSubscription]] = defaultdict(list)
    for sub in subs.order_by("authentication_id", "pk"):
        by_auth[sub.authentication_id].append(sub)
    problems, unknown = [], set()
    for auth_subs in by_auth.values():
        auth = auth_subs[0].authentication
        try:
            report = hook_admin.inspect(auth, auth_subs)
        except errors.BigCommerceError as exc:
            logger.warning("Reading the hooks admin of authentication %s failed: %s", auth.pk, exc)
            unknown.add((auth.account_id, subject("authentication", auth.pk)))
            unknown.update((auth.account_id, subject("subscription", s.pk)) for s in auth_subs)
            continue
        for sub in report.deactivated:
            problems.append(
                Problem(
                    auth.account_id,
                    AlertKind.HOOK_DEACTIVATED,
                    subject("subscription", sub.pk),
                    f"BigCommerce deactivated the {sub.get_event_display()} webhook of "
                    f"{auth.name}: no events arrive until it is active again.",
                )
            )
        if report.blocked:
            problems.append(
                Problem(
                    auth.account_id,
                    AlertKind.DOMAIN_BLOCKED,
                    subject("authentication", auth.pk),
                    f"{auth.name}: {report.blocked}",
                )
            )
    return problems, unknown
