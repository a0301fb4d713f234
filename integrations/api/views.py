"""REST API for BigCommerce authentications: thin views over plain services. (Deliveries are
listed and replayed by `workflows.api.deliveries`: their search and replay reach runs and the
task cluster.)"""

from __future__ import annotations

from django.db.models import Count
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.mixins import AccountScopedMixin
from accounts.api.permissions import IntegrationManagerForWrites
from integrations import authentications as service
from integrations.api.serializers import (
    AuthenticationSerializer,
    InitiatorSerializer,
    MergeCodesSerializer,
)
from integrations.events import EVENTS
from integrations.models import BigCommerceAuthentication


def verification_error(exc: service.VerificationFailed) -> ValidationError:
    return ValidationError({exc.field or "non_field_errors": [exc.message]})


class AuthenticationViewSet(AccountScopedMixin, viewsets.ModelViewSet):
    serializer_class = AuthenticationSerializer
    permission_classes = [IntegrationManagerForWrites]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    queryset = (
        BigCommerceAuthentication.objects.select_related("created_by")
        .annotate(workflow_count=Count("workflows"))
        .order_by("name", "id")
    )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request.user.is_authenticated:
            context["account"] = self.request.user.account
        return context

    def perform_create(self, serializer):
        try:
            serializer.instance = service.create_authentication(
                account=self.request_account(),
                created_by=self.request.user,
                **serializer.validated_data,
            )
        except service.VerificationFailed as exc:
            raise verification_error(exc) from None
        serializer.instance.workflow_count = 0

    def perform_update(self, serializer):
        try:
            service.update_authentication(serializer.instance, **serializer.validated_data)
        except service.VerificationFailed as exc:
            raise verification_error(exc) from None

    @extend_schema(
        responses={
            204: None,
            409: inline_serializer(
                "AuthenticationInUse",
                {"detail": serializers.CharField(), "workflows": serializers.ListField()},
            ),
        }
    )
    def destroy(self, request, *args, **kwargs):
        try:
            service.delete_authentication(self.get_object())
        except service.AuthenticationInUse as exc:
            return Response(
                {"detail": str(exc), "workflows": exc.workflow_names},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=AuthenticationSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Check the stored credentials against BigCommerce again and record the result."""
        auth = service.reverify(self.get_object())
        auth.workflow_count = auth.workflows.count()
        return Response(self.get_serializer(auth).data)


class InitiatorListView(APIView):
    """The initiators a workflow can start from, with their events."""

    @extend_schema(responses=InitiatorSerializer(many=True))
    def get(self, request):
        data = {
            "key": "bigcommerce",
            "name": "BigCommerce",
            "events": [
                {"key": e.key, "name": e.name, "scope": e.scope, "description": e.description}
                for e in EVENTS.values()
            ],
        }
        return Response([data])


class MergeCodesView(APIView):
    """The exact merge codes an event provides, in order."""

    @extend_schema(responses=MergeCodesSerializer)
    def get(self, request, event):
        if event not in EVENTS:
            raise NotFound(f"Unknown event {event!r}; valid events: {', '.join(EVENTS)}.")
        return Response({"event": event, "merge_codes": list(EVENTS[event].merge_codes)})
