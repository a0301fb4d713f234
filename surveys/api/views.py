"""Survey API: ``GET, POST surveys/``, ``GET, PATCH, DELETE surveys/{id}/``; thin views over
``surveys.services``. Any account member may read; writing needs the Integration Manager
permission, as for workflows."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from accounts.api.mixins import AccountScopedMixin
from accounts.api.permissions import IntegrationManagerForWrites
from surveys import services
from surveys.api.serializers import SurveySerializer
from surveys.models import Survey


class SurveyViewSet(
    AccountScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The account's surveys with their questions. PATCH with ``questions`` replaces the whole
    list; DELETE is refused (409) while a workflow's step invites to the survey."""

    serializer_class = SurveySerializer
    permission_classes = [IntegrationManagerForWrites]
    queryset = Survey.objects.select_related("created_by").prefetch_related("questions")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        serializer.instance = services.create_survey(
            account=self.request_account(),
            created_by=self.request.user,
            questions=fields.pop("questions"),
            **fields,
        )

    def perform_update(self, serializer):
        fields = dict(serializer.validated_data)
        services.update_survey(
            serializer.instance, questions=fields.pop("questions", None), **fields
        )
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(
        responses={
            204: None,
            409: inline_serializer(
                "SurveyInUse",
                {"detail": serializers.CharField(), "workflows": serializers.ListField()},
            ),
        }
    )
    def destroy(self, request, *args, **kwargs):
        survey = self.get_object()
        try:
            services.delete_survey(survey)
        except services.InUse as exc:
            return Response(
                {"detail": str(exc), "workflows": exc.workflow_names},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
