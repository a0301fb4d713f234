"""Admin for surveys (questions inline) and, read-only, their invitations and responses."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from accounts.admin_mixins import AccountScopedAdmin, AccountScopedInline, scoped_related_filter
from surveys import definitions
from surveys.models import Invitation, Question, Survey, SurveyResponse


class QuestionFormSet(BaseInlineFormSet):
    """The questions are checked as the API and the pages check them."""

    def clean(self):
        super().clean()
        raw = [
            {name: form.cleaned_data.get(name) for name in definitions.QUESTION_FIELDS}
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
        ]
        try:
            definitions.check_questions(raw)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict.get("questions") or exc.messages) from None


class SurveyForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        try:
            cleaned.update(definitions.check_survey(cleaned))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned


class QuestionInline(AccountScopedInline, admin.TabularInline):
    model = Question
    formset = QuestionFormSet
    extra = 0
    fields = ("position", "key", "kind", "text", "choices", "required")
    ordering = ("position",)


@admin.register(Survey)
class SurveyAdmin(AccountScopedAdmin):
    form = SurveyForm
    list_display = ("name", "created_at", "updated_at")
    search_fields = ("name",)
    inlines = [QuestionInline]
    readonly_fields = ("created_by", "created_at", "updated_at")
    scoped_related = {"account": "pk"}

    def get_fields(self, request, obj=None):
        fields = [
            "name",
            "thank_you_text",
            "promoter_redirect_url",
            "passive_redirect_url",
            "detractor_redirect_url",
            "created_by",
            "created_at",
            "updated_at",
        ]
        if request.user.is_superuser:
            fields.insert(0, "account")
        return fields

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.account_id = request.user.account_id
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(AccountScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    # The token is never shown: it is the customer's key to their response page.
    list_display = ("id", "survey", "email", "order_id", "created_at", "expires_at", "closed_at")
    list_filter = (scoped_related_filter("survey", "account"),)
    list_select_related = ("survey",)
    search_fields = ("email",)
    fields = (
        "survey",
        "workflow",
        "run",
        "step_position",
        "email",
        "order_id",
        "cart_id",
        "customer_id",
        "reminders_sent",
        "next_reminder_at",
        "created_at",
        "expires_at",
        "closed_at",
    )
    readonly_fields = fields


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    account_path = "survey__account"
    list_display = ("id", "survey", "email", "order_id", "score", "started_at", "submitted_at")
    list_filter = (scoped_related_filter("survey", "account"), "outcome")
    list_select_related = ("survey",)
    search_fields = ("email",)
    fields = (
        "survey",
        "workflow",
        "run",
        "email",
        "order_id",
        "cart_id",
        "customer_id",
        "answers",
        "score",
        "outcome",
        "started_at",
        "submitted_at",
    )
    readonly_fields = fields
