"""Survey pages: the list, the editor (new and edit: the survey's fields and its ordered
questions) and delete. Any account member may look; changes need the Integration Manager
permission. Thin views over ``surveys.services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.ui.permissions import account_or_refusal, can_manage, manager_required, scoped_or_404
from surveys import services
from surveys.models import Survey
from surveys.ui.forms import QuestionFormSet, SurveyForm, initial_questions

SURVEY_FIELDS = (
    "name",
    "thank_you_text",
    "promoter_redirect_url",
    "passive_redirect_url",
    "detractor_redirect_url",
)


@require_GET
@login_required
def survey_list(request):
    account, refusal = account_or_refusal(request)
    if refusal:
        return refusal
    surveys = Survey.objects.filter(account=account).order_by("name", "pk")
    return render(
        request,
        "surveys/list.html",
        {"surveys": surveys, "can_manage": can_manage(request.user)},
    )


def _editor(request, survey, form, questions, status=200):
    context = {
        "survey": survey,
        "form": form,
        "questions": questions,
        "can_manage": can_manage(request.user),
    }
    return render(request, "surveys/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@manager_required
def survey_new(request):
    account, refusal = account_or_refusal(request)
    if refusal:
        return refusal
    if request.method == "GET":
        return _editor(request, None, SurveyForm(), QuestionFormSet(prefix="q"))
    form, questions = SurveyForm(request.POST), QuestionFormSet(request.POST, prefix="q")
    if not (form.is_valid() and questions.is_valid()):
        return _editor(request, None, form, questions, status=400)
    survey = services.create_survey(
        account=account,
        created_by=request.user,
        questions=questions.questions,
        **{name: form.cleaned_data[name] for name in SURVEY_FIELDS},
    )
    messages.success(request, f"Survey “{survey.name}” created.")
    return redirect("surveys:edit", pk=survey.pk)


@require_http_methods(["GET", "POST"])
@login_required
def survey_edit(request, pk):
    survey = scoped_or_404(Survey.objects.all(), request, pk=pk)
    if request.method == "GET":
        form = SurveyForm(initial={name: getattr(survey, name) for name in SURVEY_FIELDS})
        questions = QuestionFormSet(initial=initial_questions(survey), prefix="q")
        return _editor(request, survey, form, questions)
    return _save(request, survey)


@manager_required
def _save(request, survey):
    form, questions = SurveyForm(request.POST), QuestionFormSet(request.POST, prefix="q")
    if not (form.is_valid() and questions.is_valid()):
        return _editor(request, survey, form, questions, status=400)
    services.update_survey(
        survey,
        questions=questions.questions,
        **{name: form.cleaned_data[name] for name in SURVEY_FIELDS},
    )
    messages.success(request, "Survey saved.")
    return redirect("surveys:edit", pk=survey.pk)


@require_http_methods(["GET", "POST"])
@manager_required
def survey_delete(request, pk):
    survey = scoped_or_404(Survey.objects.all(), request, pk=pk)
    if request.method == "POST":
        try:
            services.delete_survey(survey)
        except services.InUse as exc:
            messages.error(request, str(exc))
            return redirect("surveys:edit", pk=survey.pk)
        messages.success(request, f"Survey “{survey.name}” deleted.")
        return redirect("surveys:list")
    return render(request, "surveys/delete.html", {"survey": survey})
