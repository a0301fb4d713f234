"""``GET stats/?days=30``: the dashboard's figures for the caller's account (daily series,
per workflow, current problems). Thin: `workflows.dashboard` computes them."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import account_of
from initiator_site.api_schema import VALIDATION_ERRORS, ErrorSerializer
from workflows.alerts.models import AlertKind
from workflows.dashboard import problems, stats


class StatsQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=stats.MIN_DAYS,
        max_value=stats.MAX_DAYS,
        default=stats.DEFAULT_DAYS,
        help_text="How many UTC days, ending today.",
    )


class LineSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    values = serializers.ListField(child=serializers.IntegerField(), help_text="One per day.")


class SeriesSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    lines = LineSerializer(many=True)


class WorkflowStatsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    event = serializers.CharField()
    deliveries = serializers.IntegerField()
    runs = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    stopped = serializers.IntegerField()
    skipped = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    emails = serializers.IntegerField()
    failure_rate = serializers.FloatField(
        allow_null=True, help_text="Failed among succeeded and failed runs; null when none."
    )


class ProblemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    label = serializers.CharField()
    subject_key = serializers.CharField()
    detail = serializers.CharField()


class StatsSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    first = serializers.DateField()
    last = serializers.DateField()
    dates = serializers.ListField(child=serializers.DateField())
    series = SeriesSerializer(many=True)
    workflows = WorkflowStatsSerializer(many=True)
    problems = ProblemSerializer(many=True)


class StatsView(APIView):
    @extend_schema(
        operation_id="stats_retrieve",
        parameters=[StatsQuerySerializer],
        responses={
            200: StatsSerializer,
            400: VALIDATION_ERRORS,
            404: ErrorSerializer,
        },
        description="The last `days` UTC days of your account, as on the dashboard: each "
        "series' count per day (deliveries, runs by outcome with skips by reason, emails), "
        "each workflow's totals, and the current problems. 400 when `days` is not a whole "
        f"number from {stats.MIN_DAYS} to {stats.MAX_DAYS}; 404 for a user of no account.",
    )
    def get(self, request):
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        account = account_of(request.user)
        if account is None:
            raise NotFound("Your user belongs to no account.")
        now = timezone.now()
        win = stats.window(query.validated_data["days"], now)
        body = {
            "days": win.days,
            "first": win.first,
            "last": win.last,
            "dates": win.dates(),
            "series": stats.daily(account.pk, win),
            "workflows": stats.per_workflow(account.pk, win),
            "problems": [
                {"kind": p.kind, "label": p.label, "subject_key": p.subject_key, "detail": p.detail}
                for p in problems.current(account.pk, now)
            ],
        }
        return Response(StatsSerializer(body).data)
