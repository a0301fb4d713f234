"""The runs list (with the search), the run page (merge data in event order, step log) and
retrying a failed run."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.scoping import scope_queryset
from accounts.ui.permissions import can_manage, manager_required, scoped_or_404
from integrations.merge_data import in_event_order
from workflows import runs as run_rules
from workflows.filters import RunFilter
from workflows.models import RunStatus, WorkflowRun
from workflows.ui.presenters import value_text
from workflows.ui.search import search

RUNS = WorkflowRun.objects.select_related("workflow", "delivery", "triggered_by")


def get_run(request, pk):
    return scoped_or_404(RUNS, request, account_path="workflow__account", pk=pk)


@require_GET
@login_required
def run_list(request):
    """Every run of the account, newest first, found by the search's filters."""
    rows = scope_queryset(
        WorkflowRun.objects.select_related("workflow"), request.user, "workflow__account"
    )
    filterset, page = search(request, RunFilter, rows.order_by("-id"))
    return render(request, "workflows/run_list.html", {"filter": filterset, "page": page})


@require_GET
@login_required
def run_detail(request, pk):
    run = get_run(request, pk)
    merge_data = [
        (code, value, value_text(value))
        for code, value in in_event_order(run.workflow.event, run.merge_data).items()
    ]
    context = {
        "run": run,
        "workflow": run.workflow,
        "merge_data": merge_data,
        "step_results": run.step_results.in_run_order(),
        "sent_emails": run.sent_emails.select_related("step_result").order_by("sent_at", "pk"),
        "sent_messages": run.sent_messages.order_by("position", "id"),
        "can_retry": run.status == RunStatus.FAILED and can_manage(request.user),
    }
    return render(request, "workflows/run.html", context)


@require_POST
@manager_required
def run_retry(request, pk):
    run = get_run(request, pk)
    try:
        run_rules.retry(run)
    except run_rules.NotRetryable as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Retrying the run from the step that failed.")
    return redirect("workflows:run", pk=run.pk)
