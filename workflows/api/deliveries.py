"""Deliveries API: the list with its search, and replay (one, or every failed and dead one
the list's filters select, as a job). Thin: the rules are `integrations.deliveries`' and
`workflows.replay`'s; a job's progress is at `GET jobs/{id}/`."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.api.mixins import AccountScopedMixin
from accounts.api.permissions import IntegrationManagerForWrites
from integrations import deliveries
from integrations.api.serializers import DeliverySerializer
from integrations.models import WebhookDelivery
from workflows import replay
from workflows.api.serializers import DeliveryDetailSerializer, DetailSerializer, JobSerializer
from workflows.filters import DeliveryFilter
from workflows.models import Job


class DeliveryViewSet(AccountScopedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = DeliverySerializer
    queryset = WebhookDelivery.objects.select_related("subscription").order_by("-id")
    account_path = "subscription__authentication__account"
    permission_classes = [IntegrationManagerForWrites]
    filter_backends = [DjangoFilterBackend]
    filterset_class = DeliveryFilter

    def get_serializer_class(self):
        return DeliveryDetailSerializer if self.action == "retrieve" else DeliverySerializer

    def filter_queryset(self, queryset):
        # The search is the list's; one delivery is found by its id alone.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @extend_schema(
        request=None,
        responses={
            200: DeliverySerializer,
            409: OpenApiResponse(DetailSerializer, description="Not failed or dead."),
        },
    )
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """Replay a failed or dead delivery: it is fetched again and fanned out; a workflow
        whose run for it succeeded is not run again, a failed run is retried. Unusable
        deliveries can't be replayed (their body can't be used)."""
        delivery = self.get_object()
        try:
            deliveries.replay(delivery)
        except deliveries.NotReplayable as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(self.get_queryset().get(pk=delivery.pk)).data)

    @extend_schema(
        operation_id="bigcommerce_deliveries_replay_matching",
        request=None,
        filters=True,
        responses={
            202: JobSerializer,
            409: OpenApiResponse(DetailSerializer, description="Nothing to replay."),
        },
    )
    @action(detail=False, methods=["post"], url_path="replay")
    def replay_matching(self, request):
        """Replay every failed and dead delivery that the list's filters (the same query
        parameters) select, as a job on the task cluster; follow it at `jobs/{id}/`."""
        try:
            job = replay.start(self.request_account(), request.user, request.query_params)
        except replay.InvalidFilters as exc:
            raise ValidationError(exc.errors) from None
        except replay.NothingToReplay as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class JobViewSet(AccountScopedMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A job's progress: `done` of `total`, and what could not be done."""

    serializer_class = JobSerializer
    queryset = Job.objects.select_related("created_by")
