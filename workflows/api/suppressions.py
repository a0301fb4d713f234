"""Suppression list API: ``GET, POST suppressions/``, ``DELETE suppressions/{id}/``; thin views
over ``workflows.sending.suppressions``. Writes need the Integration Manager permission."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.mixins import AccountScopedMixin
from accounts.api.permissions import IntegrationManagerForWrites
from workflows.api.serializers import JobSerializer
from workflows.sending import suppression_import, suppressions
from workflows.sending.models import Suppression, SuppressionReason


class SuppressionSerializer(serializers.ModelSerializer):
    reason = serializers.ChoiceField(
        choices=SuppressionReason.choices, default=SuppressionReason.MANUAL
    )
    source = serializers.CharField(
        max_length=suppressions.MAX_SOURCE_LENGTH, required=False, allow_blank=True
    )

    class Meta:
        model = Suppression
        fields = ["id", "email", "reason", "source", "created_at"]
        read_only_fields = ["id", "created_at"]
        # The unique (account, email) rule is the service's: adding one twice is harmless.
        validators = []

    def validate_email(self, value):
        try:
            return suppressions.clean_address(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class ImportSerializer(serializers.Serializer):
    csv = serializers.CharField(
        max_length=suppressions.MAX_IMPORT_BYTES,
        trim_whitespace=False,
        help_text="The CSV's text: one row per address, email[,reason] (a header row "
        "'email,reason' is fine; the reason is manual when missing).",
    )


class SuppressionViewSet(
    AccountScopedMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The account's suppressed addresses (``?search=`` part of an address). POST adds one
    (201; 200 with the existing row when it is already there); DELETE removes one."""

    serializer_class = SuppressionSerializer
    permission_classes = [IntegrationManagerForWrites]
    queryset = Suppression.objects.order_by("-created_at", "-id")

    def get_queryset(self):
        rows = super().get_queryset()
        search = self.request.query_params.get("search", "").strip()
        return rows.filter(email__icontains=search.lower()) if search else rows

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row, created = suppressions.suppress(
            self.request_account().pk,
            data["email"],
            data["reason"],
            data.get("source") or f"API ({request.user.username})",
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(row).data, status=code)

    @extend_schema(
        operation_id="suppressions_import",
        request=ImportSerializer,
        responses={202: JobSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import", serializer_class=ImportSerializer)
    def import_csv(self, request):
        """Import a CSV into the list, as a job on the task cluster: its rows are checked now
        (refused ones are in the job's `errors`, by row number), then added; follow it at
        `jobs/{id}/`."""
        serializer = ImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = suppression_import.start(
            self.request_account(),
            request.user,
            serializer.validated_data["csv"],
            source=f"API import ({request.user.username})",
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
