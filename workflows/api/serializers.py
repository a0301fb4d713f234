"""Workflow API serializers (the README's API section); validation delegates to the step rules."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.api.fields import AccountScopedPrimaryKeyField
from integrations.events import EVENTS
from integrations.merge_data import in_event_order
from integrations.models import BigCommerceAuthentication
from integrations.subscriptions import subscription_for, webhook_url
from workflows import services
from workflows.models import (
    Initiator,
    Job,
    SendOnceScope,
    SentEmail,
    StepResult,
    Workflow,
    WorkflowRun,
)
from workflows.steps.registry import validate_steps


def as_drf_error(exc: DjangoValidationError):
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return serializers.ValidationError(detail)


class WorkflowInitiatorSerializer(serializers.Serializer):
    """`{"type", "event", "authentication"}`: the workflow's initiator fields, nested."""

    type = serializers.ChoiceField(source="initiator", choices=Initiator.choices)
    event = serializers.ChoiceField(choices=[(k, e.name) for k, e in EVENTS.items()])
    authentication = AccountScopedPrimaryKeyField(queryset=BigCommerceAuthentication.objects.all())


class StepSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=32)
    config = serializers.JSONField()

    def to_representation(self, step):
        return {"position": step.position, "type": step.type, "config": step.config}


class SendOnceSerializer(serializers.Serializer):
    """The send-once guard: at most one run per order, cart or customer within `days`."""

    scope = serializers.ChoiceField(
        source="send_once_scope",
        choices=[c for c in SendOnceScope.values if c],
        allow_null=True,
        required=False,
    )
    days = serializers.IntegerField(
        source="send_once_days", min_value=1, max_value=3650, required=False
    )

    def to_representation(self, workflow):
        return {"scope": workflow.send_once_scope or None, "days": workflow.send_once_days}


class SendWindowSerializer(serializers.Serializer):
    """When customer emails may go out, in the store's time zone: weekdays (0 = Monday) and
    hours [start_hour, end_hour). No weekdays: any time. An email due outside it waits."""

    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), max_length=7, required=False
    )
    start_hour = serializers.IntegerField(
        source="send_window_start_hour", min_value=0, max_value=23, required=False
    )
    end_hour = serializers.IntegerField(
        source="send_window_end_hour", min_value=1, max_value=24, required=False
    )

    def to_representation(self, workflow):
        return {
            "weekdays": [int(day) for day in workflow.send_window_weekdays],
            "start_hour": workflow.send_window_start_hour,
            "end_hour": workflow.send_window_end_hour,
        }

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if "weekdays" in values:
            values["send_window_weekdays"] = "".join(
                str(day) for day in sorted(set(values.pop("weekdays")))
            )
        return values


class StatusIdsField(serializers.ListField):
    """``[4, 5, 6]`` ⇄ the model's "4,5,6"."""

    child = serializers.IntegerField(min_value=0, max_value=999)

    def to_representation(self, value):
        return [int(part) for part in value.split(",") if part.isdigit()]

    def to_internal_value(self, data):
        return ",".join(str(status) for status in sorted(set(super().to_internal_value(data))))


class WorkflowSerializer(serializers.ModelSerializer):
    initiator = WorkflowInitiatorSerializer(source="*")
    steps = StepSerializer(many=True, required=False)
    send_once = SendOnceSerializer(source="*", required=False)
    send_window = SendWindowSerializer(source="*", required=False)
    stop_on_order_statuses = StatusIdsField(
        required=False,
        max_length=30,
        help_text="Order status ids that stop a run when, after a wait, the order has one.",
    )
    subscription = serializers.SerializerMethodField()
    # null once the user who created it is deleted
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Workflow
        fields = [
            "id",
            "name",
            "status",
            "initiator",
            "steps",
            "send_once",
            "consent",
            "send_window",
            "stop_on_order_statuses",
            "subscription",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "created_at", "updated_at"]

    def get_subscription(self, workflow) -> dict:
        subs = self.context.get("subscriptions") or {}
        sub = subs.get((workflow.authentication_id, workflow.event)) or subscription_for(
            workflow.authentication, workflow.event
        )
        return {"webhook_url": webhook_url(sub), "status": sub.status, "detail": sub.status_detail}

    def validate(self, attrs):
        if "send_once_scope" in attrs and attrs["send_once_scope"] is None:
            attrs["send_once_scope"] = ""
        start = attrs.get(
            "send_window_start_hour", getattr(self.instance, "send_window_start_hour", 9)
        )
        end = attrs.get("send_window_end_hour", getattr(self.instance, "send_window_end_hour", 17))
        if start >= end:
            raise serializers.ValidationError(
                {"send_window": ["start_hour must be before end_hour."]}
            )
        event = attrs.get("event") or getattr(self.instance, "event", None)
        steps = attrs.get("steps")
        try:
            if steps is not None:
                attrs["steps"] = validate_steps([dict(s) for s in steps], event)
            elif self.instance is not None and "event" in attrs:
                attrs["steps"] = services.steps_under_event(self.instance, event)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from None
        return attrs


class StepResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = StepResult
        fields = ["position", "type", "status", "detail", "started_at", "finished_at"]


class SentEmailSerializer(serializers.ModelSerializer):
    """A customer email of the run, with what the email provider reported about it."""

    step = serializers.SerializerMethodField()

    def get_step(self, sent) -> int | None:
        return sent.step_result.position if sent.step_result_id else None

    class Meta:
        model = SentEmail
        fields = [
            "step",
            "recipient",
            "sent_at",
            "delivered_at",
            "opened_at",
            "clicked_at",
            "last_event",
        ]
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    steps = StepResultSerializer(source="step_results", many=True, read_only=True)
    emails = SentEmailSerializer(source="sent_emails", many=True, read_only=True)
    merge_data = serializers.SerializerMethodField()
    event = serializers.CharField(source="workflow.event", read_only=True)

    def get_merge_data(self, run) -> dict:
        return in_event_order(run.workflow.event, run.merge_data)

    class Meta:
        model = WorkflowRun
        fields = [
            "id",
            "workflow",
            "event",
            "delivery",
            "order_id",
            "customer_email",
            "status",
            "skip_reason",
            "is_test",
            "merge_data",
            "steps",
            "emails",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class JobSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "params",
            "total",
            "done",
            "error_count",
            "errors",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SkipCountsQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False)


class SkipCountsSerializer(serializers.Serializer):
    """Skipped real runs of the account, per `SkipReason`."""

    counts = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()
