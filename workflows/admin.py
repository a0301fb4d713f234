"""Admin for workflows (steps inline, merge-code reference) and runs (read-only, retry)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join

from accounts.admin_mixins import AccountScopedAdmin, AccountScopedInline, scoped_related_filter
from initiator_site.json_input import BoundedJSONField
from integrations.events import EVENTS
from workflows import runs, services
from workflows.merge_codes import as_tag
from workflows.models import (
    Alert,
    SentEmail,
    Step,
    StepResult,
    Suppression,
    Workflow,
    WorkflowRun,
)
from workflows.steps.registry import check_account, validate_step


class StepFormSet(BaseInlineFormSet):
    """Each step's config is validated for the workflow's event, like the API and UI do."""

    def clean(self):
        super().clean()
        event = self.instance.event
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            try:
                form.cleaned_data["config"] = validate_step(
                    form.cleaned_data.get("type"), form.cleaned_data.get("config"), event
                )
                form.instance.config = form.cleaned_data["config"]
                if self.instance.account_id is not None:
                    step = {"type": form.cleaned_data["type"], "config": form.instance.config}
                    check_account([step], self.instance.account_id)
            except ValidationError as exc:
                form.add_error("config", exc.messages)


class StepInline(AccountScopedInline, admin.TabularInline):
    model = Step
    formset = StepFormSet
    extra = 0
    fields = ("position", "type", "config")
    # The config is typed in as JSON: parsed with the app's bounds, like API bodies.
    formfield_overrides = {models.JSONField: {"form_class": BoundedJSONField}}
    ordering = ("position",)


@admin.register(Workflow)
class WorkflowAdmin(AccountScopedAdmin):
    list_display = ("name", "event", "status", "authentication", "created_at")
    list_filter = (
        "status",
        "event",
        scoped_related_filter("authentication", "account"),
    )
    list_select_related = ("authentication",)
    search_fields = ("name",)
    inlines = [StepInline]
    readonly_fields = ("merge_code_reference", "status", "created_by", "created_at")
    scoped_related = {"authentication": "account", "account": "pk"}
    actions = ["activate_selected", "pause_selected"]

    def get_fields(self, request, obj=None):
        fields = [
            "name",
            "event",
            "authentication",
            "send_once_scope",
            "send_once_days",
            "consent",
            "send_window_weekdays",
            "send_window_start_hour",
            "send_window_end_hour",
            "stop_on_order_statuses",
            "status",
            "merge_code_reference",
        ]
        if request.user.is_superuser:
            fields.insert(0, "account")
        return fields

    @admin.display(description="Merge codes of this event")
    def merge_code_reference(self, obj):
        if obj is None or not obj.event:
            return "Save the workflow to see its event's merge codes."
        codes = EVENTS[obj.event].merge_codes
        return format_html(
            "<details><summary>{} codes</summary><ul>{}</ul></details>",
            len(codes),
            format_html_join("", "<li><code>{}</code></li>", ((as_tag(c),) for c in codes)),
        )

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.account_id = request.user.account_id
        if not change:
            obj.created_by = request.user
        before = Workflow.objects.filter(pk=obj.pk).select_related("authentication").first()
        super().save_model(request, obj, form, change)
        services.subscription_of(obj)
        if before and (before.authentication_id, before.event) != (
            obj.authentication_id,
            obj.event,
        ):
            # The workflow moved to another hook: both must follow (as in services.update_workflow).
            services.sync_hook(before.authentication, before.event)
            services.sync_hook(obj.authentication, obj.event)

    def delete_model(self, request, obj):
        services.delete_workflow(obj)

    @admin.action(description="Activate selected workflows")
    def activate_selected(self, request, queryset):
        activated = 0
        for workflow in queryset.select_related("authentication"):
            try:
                services.activate(workflow)
                activated += 1
            except services.CannotActivate as exc:
                self.message_user(request, f"“{workflow}” not activated: {exc}", messages.ERROR)
        self.message_user(request, f"Activated {activated} workflow(s).", messages.SUCCESS)

    @admin.action(description="Pause selected workflows")
    def pause_selected(self, request, queryset):
        for workflow in queryset.select_related("authentication"):
            services.pause(workflow)
        self.message_user(request, f"Paused {queryset.count()} workflow(s).", messages.SUCCESS)


class StepResultInline(AccountScopedInline, admin.TabularInline):
    model = StepResult
    extra = 0
    fields = (
        "position",
        "branch",
        "branch_position",
        "type",
        "status",
        "detail",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WorkflowRun)
class WorkflowRunAdmin(AccountScopedAdmin):
    account_path = "workflow__account"
    list_display = (
        "id",
        "workflow",
        "status",
        "skip_reason",
        "is_test",
        "created_at",
        "finished_at",
    )
    list_filter = (
        "status",
        "skip_reason",
        "is_test",
        scoped_related_filter("workflow", "account"),
    )
    list_select_related = ("workflow",)
    inlines = [StepResultInline]
    readonly_fields = [
        "workflow",
        "delivery",
        "status",
        "is_test",
        "triggered_by",
        "merge_data",
        "subject_key",
        "skip_reason",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    ]
    fields = readonly_fields
    actions = ["retry_failed"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry selected failed runs")
    def retry_failed(self, request, queryset):
        retried = 0
        for run in queryset:
            try:
                runs.retry(run)
                retried += 1
            except runs.NotRetryable as exc:
                self.message_user(request, f"Run #{run.pk}: {exc}", messages.WARNING)
        if retried:
            self.message_user(request, f"Retried {retried} run(s).", messages.SUCCESS)


@admin.register(Suppression)
class SuppressionAdmin(AccountScopedAdmin):
    list_display = ("email", "reason", "source", "created_at")
    list_filter = ("reason",)
    search_fields = ("email",)
    scoped_related = {"account": "pk"}

    def get_fields(self, request, obj=None):
        fields = ["email", "reason", "source"]
        return ["account", *fields] if request.user.is_superuser else fields

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.account_id = request.user.account_id
        obj.email = obj.email.strip().lower()
        super().save_model(request, obj, form, change)


@admin.register(SentEmail)
class SentEmailAdmin(AccountScopedAdmin):
    list_display = ("recipient", "sent_at", "last_event", "run")
    list_filter = ("last_event",)
    search_fields = ("recipient", "message_id")
    list_select_related = ("run",)
    readonly_fields = (
        "recipient",
        "run",
        "message_id",
        "sent_at",
        "delivered_at",
        "opened_at",
        "clicked_at",
        "last_event",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(AccountScopedAdmin):
    """Read only: the alert pass opens and resolves alerts (workflows/alerts/)."""

    list_display = ("kind", "subject_key", "opened_at", "last_emailed_at", "resolved_at")
    list_filter = ("kind",)
    readonly_fields = (
        "kind",
        "subject_key",
        "detail",
        "opened_at",
        "last_emailed_at",
        "resolved_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
