"""The REST API's body parsing and error handling, for every endpoint (REST_FRAMEWORK settings).

Bodies are JSON only, parsed by `initiator_site.json_input` (bounded size and depth); a body
over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 in the API's own JSON error shape, not Django's
HTML 400. The schema documents these answers (`initiator_site.api_schema`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.views import exception_handler as drf_exception_handler

from initiator_site import json_input


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self) -> None:
        super().__init__(f"The request body is over the limit of {max_body_bytes()} bytes.")


def max_body_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the app's limits: at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes,
    ``JSON_MAX_DEPTH`` levels, no NaN/Infinity — a clear 400 (413 for size) otherwise."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            "".encode(encoding)  # only text codecs (bz2_codec & co would inflate the body)
        except (LookupError, UnicodeError):
            raise ParseError(f"Unsupported charset {encoding[:40]!r} in Content-Type.") from None
        limit = max_body_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge()
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(f"JSON parse error - the body is not text in {encoding}.") from None
        try:
            return json_input.loads(text, what="The body")
        except json_input.JSONInputError as exc:
            raise ParseError(f"JSON parse error - {exc.message}") from None


def exception_handler(exc, context):
    """DRF's handler, plus Django's body-size refusal turned into the API's 413."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    return drf_exception_handler(exc, context)
