"""The steps editor: add, edit, move and delete steps (each save re-validates the list), the
workflow's own or those of an If / else's "then" and "else" branches (plain forms, no script)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.ui.permissions import manager_required
from workflows import email_preview, test_data
from workflows.steps.registry import BRANCH_KINDS
from workflows.ui import steps_editor
from workflows.ui.step_forms import STEP_FORMS
from workflows.ui.step_rows import StepFormAt
from workflows.ui.test_event_forms import PreviewDataForm
from workflows.ui.views import PREVIEWED, get_workflow, render_workflow_page


@dataclass(frozen=True)
class Place:
    """The list a request edits: the workflow's steps, or a branch of the If / else at
    `position`."""

    steps: list[dict]  # the workflow's
    position: int | None = None
    branch: str | None = None

    @classmethod
    def of(cls, workflow, position=None, branch=None) -> Place:
        place = cls(steps_editor.current(workflow), position, branch)
        place.items()  # 404 now for a step that is not an If / else, or a wrong branch
        return place

    def items(self) -> list[dict]:
        if self.branch is None:
            return self.steps
        try:
            return steps_editor.branch_of(self.steps, self.position, self.branch)
        except LookupError:
            raise Http404("No such branch.") from None

    def put(self, items: list[dict]) -> list[dict]:
        """The workflow's whole list with `items` in this place."""
        if self.branch is None:
            return items
        return steps_editor.with_branch(self.steps, self.position, self.branch, items)

    def item(self, index: int) -> dict:
        items = self.items()
        if not 0 <= index < len(items):
            raise Http404("No such step.")
        return items[index]

    def form_at(self, index: int | None) -> StepFormAt:
        return StepFormAt(self.position, self.branch, index)

    def name(self, index: int) -> str:
        if self.branch is None:
            return f"Step {index + 1}"
        return f"Step {self.position + 1} · {self.branch} {index + 1}"


def _to_page(workflow):
    return redirect(reverse("workflows:detail", args=[workflow.pk]) + "#steps")


def _save_or_show(request, workflow, form, steps, at: StepFormAt):
    """Save the new list, or show why not on the form (input kept)."""
    try:
        steps_editor.save(workflow, steps)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return render_workflow_page(request, workflow, step_form=form, form_at=at)
    messages.success(request, "Step saved.")
    return _to_page(workflow)


@require_http_methods(["GET", "POST"])
@manager_required
def step_add(request, pk, step_type, position=None, branch=None):
    workflow = get_workflow(request, pk)
    place = Place.of(workflow, position, branch)
    form_class = STEP_FORMS.get(step_type)
    if form_class is None:
        raise Http404("Unknown step type.")
    if branch is not None and step_type not in BRANCH_KINDS:
        messages.error(
            request, "An If / else can't go inside a branch (one level only): add it after."
        )
        return _to_page(workflow)
    data = request.POST if request.method == "POST" else None
    form = form_class(data, event_key=workflow.event, account_id=workflow.account_id)
    if data is None or not form.is_valid():
        return render_workflow_page(request, workflow, step_form=form, form_at=place.form_at(None))
    items = steps_editor.added(place.items(), {"type": step_type, "config": form.config})
    return _save_or_show(request, workflow, form, place.put(items), place.form_at(None))


@require_http_methods(["GET", "POST"])
@manager_required
def step_edit(request, pk, index, position=None, branch=None):
    workflow = get_workflow(request, pk)
    place = Place.of(workflow, position, branch)
    step = place.item(index)
    form_class = STEP_FORMS[step["type"]]
    data = request.POST if request.method == "POST" else None
    form = form_class(
        data, event_key=workflow.event, config=step["config"], account_id=workflow.account_id
    )
    if data is None or not form.is_valid():
        return render_workflow_page(request, workflow, step_form=form, form_at=place.form_at(index))
    new_step = {"type": step["type"], "config": form.config}
    items = steps_editor.replaced(place.items(), index, new_step)
    return _save_or_show(request, workflow, form, place.put(items), place.form_at(index))


@require_POST
@manager_required
def step_move(request, pk, index, position=None, branch=None):
    workflow = get_workflow(request, pk)
    place = Place.of(workflow, position, branch)
    place.item(index)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        steps_editor.save(workflow, place.put(steps_editor.moved(place.items(), index, offset)))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _to_page(workflow)


@require_POST
@manager_required
def step_delete(request, pk, index, position=None, branch=None):
    workflow = get_workflow(request, pk)
    place = Place.of(workflow, position, branch)
    place.item(index)
    try:
        steps_editor.save(workflow, place.put(steps_editor.removed(place.items(), index)))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{place.name(index)} deleted.")
    return _to_page(workflow)


@require_POST
@manager_required
def step_preview(request, pk):
    """The step form as typed (nothing saved), with its email rendered on the chosen data."""
    workflow = get_workflow(request, pk)
    step_type = request.POST.get("step_type", "")
    if step_type not in PREVIEWED:
        raise Http404("This step has no preview.")
    form_at = _previewed_place(workflow, request.POST)
    form = STEP_FORMS[step_type](
        request.POST, event_key=workflow.event, account_id=workflow.account_id
    )
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
        form_at=form_at,
        preview=preview,
        preview_form=preview_form,
    )


def _small_int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 4 else None


def _previewed_place(workflow, data) -> StepFormAt:
    """Where the previewed form stands (the page shows it there again): the workflow's list or
    a branch, editing a step or adding one; anything that no longer fits is a new step."""
    position, branch = _small_int(data.get("branch_position", "")), data.get("branch") or None
    try:
        place = Place.of(workflow, position, branch) if branch in ("then", "else") else None
    except Http404:
        place = None
    place = place or Place.of(workflow)
    index = _small_int(data.get("editing", ""))
    if index is not None and index >= len(place.items()):
        index = None
    return place.form_at(index)
