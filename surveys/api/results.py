"""Serializers of a survey's results and responses over the API (`surveys/{id}/results/`,
`surveys/{id}/responses/`), and of their filters."""

from __future__ import annotations

from rest_framework import serializers

from surveys.models import SurveyResponse
from surveys.results import Window


class ResultsQuerySerializer(serializers.Serializer):
    workflow = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Only this workflow's."
    )
    created_after = serializers.DateField(
        required=False, help_text="Responses started on this day or later."
    )
    created_before = serializers.DateField(
        required=False, help_text="Responses started on this day or earlier."
    )

    def window(self) -> Window:
        data = self.validated_data
        return Window(data.get("workflow"), data.get("created_after"), data.get("created_before"))


class ScoreCountSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    responses = serializers.IntegerField()


class WeekSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="The week's Monday.")
    responses = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text="The week's NPS or average.")


class CommentSerializer(serializers.Serializer):
    response_id = serializers.IntegerField()
    order_id = serializers.IntegerField(allow_null=True)
    cart_id = serializers.CharField()
    question = serializers.CharField(help_text="The text question's key.")
    text = serializers.CharField()
    at = serializers.DateTimeField()


class ResultsSerializer(serializers.Serializer):
    """NPS (promoters − detractors, % of scored responses) or average rating, the
    distribution, the weekly trend, the response rate and the newest comments."""

    scale = serializers.CharField(help_text="nps, rating, or empty (no scale question first).")
    responses = serializers.IntegerField(help_text="Responses with a score.")
    nps = serializers.IntegerField(allow_null=True)
    average = serializers.FloatField(allow_null=True)
    outcomes = serializers.DictField(child=serializers.IntegerField())
    distribution = serializers.SerializerMethodField()
    weeks = WeekSerializer(many=True)
    invited = serializers.IntegerField()
    started = serializers.IntegerField()
    submitted = serializers.IntegerField()
    response_rate = serializers.FloatField(
        allow_null=True, help_text="Submitted as a % of invited."
    )
    comments = CommentSerializer(many=True)

    def get_distribution(self, found) -> list[dict]:
        rows = [{"score": score, "responses": n} for score, n in found.distribution]
        return ScoreCountSerializer(rows, many=True).data


class SurveyResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "workflow",
            "run",
            "order_id",
            "cart_id",
            "customer_id",
            "email",
            "answers",
            "score",
            "outcome",
            "started_at",
            "submitted_at",
        ]
        read_only_fields = fields


class PaginatedSurveyResponses(serializers.Serializer):
    """A page of responses, as every list of the API pages them."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SurveyResponseSerializer(many=True)
