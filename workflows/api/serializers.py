"""Workflow API serializers (the README's API section); validation delegates to the step rules."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.fields import AccountScopedPrimaryKeyField
from accounts.scoping import account_of
from integrations.api.serializers import DeliverySerializer
from integrations.events import EVENTS
from integrations.merge_data import in_event_order
from integrations.models import BigCommerceAuthentication
from integrations.subscriptions import subscription_for, webhook_url
from workflows import filtering, services, trigger_filters
from workflows.conditions import OPERATORS
from workflows.models import (
    Initiator,
    Job,
    SendOnceScope,
    SentEmail,
    SentMessage,
    StepResult,
    StepType,
    TestData,
    Workflow,
    WorkflowRun,
)
from workflows.steps.if_else import MAX_BRANCH_STEPS
from workflows.steps.registry import check_account, validate_steps


def _status_ids_field(**kwargs):
    return serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=trigger_filters.MAX_STATUS_ID),
        required=False,
        max_length=trigger_filters.MAX_IDS,
        **kwargs,
    )


def as_drf_error(exc: DjangoValidationError):
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return serializers.ValidationError(detail)


class WorkflowInitiatorSerializer(serializers.Serializer):
    """`{"type", "event", "authentication"}`: the workflow's initiator fields, nested."""

    type = serializers.ChoiceField(source="initiator", choices=Initiator.choices)
    event = serializers.ChoiceField(choices=[(k, e.name) for k, e in EVENTS.items()])
    authentication = AccountScopedPrimaryKeyField(queryset=BigCommerceAuthentication.objects.all())


_BRANCH = {
    "type": "array",
    "maxItems": MAX_BRANCH_STEPS,
    "items": {
        "type": "object",
        "properties": {"type": {"type": "string"}, "config": {"type": "object"}},
        "required": ["type", "config"],
    },
    "description": "Steps of any type but if_else (one level), validated as a workflow's own.",
}


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {},
        "description": (
            "The step's settings, by type. condition: {match, rules: [{merge_code, operator, "
            "value}]}. send_email: {to, subject, body, format}. http_request: {method, url, "
            "headers, body}. delay: {amount, unit, then_weekdays, then_time}. if_else: "
            "{condition: {match, rules}, then: [steps], else: [steps]}: the 'then' steps run "
            "when the condition holds, the 'else' steps when it does not, then the workflow "
            "goes on."
        ),
        "properties": {
            "condition": {
                "type": "object",
                "description": "if_else: a condition, as a condition step's config.",
            },
            "then": _BRANCH,
            "else": _BRANCH,
        },
    }
)
class StepConfigField(serializers.JSONField):
    """A step's config: any JSON object here, checked by the step rules (`validate_steps`)."""


class StepSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=32, help_text=f"One of: {', '.join(StepType.values)}.")
    config = StepConfigField()

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


class FilterRuleSerializer(serializers.Serializer):
    merge_code = serializers.CharField(max_length=300)
    operator = serializers.ChoiceField(choices=list(OPERATORS))
    value = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class TriggerFilterSerializer(serializers.Serializer):
    """Which deliveries of the event start the workflow, checked after the store's data is read
    and before any run exists; a delivery held back starts no run and is counted. Every part is
    optional ({} lets every delivery through). Status ids are BigCommerce's order statuses (0
    Incomplete, 1 Pending, 2 Shipped, 7 Awaiting Payment, 10 Completed, 11 Awaiting
    Fulfillment, ...)."""

    match = serializers.ChoiceField(
        choices=["all", "any"], required=False, help_text="How the rules combine."
    )
    rules = FilterRuleSerializer(
        many=True, required=False, max_length=20, help_text="Conditions on the merge codes."
    )
    status_from = _status_ids_field(help_text="A status change's previous status is one of these.")
    status_to = _status_ids_field(
        help_text="The new status (a status change) or the order's status is one of these."
    )
    skip_statuses = _status_ids_field(help_text="Orders with one of these statuses are held back.")
    channels = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=2**31 - 1),
        required=False,
        max_length=trigger_filters.MAX_IDS,
        help_text="The order's, cart's or sign-up channel is one of these.",
    )

    def to_representation(self, config):
        return dict(config or {})


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
    trigger_filter = TriggerFilterSerializer(required=False)
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
            "trigger_filter",
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
        if "trigger_filter" in attrs or (self.instance is not None and "event" in attrs):
            config = attrs.get("trigger_filter", getattr(self.instance, "trigger_filter", {}))
            try:
                attrs["trigger_filter"] = trigger_filters.validate_filter(dict(config), event)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"trigger_filter": exc.messages}) from None
        try:
            if steps is not None:
                attrs["steps"] = validate_steps([dict(s) for s in steps], event)
                account_id = self._account_id()
                if account_id is not None:
                    check_account(attrs["steps"], account_id)
            elif self.instance is not None and "event" in attrs:
                attrs["steps"] = services.steps_under_event(self.instance, event)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from None
        return attrs

    def _account_id(self) -> int | None:
        if self.instance is not None:
            return self.instance.account_id
        request = self.context.get("request")
        account = account_of(request.user) if request is not None else None
        return account.pk if account is not None else None


class StepResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = StepResult
        fields = [
            "position",
            "branch",
            "branch_position",
            "type",
            "status",
            "detail",
            "started_at",
            "finished_at",
        ]


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


class SentMessageSerializer(serializers.ModelSerializer):
    """An email the run sent, as it was sent (the HTML part: the whole document, or "")."""

    step = serializers.IntegerField(source="position", read_only=True)
    to = serializers.ListField(child=serializers.CharField(), read_only=True)
    text = serializers.CharField(source="text_body", read_only=True)
    html = serializers.CharField(source="html_body", read_only=True)

    class Meta:
        model = SentMessage
        fields = ["step", "to", "subject", "text", "html", "sent_at"]
        read_only_fields = fields


class RunSurveySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class RunSurveyResponseSerializer(serializers.Serializer):
    """A survey response to one of the run's invitations (the surveys app's, by relation)."""

    id = serializers.IntegerField(read_only=True)
    survey = RunSurveySerializer(read_only=True)
    answers = serializers.JSONField(read_only=True, help_text="Answers by question key.")
    score = serializers.IntegerField(read_only=True, allow_null=True)
    outcome = serializers.CharField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True)
    submitted_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Empty while partial."
    )


class RunSerializer(serializers.ModelSerializer):
    steps = StepResultSerializer(source="step_results", many=True, read_only=True)
    emails = SentEmailSerializer(source="sent_emails", many=True, read_only=True)
    sent_messages = SentMessageSerializer(many=True, read_only=True)
    survey_responses = RunSurveyResponseSerializer(many=True, read_only=True)
    test_source_run = serializers.IntegerField(
        source="test_source_run_id",
        read_only=True,
        allow_null=True,
        help_text="A test run on a real event's data: the run it took it from.",
    )
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
            "test_data",
            "test_source_run",
            "test_sends_http",
            "merge_data",
            "steps",
            "emails",
            "sent_messages",
            "survey_responses",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class TestEventSerializer(serializers.Serializer):
    """What a test event runs on; an empty body is the registered customer's sample data."""

    data = serializers.ChoiceField(
        choices=[(value, label) for value, label in TestData.choices if value],
        default=TestData.REGISTERED,
        help_text="`registered` or `guest` sample data, or `run`: a real run's data.",
    )
    run = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="With `data` `run`: the id of one of the workflow's real runs.",
    )
    send_http = serializers.BooleanField(
        default=False,
        help_text="Perform the HTTP steps; otherwise each is recorded as not sent in a test.",
    )

    def validate(self, attrs):
        if attrs["data"] == TestData.RUN and "run" not in attrs:
            raise serializers.ValidationError({"run": ["Required when data is run."]})
        if attrs["data"] != TestData.RUN and "run" in attrs:
            raise serializers.ValidationError({"run": ["Only with data run."]})
        return attrs


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


class FilteredSerializer(serializers.Serializer):
    """A workflow whose trigger filter held the delivery back (no run), and why."""

    workflow = serializers.IntegerField(source="workflow_id")
    workflow_name = serializers.CharField(source="workflow.name")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class DeliveryDetailSerializer(DeliverySerializer):
    """One delivery, with the workflows whose trigger filter held it back."""

    filtered = serializers.SerializerMethodField()

    @extend_schema_field(FilteredSerializer(many=True))
    def get_filtered(self, delivery) -> list:
        return FilteredSerializer(filtering.for_delivery(delivery.pk), many=True).data

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "filtered"]
        read_only_fields = fields
