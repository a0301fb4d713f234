"""The customer emails page: the suppression list (search, add, remove, CSV import and export),
the frequency cap and the skipped runs per reason. Thin views over ``workflows.sending``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.ui.permissions import (
    account_or_refusal,
    can_manage,
    manager_required,
    scoped_or_404,
)
from workflows.sending import stats, suppressions
from workflows.sending import suppression_import as import_job
from workflows.sending.models import Suppression
from workflows.states import SkipReason
from workflows.ui.sending_forms import AddSuppressionForm, FrequencyCapForm, ImportSuppressionsForm

PAGE_SIZE = 50


def render_page(request, account, *, add_form=None, import_form=None, cap_form=None, status=200):
    query = request.GET.get("q", "")
    rows = suppressions.search(account.pk, query)
    counts = stats.skip_counts(account.pk)
    context = {
        "account": account,
        "query": query,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "can_manage": can_manage(request.user),
        "add_form": add_form or AddSuppressionForm(),
        "import_form": import_form or ImportSuppressionsForm(),
        "cap_form": cap_form or FrequencyCapForm(instance=account),
        "skip_counts": [(SkipReason(reason).label, reason, n) for reason, n in counts.items()],
    }
    return render(request, "workflows/suppressions.html", context, status=status)


@require_GET
@login_required
def suppression_list(request):
    account, refusal = account_or_refusal(request)
    return refusal or render_page(request, account)


@require_POST
@manager_required
def suppression_add(request):
    account, refusal = account_or_refusal(request)
    if refusal:
        return refusal
    form = AddSuppressionForm(request.POST)
    if not form.is_valid():
        return render_page(request, account, add_form=form, status=400)
    source = f"added by {request.user.username}"
    _row, created = suppressions.suppress(
        account.pk, form.cleaned_data["email"], form.cleaned_data["reason"], source
    )
    if created:
        messages.success(request, f"{form.cleaned_data['email']} will get no customer email.")
    else:
        messages.info(request, f"{form.cleaned_data['email']} was already on the list.")
    return redirect("sending:suppressions")


@require_POST
@manager_required
def suppression_remove(request, pk):
    row = scoped_or_404(Suppression.objects.all(), request, pk=pk)
    suppressions.remove(row.account_id, row.pk)
    messages.success(request, f"Removed {row.email}: customer emails to it may go out again.")
    return redirect("sending:suppressions")


@require_POST
@manager_required
def suppression_import(request):
    account, refusal = account_or_refusal(request)
    if refusal:
        return refusal
    form = ImportSuppressionsForm(request.POST, request.FILES)
    if not form.is_valid():
        return render_page(request, account, import_form=form, status=400)
    job = import_job.start(
        account,
        request.user,
        form.cleaned_data["file"],
        source=f"CSV import by {request.user.username}",
    )
    messages.info(request, f"Importing {job.total} address(es) on the task cluster.")
    return redirect("workflows:job", pk=job.pk)


@require_GET
@login_required
def suppression_export(request):
    account, refusal = account_or_refusal(request)
    if refusal:
        return refusal
    body = suppressions.export_csv(suppressions.search(account.pk, request.GET.get("q", "")))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="suppressions-{stamp}.csv"'
    return response


@require_POST
@manager_required
def frequency_cap(request):
    account, refusal = account_or_refusal(request)
    if refusal:
        return refusal
    form = FrequencyCapForm(request.POST, instance=account)
    if not form.is_valid():
        return render_page(request, account, cap_form=form, status=400)
    form.save()
    messages.success(request, "Frequency cap saved; emails already sent count toward it.")
    return redirect("sending:suppressions")
