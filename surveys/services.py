"""Survey rules: create and change a survey with its ordered questions, delete one no workflow
uses. Fields and questions arrive cleaned (``surveys.definitions``)."""

from __future__ import annotations

from django.db import transaction

from surveys.models import Question, Survey
from workflows.models import Step, StepType


class InUse(Exception):
    """The survey is named by workflows' steps; the message says which."""

    def __init__(self, workflow_names: list[str]):
        super().__init__(
            f"The survey is used by these workflows: {', '.join(workflow_names)}. Remove their "
            "survey steps first."
        )
        self.workflow_names = workflow_names


def replace_questions(survey: Survey, questions: list[dict]) -> None:
    """Positions are always 0..n-1, in the order given."""
    Question.objects.filter(survey=survey).delete()
    Question.objects.bulk_create(
        Question(survey=survey, position=position, **question)
        for position, question in enumerate(questions)
    )


def create_survey(*, account, created_by, questions: list[dict], **fields) -> Survey:
    with transaction.atomic():
        survey = Survey.objects.create(account=account, created_by=created_by, **fields)
        replace_questions(survey, questions)
    return survey


def update_survey(survey: Survey, *, questions: list[dict] | None = None, **fields) -> Survey:
    """Change fields and, when given, the whole question list. Answers already given keep
    their keys (a question renamed starts a new column in the results)."""
    with transaction.atomic():
        for name, value in fields.items():
            setattr(survey, name, value)
        survey.save()
        if questions is not None:
            replace_questions(survey, questions)
    return survey


def workflows_using(survey: Survey) -> list[str]:
    """The names of the account's workflows whose steps invite to `survey`."""
    steps = Step.objects.filter(
        workflow__account_id=survey.account_id,
        type=StepType.SURVEY_INVITE,
        config__survey=survey.pk,
    ).select_related("workflow")
    return sorted({step.workflow.name for step in steps})


def delete_survey(survey: Survey) -> None:
    """Delete it with its invitations and responses; refused (`InUse`) while a workflow's
    step invites to it."""
    using = workflows_using(survey)
    if using:
        raise InUse(using)
    survey.delete()
