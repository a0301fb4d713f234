"""The setup wizard: name → initiator (BigCommerce) → event → overview → authentication
(existing or new) → save as a draft.

State lives in the session until the workflow is saved; every step checks the earlier ones
were done and sends the user back to the first one missing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import INTEGRATION_MANAGER_MESSAGE
from accounts.ui.permissions import account_or_refusal, can_manage, manager_required
from integrations import authentications
from integrations.events import EVENTS
from integrations.models import BigCommerceAuthentication
from integrations.ui.forms import NewAuthenticationForm
from integrations.ui.views import add_verification_error
from workflows import services, starters, trigger_filters
from workflows.models import Initiator
from workflows.ui.forms import (
    EventForm,
    ExistingAuthenticationForm,
    StarterForm,
    WorkflowNameForm,
)
from workflows.ui.presenters import merge_code_groups

SESSION_KEY = "workflow_wizard"
STEPS = [
    ("name", "Name"),
    ("initiator", "Initiator"),
    ("event", "Event"),
    ("overview", "Overview"),
    ("authentication", "Authentication"),
]
# What each step needs from the ones before it.
_NEEDS = {"initiator": ["name"], "event": ["name", "initiator"]}
_NEEDS["overview"] = _NEEDS["authentication"] = ["name", "initiator", "event"]


def _state(request) -> dict:
    return dict(request.session.get(SESSION_KEY) or {})


def _save_state(request, **values) -> None:
    request.session[SESSION_KEY] = {**_state(request), **values}


def _missing(request, step: str):
    """A redirect to the first earlier step not done yet, or None."""
    state = _state(request)
    for needed in _NEEDS.get(step, []):
        if not state.get(needed):
            return redirect(f"workflows:new-{needed}")
    return None


def _render(request, step: str, template: str, context: dict, status: int = 200):
    done = list(dict(STEPS)).index(step)
    progress = [
        {"key": key, "label": label, "done": i < done, "current": key == step}
        for i, (key, label) in enumerate(STEPS)
    ]
    context = {"progress": progress, "wizard": _state(request), **context}
    return render(request, f"workflows/wizard/{template}", context, status=status)


@require_GET
@login_required
def start(request):
    """“Create a new Workflow”: a fresh wizard."""
    request.session.pop(SESSION_KEY, None)
    return redirect("workflows:new-name")


@require_http_methods(["GET", "POST"])
@login_required
def name_step(request):
    _account, refusal = account_or_refusal(request)
    if refusal:
        return refusal
    data = request.POST if request.method == "POST" else None
    state = _state(request)
    form = WorkflowNameForm(data, initial={"name": state.get("name", "")})
    starter_form = StarterForm(data, initial={"starter": state.get("starter", "")})
    if data is not None and form.is_valid() and starter_form.is_valid():
        _save_state(
            request, name=form.cleaned_data["name"], starter=starter_form.cleaned_data["starter"]
        )
        return redirect("workflows:new-initiator")
    return _render(request, "name", "name.html", {"form": form, "starter_form": starter_form})


@require_http_methods(["GET", "POST"])
@login_required
def initiator_step(request):
    """Select BigCommerce; without the Integration Manager permission, say so and stop."""
    missing = _missing(request, "initiator")
    if missing:
        return missing
    if request.method == "POST":
        if request.POST.get("initiator") != Initiator.BIGCOMMERCE:
            return _render(request, "initiator", "initiator.html", {}, status=400)
        if not can_manage(request.user):
            context = {"refusal": INTEGRATION_MANAGER_MESSAGE}
            return _render(request, "initiator", "initiator.html", context, status=403)
        _save_state(request, initiator=Initiator.BIGCOMMERCE)
        return redirect("workflows:new-event")
    return _render(request, "initiator", "initiator.html", {})


@require_http_methods(["GET", "POST"])
@manager_required
def event_step(request):
    missing = _missing(request, "event")
    if missing:
        return missing
    data = request.POST if request.method == "POST" else None
    state = _state(request)
    starter = starters.STARTERS.get(state.get("starter") or "")
    form = EventForm(data, initial={"event": state.get("event") or (starter and starter.event)})
    if data is not None and form.is_valid():
        _save_state(request, event=form.cleaned_data["event"])
        return redirect("workflows:new-overview")
    choices = [(EVENTS[key], radio) for key, radio in zip(EVENTS, form["event"], strict=True)]
    return _render(request, "event", "event.html", {"form": form, "choices": choices})


@require_GET
@manager_required
def overview_step(request):
    missing = _missing(request, "overview")
    if missing:
        return missing
    event = EVENTS[_state(request)["event"]]
    context = {
        "event": event,
        "groups": merge_code_groups(event),
        "default_filter": trigger_filters.describe(event.key, event.default_filter),
    }
    return _render(request, "overview", "overview.html", context)


@require_http_methods(["GET", "POST"])
@manager_required
def authentication_step(request):
    """Reuse an authentication or create one (verified with BigCommerce), then save."""
    missing = _missing(request, "authentication")
    if missing:
        return missing
    account, refusal = account_or_refusal(request)
    if refusal:
        return refusal
    mode = request.POST.get("mode") if request.method == "POST" else None
    existing = ExistingAuthenticationForm(
        request.POST if mode == "existing" else None, account=account
    )
    new = NewAuthenticationForm(request.POST if mode == "new" else None, account=account)
    auth = None
    if mode == "existing" and existing.is_valid():
        auth = existing.cleaned_data["authentication"]
    elif mode == "new" and new.is_valid():
        try:
            auth = authentications.create_authentication(
                account=account, created_by=request.user, **new.service_kwargs()
            )
        except authentications.VerificationFailed as exc:
            add_verification_error(new, exc)
    if auth is not None:
        return _save_workflow(request, account, auth)
    has_existing = BigCommerceAuthentication.objects.filter(account=account).exists()
    context = {
        "existing": existing,
        "new": new,
        "has_existing": has_existing,
        "event": EVENTS[_state(request)["event"]],
        "mode": mode or ("existing" if has_existing else "new"),
    }
    return _render(request, "authentication", "authentication.html", context)


def _save_workflow(request, account, auth):
    state = _state(request)
    starter = starters.STARTERS.get(state.get("starter") or "")
    if starter is not None and starter.event == state["event"]:
        workflow = starters.create_from(
            starter,
            account=account,
            created_by=request.user,
            authentication=auth,
            name=state["name"],
        )
        request.session.pop(SESSION_KEY, None)
        messages.success(
            request,
            f"Workflow “{workflow.name}” saved as a draft from the “{starter.name}” template. "
            "Review its steps, send a test event, then activate it.",
        )
        return redirect(reverse("workflows:detail", args=[workflow.pk]))
    if starter is not None:
        messages.info(
            request, f"The “{starter.name}” template is for another event: its steps were left out."
        )
    workflow = services.create_workflow(
        account=account,
        created_by=request.user,
        steps=[],
        name=state["name"],
        initiator=Initiator.BIGCOMMERCE,
        event=state["event"],
        authentication=auth,
    )
    request.session.pop(SESSION_KEY, None)
    messages.success(
        request,
        f"Workflow “{workflow.name}” saved as a draft. Add steps, send a test event, then "
        "activate it.",
    )
    return redirect(reverse("workflows:detail", args=[workflow.pk]))
