"""The survey editor's forms: the survey's fields and a formset of ordered questions. They only
shape input; the rules are ``surveys.definitions``', their messages shown on the page."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from surveys import definitions
from surveys.models import QuestionKind

EXTRA_QUESTIONS = 3


class SurveyForm(forms.Form):
    name = forms.CharField(label="Name", max_length=150, help_text="For your team only.")
    thank_you_text = forms.CharField(
        label="Thank-you text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown after the answers are sent; merge codes allowed.",
    )
    promoter_redirect_url = forms.CharField(
        label="Promoters go to",
        required=False,
        help_text="Optional https:// address, e.g. your review page; merge codes may follow "
        "the host. Promoters: NPS 9–10, rating 4–5, yes.",
    )
    passive_redirect_url = forms.CharField(
        label="Passives go to", required=False, help_text="Optional (NPS 7–8, rating 3)."
    )
    detractor_redirect_url = forms.CharField(
        label="Detractors go to", required=False, help_text="Optional (NPS 0–6, rating 1–2, no)."
    )

    def clean(self):
        cleaned = super().clean()
        try:
            return definitions.check_survey(cleaned)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field, message[:1].upper() + message[1:])
        return cleaned


class QuestionForm(forms.Form):
    key = forms.CharField(
        label="Key", required=False, max_length=50, help_text="e.g. nps; used as [Survey | key]."
    )
    kind = forms.ChoiceField(label="Type", choices=QuestionKind.choices, required=False)
    text = forms.CharField(
        label="Question", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    choices = forms.CharField(
        label="Options (one per line)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For one-choice and several-choices questions.",
    )
    required = forms.BooleanField(label="Required", required=False)

    def as_question(self) -> dict | None:
        """The question as ``surveys.definitions`` takes it; None for a blank row."""
        data = self.cleaned_data
        if not (data.get("key") or "").strip() and not (data.get("text") or "").strip():
            return None
        lines = [line.strip() for line in (data.get("choices") or "").splitlines()]
        return {
            "key": (data.get("key") or "").strip(),
            "kind": data.get("kind") or "",
            "text": data.get("text") or "",
            "choices": [line for line in lines if line],
            "required": bool(data.get("required")),
        }


class BaseQuestionFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        # In the order asked (rows without a number last), without deleted or blank rows.
        rows = self.ordered_forms
        raw = [question for form in rows if (question := form.as_question()) is not None]
        try:
            self.questions = definitions.check_questions(raw)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict.get("questions") or exc.messages) from None


QuestionFormSet = forms.formset_factory(
    QuestionForm,
    formset=BaseQuestionFormSet,
    extra=EXTRA_QUESTIONS,
    can_order=True,
    can_delete=True,
    max_num=definitions.MAX_QUESTIONS,
    validate_max=True,
)


def initial_questions(survey) -> list[dict]:
    return [
        {
            "key": q.key,
            "kind": q.kind,
            "text": q.text,
            "choices": "\n".join(q.choices),
            "required": q.required,
            "ORDER": q.position + 1,
        }
        for q in survey.questions.order_by("position", "pk")
    ]
