"""Survey API: ``GET, POST surveys/``, ``GET, PATCH, DELETE surveys/{id}/``; thin views over
``surveys.services``. Any account member may read; writing needs the Integration Manager
permission, as for workflows."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.mixins import AccountScopedMixin
from accounts.api.permissions import IntegrationManagerForWrites
from initiator_site.api_schema import VALIDATION_ERRORS
from surveys import results as survey_results
from surveys import services
from surveys.api.results import (
    PaginatedSurveyResponses,
    ResultsQuerySerializer,
    ResultsSerializer,
    SurveyResponseSerializer,
)
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

    @extend_schema(
        parameters=[ResultsQuerySerializer],
        responses={200: ResultsSerializer, 400: VALIDATION_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """The survey's results, by workflow and dates (test events left out)."""
        survey = self.get_object()
        query = ResultsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = survey_results.results(survey, query.window())
        return Response(ResultsSerializer(found).data)

    @extend_schema(
        parameters=[ResultsQuerySerializer],
        responses={200: PaginatedSurveyResponses, 400: VALIDATION_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def responses(self, request, pk=None):
        """The survey's responses, newest first, partial ones included (test events left
        out), by workflow and dates."""
        survey = self.get_object()
        query = ResultsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(query.window().responses(survey))
        return self.get_paginated_response(SurveyResponseSerializer(page, many=True).data)
