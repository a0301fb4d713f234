"""Workflow and run API: thin views over `workflows.services` and `workflows.runs`."""

from __future__ import annotations

from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.mixins import AccountScopedMixin
from accounts.api.permissions import IntegrationManagerForWrites
from initiator_site.api_schema import ErrorSerializer
from integrations.models import WebhookSubscription
from workflows import runs, services, test_data
from workflows.api.serializers import (
    RunSerializer,
    SkipCountsQuerySerializer,
    SkipCountsSerializer,
    TestEventSerializer,
    WorkflowSerializer,
)
from workflows.filters import RunFilter
from workflows.models import SentEmail, SentMessage, Step, StepResult, Workflow, WorkflowRun
from workflows.sending import stats

RUNS = WorkflowRun.objects.select_related("workflow").prefetch_related(
    Prefetch("step_results", queryset=StepResult.objects.in_run_order()),
    Prefetch(
        "sent_emails",
        queryset=SentEmail.objects.select_related("step_result").order_by("sent_at", "pk"),
    ),
    Prefetch("sent_messages", queryset=SentMessage.objects.order_by("position", "id")),
    "survey_responses__survey",  # the surveys app's responses to the run's invitations
)


class WorkflowViewSet(AccountScopedMixin, viewsets.ModelViewSet):
    serializer_class = WorkflowSerializer
    permission_classes = [IntegrationManagerForWrites]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = (
        Workflow.objects.select_related("created_by", "authentication")
        .prefetch_related(Prefetch("steps", queryset=Step.objects.order_by("position")))
        .order_by("-created_at", "-id")
    )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["subscriptions"] = getattr(self, "_subscriptions", None)
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page and isinstance(page[0], Workflow):
            # One query for every workflow's subscription on the page (no N+1).
            subs = WebhookSubscription.objects.filter(
                authentication_id__in={w.authentication_id for w in page}
            )
            self._subscriptions = {(s.authentication_id, s.event): s for s in subs}
        return page

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        serializer.instance = services.create_workflow(
            account=self.request_account(),
            created_by=self.request.user,
            steps=fields.pop("steps", []),
            **fields,
        )

    def perform_update(self, serializer):
        fields = dict(serializer.validated_data)
        services.update_workflow(serializer.instance, steps=fields.pop("steps", None), **fields)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.delete_workflow(instance)

    def _respond(self, workflow, code=status.HTTP_200_OK):
        workflow = self.get_queryset().get(pk=workflow.pk)
        return Response(self.get_serializer(workflow).data, status=code)

    @extend_schema(request=None, responses=WorkflowSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Start listening: registers the BigCommerce hook if this is the first active one."""
        try:
            workflow = services.activate(self.get_object())
        except services.CannotActivate as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return self._respond(workflow)

    @extend_schema(request=None, responses=WorkflowSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Stop listening: removes the BigCommerce hook when no other active workflow needs it."""
        return self._respond(services.pause(self.get_object()))

    @extend_schema(request=TestEventSerializer, responses={201: RunSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Run the workflow now on sample data of its event (a registered customer or a guest)
        or on one of its real runs' data: delays skipped, emails only to you, HTTP steps sent
        only with `send_http`."""
        workflow = self.get_object()
        options = TestEventSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        choice = options.validated_data
        try:
            run = services.run_test_event(
                workflow,
                request.user,
                data=choice["data"],
                run_id=choice.get("run"),
                send_http=choice["send_http"],
            )
        except test_data.UnknownData as exc:
            return Response({"run": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(RunSerializer(RUNS.get(pk=run.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=RunSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="runs")
    def runs(self, request, pk=None):
        workflow = self.get_object()
        page = self.paginate_queryset(RUNS.filter(workflow=workflow).order_by("-created_at", "-id"))
        return self.get_paginated_response(RunSerializer(page, many=True).data)


class RunViewSet(
    AccountScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Runs of every workflow of the account, newest first, with the search's filters."""

    serializer_class = RunSerializer
    queryset = RUNS.order_by("-id")
    account_path = "workflow__account"
    permission_classes = [IntegrationManagerForWrites]
    filter_backends = [DjangoFilterBackend]
    filterset_class = RunFilter

    def filter_queryset(self, queryset):
        # The search is the list's; one run is found by its id alone.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @extend_schema(responses=SkipCountsSerializer)
    @action(detail=False, methods=["get"], url_path="skip-counts")
    def skip_counts(self, request):
        """The account's skipped runs per reason (suppressed, no_consent, ...); `?since=` an
        ISO-8601 time to count only the runs created from then on."""
        query = SkipCountsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        account = self.request_account()
        counts = stats.skip_counts(account.pk, since=query.validated_data.get("since"))
        return Response({"counts": counts, "total": sum(counts.values())})

    @extend_schema(request=None, responses={200: RunSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Run a failed run again from the step that failed."""
        try:
            run = runs.retry(self.get_object())
        except runs.NotRetryable as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(RUNS.get(pk=run.pk)).data)
