"""Surveys over the API: a survey with its ordered questions. DRF checks the shapes; the rules
are ``surveys.definitions``' (the pages and the admin use them too)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from surveys import definitions
from surveys.models import Question, QuestionKind, Survey


class QuestionSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    text = serializers.CharField(max_length=definitions.MAX_QUESTION_LENGTH, trim_whitespace=False)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=definitions.MAX_CHOICE_LENGTH),
        max_length=definitions.MAX_CHOICES,
        required=False,
        help_text="The options of a choice or multi_choice question (2 to 20).",
    )
    required = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = Question
        fields = ["key", "kind", "text", "choices", "required"]
        extra_kwargs = {"key": {"validators": []}}


class SurveySerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(
        many=True,
        max_length=definitions.MAX_QUESTIONS,
        help_text="In order; the first one's answer is the score (nps, rating) and the outcome.",
    )
    thank_you_text = serializers.CharField(
        max_length=definitions.MAX_THANK_YOU_LENGTH, required=False, allow_blank=True
    )
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Survey
        fields = [
            "id",
            "name",
            "thank_you_text",
            "promoter_redirect_url",
            "passive_redirect_url",
            "detractor_redirect_url",
            "questions",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]

    def to_representation(self, survey):
        data = super().to_representation(survey)
        data["questions"] = QuestionSerializer(
            sorted(survey.questions.all(), key=lambda q: (q.position, q.pk)), many=True
        ).data
        return data

    def validate(self, attrs):
        questions = attrs.pop("questions", None)
        try:
            cleaned = definitions.check_survey(attrs, partial=self.instance is not None)
            if questions is not None:
                cleaned["questions"] = definitions.check_questions([dict(q) for q in questions])
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            raise serializers.ValidationError(detail) from None
        return cleaned
