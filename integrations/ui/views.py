"""Authentication pages: thin views over ``integrations.authentications``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scoping import scope_queryset
from accounts.ui.permissions import account_or_refusal, can_manage, manager_required, scoped_or_404
from integrations import authentications as service
from integrations.models import BigCommerceAuthentication, VerificationStatus
from integrations.ui.forms import NewAuthenticationForm, RotateTokenForm

AUTHENTICATIONS = BigCommerceAuthentication.objects.order_by("name", "id")


def add_verification_error(form, exc: service.VerificationFailed) -> None:
    """Show BigCommerce's refusal next to the field the user should fix."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@require_GET
@login_required
def authentication_list(request):
    auths = scope_queryset(AUTHENTICATIONS, request.user).annotate(
        workflow_count=Count("workflows")
    )
    return render(
        request,
        "integrations/authentication_list.html",
        {"authentications": auths, "can_manage": can_manage(request.user)},
    )


@require_http_methods(["GET", "POST"])
@manager_required
def authentication_create(request):
    account, refusal = account_or_refusal(request)
    if refusal:
        return refusal
    form = NewAuthenticationForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            auth = service.create_authentication(
                account=account, created_by=request.user, **form.service_kwargs()
            )
        except service.VerificationFailed as exc:
            add_verification_error(form, exc)
        else:
            messages.success(
                request, f"Authentication “{auth.name}” verified with store “{auth.store_name}”."
            )
            return redirect("authentications:list")
    return render(request, "integrations/authentication_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@manager_required
def authentication_rotate(request, pk):
    auth = scoped_or_404(AUTHENTICATIONS, request, pk=pk)
    form = RotateTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service.update_authentication(auth, access_token=form.cleaned_data["access_token"])
        except service.VerificationFailed as exc:
            add_verification_error(form, exc)
        else:
            messages.success(request, f"New access token for “{auth.name}” verified and saved.")
            return redirect("authentications:list")
    return render(request, "integrations/rotate_token.html", {"form": form, "auth": auth})


@require_POST
@manager_required
def authentication_verify(request, pk):
    auth = service.reverify(scoped_or_404(AUTHENTICATIONS, request, pk=pk))
    if auth.status == VerificationStatus.VERIFIED:
        messages.success(request, f"“{auth.name}” verified: BigCommerce accepted the credentials.")
    else:
        messages.error(request, f"“{auth.name}” could not be verified: {auth.status_detail}")
    return redirect("authentications:list")


@require_http_methods(["GET", "POST"])
@manager_required
def authentication_delete(request, pk):
    auth = scoped_or_404(AUTHENTICATIONS, request, pk=pk)
    workflows = list(auth.workflows.order_by("name").values_list("name", flat=True))
    error, status = None, 200
    if request.method == "POST":
        try:
            service.delete_authentication(auth)
        except service.AuthenticationInUse as exc:
            error, status, workflows = str(exc), 409, exc.workflow_names
        else:
            messages.success(request, f"Authentication “{auth.name}” deleted.")
            return redirect("authentications:list")
    context = {"auth": auth, "workflows": workflows, "error": error}
    return render(request, "integrations/authentication_delete.html", context, status=status)
