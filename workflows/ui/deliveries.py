"""The deliveries list (with the search) and replay: one delivery, or every failed and dead one
the filters select (a job, whose page shows its progress). Thin: the rules are
`integrations.deliveries`' and `workflows.replay`'s."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.scoping import scope_queryset
from accounts.ui.permissions import account_or_refusal, can_manage, manager_required, scoped_or_404
from integrations import deliveries
from integrations.models import WebhookDelivery
from workflows import replay
from workflows.filters import DeliveryFilter
from workflows.models import FilteredDelivery, WorkflowRun
from workflows.ui.search import search

ACCOUNT_PATH = "subscription__authentication__account"
DELIVERIES = WebhookDelivery.objects.select_related("subscription")


def back_to_list(request, query: str = ""):
    """To the page the form was on (`next`, if it is ours), else the list with `query`."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("workflows:deliveries") + (f"?{query}" if query else "")
    return redirect(target)


def count_runs(page_rows) -> None:
    """Each delivery's `run_count`, and why trigger filters held it back (`held_back`), for a
    page of them in two queries."""
    rows = list(page_rows)
    counts = dict(
        WorkflowRun.objects.filter(delivery__in=rows)
        .values("delivery")
        .annotate(n=Count("pk"))
        .values_list("delivery", "n")
    )
    held = {}
    for row in FilteredDelivery.objects.filter(delivery__in=rows).values("delivery", "reason"):
        held.setdefault(row["delivery"], []).append(row["reason"])
    for delivery in rows:
        delivery.run_count = counts.get(delivery.pk, 0)
        delivery.held_back = held.get(delivery.pk, [])


@require_GET
@login_required
def delivery_list(request):
    rows = scope_queryset(DELIVERIES, request.user, ACCOUNT_PATH)
    filterset, page = search(request, DeliveryFilter, rows.order_by("-id"))
    manage = can_manage(request.user)
    replayable = 0
    if page is not None:
        count_runs(page.object_list)
        if manage:
            replayable = filterset.qs.filter(status__in=deliveries.REPLAYABLE).count()
    context = {
        "filter": filterset,
        "page": page,
        "can_manage": manage,
        "replayable": replayable,
        "replayable_statuses": deliveries.REPLAYABLE,
        "filters": replay.filter_params(request.GET),
    }
    return render(request, "workflows/delivery_list.html", context)


@require_POST
@manager_required
def delivery_replay(request, pk):
    delivery = scoped_or_404(DELIVERIES, request, ACCOUNT_PATH, pk=pk)
    try:
        deliveries.replay(delivery)
    except deliveries.NotReplayable as exc:
        messages.error(request, f"Delivery #{delivery.pk}: {exc}")
    else:
        messages.success(
            request,
            f"Delivery #{delivery.pk} is queued again: it will be fetched and fanned out in a "
            "moment (workflows whose run for it succeeded are not run again).",
        )
    return back_to_list(request)


@require_POST
@manager_required
def deliveries_replay(request):
    """Replay every failed and dead delivery the posted filters select, as a job."""
    account, refusal = account_or_refusal(request)
    if refusal:
        return refusal
    filters = replay.filter_params(request.POST)
    try:
        job = replay.start(account, request.user, filters)
    except replay.InvalidFilters:
        messages.error(request, "Fix the filters first: nothing was replayed.")
    except replay.NothingToReplay as exc:
        messages.warning(request, str(exc))
    else:
        return redirect("workflows:job", pk=job.pk)
    return back_to_list(request, filters.urlencode())
