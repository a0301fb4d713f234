"""The REST API's OpenAPI schema (drf-spectacular), with every operation's error answers.

Separate from `initiator_site.api`, which the REST framework's settings import while
drf-spectacular itself is being imported.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The API's error answer: what went wrong, in words."""

    detail = serializers.CharField()


# A 400's body: DRF's validation errors, by field ({"name": ["..."], "steps": {"0": ...}}), or a
# list of messages.
VALIDATION_ERRORS = {
    "oneOf": [
        {"type": "object", "additionalProperties": {}},
        {"type": "array", "items": {"type": "string"}},
    ],
    "description": "Validation errors by field (nested for initiator and steps), or messages.",
}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, with the error answers each operation can give documented:
    403 (not signed in, a bad token, or a BigCommerce write without the Integration Manager
    permission), 404 (not in your account, or no such page), 400 for POST and PATCH and for a
    filtered list's bad filter, and 413/415
    for operations that take a body. An operation's own extend_schema(responses=...) wins."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, (body, description) in self._error_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(body, code, direction=direction)
                responses[code]["description"] = description
        return responses

    def _error_responses(self) -> dict:
        errors = {
            "403": (
                ErrorSerializer,
                "Not signed in, a wrong token, or a BigCommerce write without the "
                "Integration Manager permission.",
            )
        }
        if "{" in self.path or (self._is_list_view() and self._get_paginator()):
            errors["404"] = (ErrorSerializer, "Not found in your account (or no such page).")
        if self.method in BODY_METHODS:
            errors["400"] = (VALIDATION_ERRORS, "The request is not valid; the body says why.")
        elif self._is_list_view() and getattr(self.view, "filterset_class", None) is not None:
            errors["400"] = (VALIDATION_ERRORS, "A filter's value is not valid; the body says why.")
        if self.method in BODY_METHODS and self.get_request_serializer() is not None:
            errors["413"] = (ErrorSerializer, "The body is over DATA_UPLOAD_MAX_MEMORY_SIZE.")
            errors["415"] = (ErrorSerializer, "The body is not JSON (application/json).")
        return errors
