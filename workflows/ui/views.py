"""Workflow list and workflow page (with settings, activate/pause, test event, delete)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scoping import scope_queryset
from accounts.ui.permissions import can_manage, manager_required, scoped_or_404
from integrations.events import get_event
from integrations.models import SubscriptionStatus
from workflows import services, test_data, trigger_filters
from workflows.models import StepType, TestData, Workflow, WorkflowRun
from workflows.steps.registry import BRANCH_KINDS, MAX_STEPS_PER_WORKFLOW, STEP_KINDS
from workflows.ui.forms import WorkflowSettingsForm
from workflows.ui.presenters import picker, send_window_text, subscription_view
from workflows.ui.step_rows import StepFormAt, step_rows
from workflows.ui.test_event_forms import PreviewDataForm, TestEventForm

PREVIEWED = ("send_email",)  # step kinds whose editor previews the email

WORKFLOWS = Workflow.objects.select_related("authentication").order_by("-created_at", "-id")
LIST_PAGE_SIZE = 50
RUNS_PAGE_SIZE = 20


def get_workflow(request, pk):
    return scoped_or_404(WORKFLOWS, request, pk=pk)


@require_GET
@login_required
def workflow_list(request):
    last_run = WorkflowRun.objects.filter(workflow=OuterRef("pk")).order_by("-created_at", "-id")
    workflows = scope_queryset(WORKFLOWS, request.user).annotate(
        last_run_id=Subquery(last_run.values("pk")[:1]),
        last_run_status=Subquery(last_run.values("status")[:1]),
        last_run_at=Subquery(last_run.values("created_at")[:1]),
    )
    page = Paginator(workflows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workflows/list.html", {"page": page, "workflows": page.object_list})


def render_workflow_page(
    request,
    workflow,
    *,
    step_form=None,
    form_at=None,
    settings_form=None,
    test_form=None,
    preview=None,
    preview_form=None,
):
    """The workflow page; ``step_form`` (with ``form_at``: the list and the step it edits, or
    adds to) shows the steps editor's form inline, with an email's ``preview`` when one was
    asked for."""
    form_at = form_at or StepFormAt()
    steps = list(workflow.steps.order_by("position"))
    runs = WorkflowRun.objects.filter(workflow=workflow).order_by("-created_at", "-id")
    manage = can_manage(request.user)
    event = get_event(workflow.event)
    recent = test_data.recent_runs(workflow) if manage else []
    if manage and test_form is None:
        test_form = TestEventForm(workflow=workflow, runs=recent)
    context = {
        "workflow": workflow,
        "event": event,
        "steps": step_rows(workflow.pk, steps, form_at if step_form is not None else None),
        "step_kinds": STEP_KINDS.values(),
        "branch_kinds": BRANCH_KINDS.values(),
        "can_add_step": len(steps) < MAX_STEPS_PER_WORKFLOW,
        "subscription": subscription_view(services.subscription_of(workflow)),
        "runs_page": Paginator(runs, RUNS_PAGE_SIZE).get_page(request.GET.get("runs")),
        "can_manage": manage,
        "step_form": step_form,
        "form_at": form_at,
        # a new step of the workflow's own: its form goes after the list
        "form_adds_step": step_form is not None and form_at == StepFormAt(),
        "form_action": form_at.action(workflow.pk, step_form.step_type) if step_form else "",
        "form_title": form_at.title(step_form.label) if step_form else "",
        "picker": picker(workflow, event) if step_form is not None else None,
        "send_window": send_window_text(workflow),
        "test_form": test_form,
        "has_http_steps": any(step.type == StepType.HTTP_REQUEST for step in steps),
        "preview_form": preview_form
        or (
            PreviewDataForm(workflow=workflow, runs=recent)
            if step_form is not None and step_form.step_type in PREVIEWED
            else None
        ),
        "preview": preview,
        "trigger_filter": trigger_filters.describe(workflow.event, workflow.trigger_filter or {}),
        "filter_options": trigger_filters.options(workflow.event),
        "settings_form": settings_form
        or (WorkflowSettingsForm(workflow=workflow) if manage else None),
    }
    return render(request, "workflows/detail.html", context)


@require_GET
@login_required
def workflow_detail(request, pk):
    return render_workflow_page(request, get_workflow(request, pk))


@require_POST
@manager_required
def workflow_settings(request, pk):
    workflow = get_workflow(request, pk)
    form = WorkflowSettingsForm(request.POST, workflow=workflow)
    if not form.is_valid():
        return render_workflow_page(request, workflow, settings_form=form)
    services.update_workflow(workflow, steps=form.steps, **form.cleaned_data)
    messages.success(request, "Settings saved.")
    return redirect("workflows:detail", pk=workflow.pk)


@require_POST
@manager_required
def workflow_activate(request, pk):
    try:
        workflow = services.activate(get_workflow(request, pk))
    except services.CannotActivate as exc:
        messages.error(request, f"Not activated: {exc}")
        return redirect("workflows:detail", pk=pk)
    sub = subscription_view(services.subscription_of(workflow))
    if sub.status == SubscriptionStatus.REGISTERED:
        messages.success(request, "Workflow activated; BigCommerce will deliver its events.")
    else:
        messages.warning(
            request, f"Workflow activated, but the webhook is not registered: {sub.detail}"
        )
    return redirect("workflows:detail", pk=workflow.pk)


@require_POST
@manager_required
def workflow_pause(request, pk):
    services.pause(get_workflow(request, pk))
    messages.success(request, "Workflow paused: new events no longer start it.")
    return redirect("workflows:detail", pk=pk)


@require_POST
@manager_required
def workflow_test(request, pk):
    """Run the workflow now on the chosen data (sample data by default), then show the run."""
    workflow = get_workflow(request, pk)
    data = request.POST if "test-data" in request.POST else None
    form = TestEventForm(data, workflow=workflow)
    if data is None:
        kind, run_id, send_http = TestData.REGISTERED, None, False
    elif form.is_valid():
        (kind, run_id), send_http = form.cleaned_data["data"], form.cleaned_data["send_http"]
    else:
        return render_workflow_page(request, workflow, test_form=form)
    try:
        run = services.run_test_event(
            workflow, request.user, data=kind, run_id=run_id, send_http=send_http
        )
    except test_data.UnknownData as exc:  # the run was deleted meanwhile
        messages.error(request, f"No test event sent: {exc}")
        return redirect("workflows:detail", pk=workflow.pk)
    http = "HTTP requests sent" if send_http else "HTTP requests not sent"
    messages.info(request, f"Test event sent (delays skipped, emails to you, {http}).")
    return redirect("workflows:run", pk=run.pk)


@require_http_methods(["GET", "POST"])
@manager_required
def workflow_delete(request, pk):
    workflow = get_workflow(request, pk)
    if request.method == "POST":
        services.delete_workflow(workflow)
        messages.success(request, f"Workflow “{workflow.name}” deleted.")
        return redirect("workflows:list")
    return render(request, "workflows/delete.html", {"workflow": workflow})
