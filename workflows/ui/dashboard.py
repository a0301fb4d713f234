"""The home page (the dashboard), the alerts page and the actions that fix a problem from
there. Thin: the figures are `workflows.dashboard`'s, the problems and alerts
`workflows.alerts`'."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scoping import account_of
from accounts.ui.permissions import (
    account_or_refusal,
    can_manage,
    manager_required,
    refuse,
    scoped_or_404,
)
from integrations import subscriptions
from integrations.models import SubscriptionStatus, WebhookSubscription
from workflows.alerts import evaluate
from workflows.alerts.models import Alert
from workflows.dashboard import charts, problems, stats
from workflows.ui.alert_forms import AlertSettingsForm


def _back(request, default: str = "home"):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(default)


@require_GET
@login_required
def dashboard(request):
    account = account_of(request.user)
    if account is None:
        return render(request, "workflows/dashboard.html", {"account": None})
    now = timezone.now()
    win = stats.window(stats.DEFAULT_DAYS, now)
    context = {
        "account": account,
        "window": win,
        "charts": charts.panels(stats.daily(account.pk, win), win.dates()),
        "workflows": stats.per_workflow(account.pk, win),
        "problems": problems.current(account.pk, now),
        "can_manage": can_manage(request.user),
    }
    return render(request, "workflows/dashboard.html", context)


@require_POST
@manager_required
def subscription_repair(request, pk):
    """Register (or reactivate) a hook now, as the periodic check would, then check the
    account's alerts again so the banner says how things stand."""
    sub = scoped_or_404(
        WebhookSubscription.objects.select_related("authentication"),
        request,
        "authentication__account",
        pk=pk,
    )
    if not sub.wanted:
        messages.warning(request, "No active workflow listens to this event: nothing to register.")
        return _back(request)
    sub = subscriptions.ensure_registered(sub)
    if sub.status == SubscriptionStatus.REGISTERED:
        messages.success(
            request, f"The {sub.get_event_display()} webhook is registered and active."
        )
    else:
        messages.error(request, f"The webhook is still not registered: {sub.status_detail}")
    evaluate.run_pass(account_ids=[sub.authentication.account_id])
    return _back(request)


@require_POST
@manager_required
def alerts_check(request):
    """Check every problem of the account now instead of at the next pass."""
    account, refusal = account_or_refusal(request)
    if refusal:
        return refusal
    counts = evaluate.run_pass(account_ids=[account.pk])
    if counts["open"]:
        messages.warning(
            request,
            f"Checked: {counts['open']} problem{'s' if counts['open'] != 1 else ''} remain.",
        )
    else:
        messages.success(request, "Checked: no problems.")
    return _back(request)


@require_http_methods(["GET", "POST"])
@login_required
def alerts_page(request):
    """Open and recent alerts, and where alert emails go (an Integration Manager sets it)."""
    account, refusal = account_or_refusal(request)
    if refusal:
        return refusal
    manage = can_manage(request.user)
    if request.method == "POST":
        if not manage:
            return refuse(request)
        form = AlertSettingsForm(request.POST, instance=account)
        if form.is_valid():
            form.save()
            messages.success(request, "Saved where alert emails go.")
            return redirect("workflows:alerts")
    else:
        form = AlertSettingsForm(instance=account)
    alerts = Alert.objects.filter(account=account)
    context = {
        "open": alerts.filter(resolved_at__isnull=True).order_by("opened_at", "id"),
        "resolved": alerts.filter(resolved_at__isnull=False).order_by("-resolved_at", "-id")[:20],
        "form": form,
        "can_manage": manage,
    }
    return render(request, "workflows/alerts.html", context)
