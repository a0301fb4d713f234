"""Serializers for BigCommerce objects. Secrets are write-only; reads show 4-character hints."""

from __future__ import annotations

from rest_framework import serializers

from integrations.models import BigCommerceAuthentication, WebhookDelivery, store_hash_validator

MAX_SECRET_LENGTH = 256


class AuthenticationSerializer(serializers.ModelSerializer):
    client_id = serializers.CharField(
        write_only=True, max_length=MAX_SECRET_LENGTH, trim_whitespace=True
    )
    access_token = serializers.CharField(
        write_only=True, max_length=MAX_SECRET_LENGTH, trim_whitespace=True
    )
    store_hash = serializers.CharField(max_length=64, validators=[store_hash_validator])
    client_id_hint = serializers.CharField(read_only=True)
    access_token_hint = serializers.CharField(read_only=True)
    workflow_count = serializers.IntegerField(read_only=True)
    # null once the user who created it is deleted
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = BigCommerceAuthentication
        fields = [
            "id",
            "name",
            "store_hash",
            "store_name",
            "client_id",
            "access_token",
            "client_id_hint",
            "access_token_hint",
            "status",
            "status_detail",
            "last_verified_at",
            "workflow_count",
            "created_by",
            "created_at",
        ]
        read_only_fields = [
            "store_name",
            "status",
            "status_detail",
            "last_verified_at",
            "created_at",
        ]

    def validate_name(self, value):
        account = self.context["account"]
        qs = BigCommerceAuthentication.objects.filter(account=account, name=value)
        if self.instance is not None:
            qs = qs.exclude(pk=self.instance.pk)
        if qs.exists():
            raise serializers.ValidationError(
                "Your account already has an authentication with this name."
            )
        return value


class DeliverySerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="subscription.event", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "scope",
            "event",
            "store_hash",
            "hash",
            "order_id",
            "origin",
            "status",
            "attempts",
            "last_error",
            "note",
            "received_at",
            "processed_at",
        ]
        read_only_fields = fields


class EventSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    scope = serializers.CharField()
    description = serializers.CharField()


class InitiatorSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    events = EventSerializer(many=True)


class MergeCodesSerializer(serializers.Serializer):
    event = serializers.CharField()
    merge_codes = serializers.ListField(child=serializers.CharField())
