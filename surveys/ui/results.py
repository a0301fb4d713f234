"""A survey's results page (numbers, inline SVG charts, comments) and its CSV export, filtered
by workflow and dates; thin views over ``surveys.results``."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from accounts.ui.permissions import scoped_or_404
from surveys import charts, queries
from surveys.models import Survey
from surveys.results import Window, responses_csv, results
from workflows.models import Workflow


class ResultsFilter(forms.Form):
    """The results' filters, as query parameters (the API's names)."""

    workflow = forms.ModelChoiceField(
        queryset=Workflow.objects.none(), required=False, empty_label="All workflows"
    )
    created_after = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_before = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data, *, account_id: int):
        super().__init__(data)
        self.fields["workflow"].queryset = Workflow.objects.filter(account_id=account_id)

    def window(self) -> Window:
        """The filters when valid; none (everything) otherwise, the form saying why."""
        if not self.is_valid():
            return Window()
        data = self.cleaned_data
        workflow = data.get("workflow")
        return Window(
            workflow.pk if workflow else None, data.get("created_after"), data.get("created_before")
        )


def _survey(request, pk) -> Survey:
    return scoped_or_404(Survey.objects.all(), request, pk=pk)


@require_GET
@login_required
def survey_results(request, pk):
    survey = _survey(request, pk)
    form = ResultsFilter(request.GET, account_id=survey.account_id)
    found = results(survey, form.window())
    context = {
        "survey": survey,
        "filter": form,
        "found": found,
        "query": request.GET.urlencode() if form.is_valid() else "",
        # pygal's SVG, drawn from numbers and dates only (surveys/charts.py)
        "distribution_svg": mark_safe(charts.distribution_svg(found)),  # noqa: S308
        "trend_svg": mark_safe(charts.trend_svg(found)),  # noqa: S308
    }
    return render(request, "surveys/results.html", context)


@require_GET
@login_required
def survey_results_csv(request, pk):
    survey = _survey(request, pk)
    form = ResultsFilter(request.GET, account_id=survey.account_id)
    rows = form.window().responses(survey).iterator(chunk_size=1000)
    body = responses_csv(rows, queries.questions_of(survey))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-responses.csv"'
    return response
