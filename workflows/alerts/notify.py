"""Alert emails: one message per account and pass, listing its alerts that are due, to the
account's alert address or else its Integration Managers."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.urls import reverse

from accounts.models import INTEGRATION_MANAGER_CODENAME, Account, User
from workflows.alerts.models import Alert

logger = logging.getLogger(__name__)


def recipients(account_ids: list[int]) -> dict[int, list[str]]:
    """Each account's alert address if it has one, else the addresses of its active
    Integration Managers (the permission given directly, by a group, or as a superuser); two
    queries for any number of accounts."""
    found: dict[int, list[str]] = {}
    for pk, address in Account.objects.filter(pk__in=account_ids).values_list("pk", "alert_email"):
        if address:
            found[pk] = [address]
    rest = [pk for pk in account_ids if pk not in found]
    if rest:
        perm = Q(codename=INTEGRATION_MANAGER_CODENAME, content_type__app_label="accounts")
        managers = (
            User.objects.filter(account_id__in=rest, is_active=True)
            .exclude(email="")
            .filter(
                Q(is_superuser=True)
                | Q(user_permissions__in=_permission_ids(perm))
                | Q(groups__permissions__in=_permission_ids(perm))
            )
            .order_by("account_id", "email")
            .values_list("account_id", "email")
            .distinct()
        )
        for account_id, email in managers:
            found.setdefault(account_id, []).append(email)
    return found


def _permission_ids(condition: Q):
    return Permission.objects.filter(condition).values("pk")


def message_for(account_alerts: list[Alert], to: list[str]) -> EmailMessage:
    count = len(account_alerts)
    if count == 1:
        subject = f"Workflow Initiator alert: {account_alerts[0].get_kind_display()}"
    else:
        subject = f"Workflow Initiator: {count} problems need attention"
    lines = [
        "BigCommerce events may be missed or workflows may not run until these are fixed:",
        "",
    ]
    for alert in account_alerts:
        lines += [f"- {alert.get_kind_display()}", f"  {alert.detail}", ""]
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    where = f"{base}{reverse('home')}" if base else "the app's dashboard"
    lines += [
        f"Each problem and the button that fixes it are on {where}.",
        "You get one email per problem a day at most, while it lasts. The address alerts go "
        f"to is set on the Alerts page ({base}{reverse('workflows:alerts')}).",
    ]
    return EmailMessage(subject=subject, body="\n".join(lines), to=to)


def send(alerts: list[Alert]) -> list[int]:
    """Email `alerts`, grouped by account; the ids of those emailed. An account with nobody to
    tell, or whose email fails, is tried again on the next pass."""
    if not alerts:
        return []
    by_account: dict[int, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_account[alert.account_id].append(alert)
    to = recipients(list(by_account))
    emailed: list[int] = []
    connection = get_connection()
    for account_id, account_alerts in by_account.items():
        if not to.get(account_id):
            logger.warning("Account %s has alerts and nobody to email them to", account_id)
            continue
        try:
            connection.send_messages([message_for(account_alerts, to[account_id])])
        except Exception:  # the email backend's own errors: SMTP, a provider's API
            logger.exception("Emailing the alerts of account %s failed", account_id)
            continue
        emailed.extend(alert.pk for alert in account_alerts)
    return emailed
