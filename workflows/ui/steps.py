"""The steps editor: add, edit, move and delete steps (each save re-validates the list)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.ui.permissions import manager_required
from workflows import email_preview, test_data
from workflows.ui import steps_editor
from workflows.ui.step_forms import STEP_FORMS
from workflows.ui.test_event_forms import PreviewDataForm
from workflows.ui.views import PREVIEWED, get_workflow, render_workflow_page


def _to_page(workflow):
    return redirect(reverse("workflows:detail", args=[workflow.pk]) + "#steps")


def _step_at(workflow, position: int) -> tuple[list[dict], dict]:
    steps = steps_editor.current(workflow)
    if not 0 <= position < len(steps):
        raise Http404("No such step.")
    return steps, steps[position]


def _save_or_show(request, workflow, form, steps, editing):
    """Save the new list, or show why not on the form (input kept)."""
    try:
        steps_editor.save(workflow, steps)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return render_workflow_page(request, workflow, step_form=form, editing=editing)
    messages.success(request, "Step saved.")
    return _to_page(workflow)


@require_http_methods(["GET", "POST"])
@manager_required
def step_add(request, pk, step_type):
    workflow = get_workflow(request, pk)
    form_class = STEP_FORMS.get(step_type)
    if form_class is None:
        raise Http404("Unknown step type.")
    data = request.POST if request.method == "POST" else None
    form = form_class(data, event_key=workflow.event, account_id=workflow.account_id)
    if data is None or not form.is_valid():
        return render_workflow_page(request, workflow, step_form=form)
    steps = steps_editor.added(
        steps_editor.current(workflow), {"type": step_type, "config": form.config}
    )
    return _save_or_show(request, workflow, form, steps, None)


@require_http_methods(["GET", "POST"])
@manager_required
def step_edit(request, pk, position):
    workflow = get_workflow(request, pk)
    steps, step = _step_at(workflow, position)
    form_class = STEP_FORMS[step["type"]]
    data = request.POST if request.method == "POST" else None
    form = form_class(
        data, event_key=workflow.event, config=step["config"], account_id=workflow.account_id
    )
    if data is None or not form.is_valid():
        return render_workflow_page(request, workflow, step_form=form, editing=position)
    new_step = {"type": step["type"], "config": form.config}
    return _save_or_show(
        request, workflow, form, steps_editor.replaced(steps, position, new_step), position
    )


@require_POST
@manager_required
def step_move(request, pk, position):
    workflow = get_workflow(request, pk)
    steps, _step = _step_at(workflow, position)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        steps_editor.save(workflow, steps_editor.moved(steps, position, offset))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _to_page(workflow)


@require_POST
@manager_required
def step_delete(request, pk, position):
    workflow = get_workflow(request, pk)
    steps, _step = _step_at(workflow, position)
    try:
        steps_editor.save(workflow, steps_editor.removed(steps, position))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Step {position + 1} deleted.")
    return _to_page(workflow)


@require_POST
@manager_required
def step_preview(request, pk):
    """The step form as typed (nothing saved), with its email rendered on the chosen data."""
    workflow = get_workflow(request, pk)
    step_type = request.POST.get("step_type", "")
    if step_type not in PREVIEWED:
        raise Http404("This step has no preview.")
    editing = request.POST.get("editing", "")
    editing = int(editing) if editing.isdigit() and len(editing) < 4 else None
    if editing is not None and editing >= len(steps_editor.current(workflow)):
        editing = None
    form = STEP_FORMS[step_type](request.POST, event_key=workflow.event)
    preview_form = PreviewDataForm(request.POST, workflow=workflow)
    preview = None
    if form.is_valid() and preview_form.is_valid():
        kind, run_id = preview_form.cleaned_data["data"]
        try:
            preview = email_preview.preview(workflow, form.config, kind, run_id)
        except test_data.UnknownData as exc:  # the run was deleted meanwhile
            preview_form.add_error("data", str(exc))
    return render_workflow_page(
        request,
        workflow,
        step_form=form,
        editing=editing,
        preview=preview,
        preview_form=preview_form,
    )
