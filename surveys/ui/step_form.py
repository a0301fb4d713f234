"""The steps editor's form for a ``survey_invite`` step: the email (as ``send_email``'s form),
the account's survey, the invitation's life, reminders and the wait for the response."""

from __future__ import annotations

from django import forms

from surveys.invite_step import (
    DEFAULT_EXPIRY_DAYS,
    MAX_EXPIRY_DAYS,
    MAX_REMINDER_DAYS,
    MAX_WAIT_DAYS,
)
from surveys.models import Survey
from workflows.ui.step_forms import SendEmailForm

DEFAULT_BODY = (
    "Hi [BigCommerce | Customer | first_name],\n\n"
    "How likely are you to recommend us to a friend? One click answers:\n\n"
    "[Survey | score_links]\n\n"
    "Or open the survey: [Survey | link]\n"
)


class SurveyInviteForm(SendEmailForm):
    step_type = "survey_invite"
    survey = forms.TypedChoiceField(label="Survey", coerce=int, required=False)
    expiry_days = forms.IntegerField(
        label="Open for (days)",
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        initial=DEFAULT_EXPIRY_DAYS,
        help_text="After this, the survey link shows that the survey has closed.",
    )
    reminder_1 = forms.IntegerField(
        label="First reminder after (days)",
        required=False,
        min_value=1,
        max_value=MAX_REMINDER_DAYS,
        help_text="Optional; sent only if the customer has not answered by then.",
    )
    reminder_2 = forms.IntegerField(
        label="Second reminder, days after the first",
        required=False,
        min_value=1,
        max_value=MAX_REMINDER_DAYS,
        help_text="Optional; again only while unanswered.",
    )
    wait_days = forms.IntegerField(
        label="Wait for the response (days)",
        required=False,
        min_value=0,
        max_value=MAX_WAIT_DAYS,
        initial=0,
        help_text="0: go on at once. Otherwise the run waits up to this long (going on as soon "
        "as the customer submits), and later steps can use [Survey | score], "
        "[Survey | outcome] and [Survey | question key].",
    )

    field_order = ["survey", "to", "subject", "body", "format", "expiry_days"]

    def __init__(self, data=None, *, event_key, config=None, account_id=None):
        super().__init__(data, event_key=event_key, config=config, account_id=account_id)
        surveys = Survey.objects.filter(account_id=account_id).order_by("name", "pk")
        self.fields["survey"].choices = [("", "— choose a survey —")] + [
            (survey.pk, survey.name) for survey in surveys
        ]
        if config is None and data is None:
            self.initial.setdefault("to", "[BigCommerce | Customer | email]")
            self.initial.setdefault("subject", "How did we do?")
            self.initial.setdefault("body", DEFAULT_BODY)

    def initial_from(self, config):
        reminders = list(config.get("reminder_days") or [])
        return {
            **config,
            "reminder_1": reminders[0] if reminders else None,
            "reminder_2": reminders[1] if len(reminders) > 1 else None,
        }

    def field_for(self, key):
        return "reminder_1" if key == "reminder_days" else super().field_for(key)

    def to_config(self, cleaned):
        reminders = [day for day in (cleaned.get("reminder_1"), cleaned.get("reminder_2")) if day]
        expiry = cleaned.get("expiry_days")
        wait = cleaned.get("wait_days")
        return {
            **super().to_config(cleaned),
            "survey": cleaned.get("survey") or None,
            "expiry_days": DEFAULT_EXPIRY_DAYS if expiry is None else expiry,
            "reminder_days": reminders,
            "wait_days": 0 if wait is None else wait,
        }
