"""The one way JSON from outside is parsed: bounded in size and nesting depth.

API bodies (the REST framework's parser, `initiator_site.api`), webhook deliveries
(`integrations.payloads`), BigCommerce's replies (`integrations.bigcommerce.client`) and step
configs typed into the admin (`BoundedJSONField`) all go through `loads`. Nothing nested
deeper than ``JSON_MAX_DEPTH`` is ever built (Python's parser would raise RecursionError past
about a thousand levels, and code walking a deep value recursively fails sooner), NaN and
Infinity are refused, and so is a number too large for a float (it would become ``inf``, which
neither the API's renderer nor PostgreSQL's jsonb accepts). Every refusal is a `JSONInputError`
whose message says which limit was hit.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from django import forms
from django.core.exceptions import ImproperlyConfigured

DEFAULT_MAX_DEPTH = 32

SYNTAX, ENCODING, DEPTH, SIZE = "syntax", "encoding", "depth", "size"

# A JSON string, escapes included (unrolled so that long strings don't backtrack).
_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS_RE = re.compile(r"[^\[\]{}]+")
_LEVEL = {"[": 1, "{": 1, "]": -1, "}": -1}


class JSONInputError(ValueError):
    """JSON we refuse. ``kind`` is SYNTAX, ENCODING, DEPTH or SIZE; ``message`` is safe to
    return to whoever sent it (it never echoes the input)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


def max_depth() -> int:
    """``JSON_MAX_DEPTH`` (levels of arrays and objects), or its default."""
    from django.conf import settings

    try:
        return int(getattr(settings, "JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))
    except ImproperlyConfigured:  # Django not configured (a bare script)
        return DEFAULT_MAX_DEPTH


def depth_exceeds(text: str, limit: int) -> bool:
    """Whether arrays and objects in ``text`` nest more than ``limit`` deep — found without
    parsing, in linear time (brackets inside strings don't count)."""
    if text.count("[") + text.count("{") <= limit:  # the usual answer, in one C-speed pass
        return False
    skeleton = _NOT_BRACKETS_RE.sub("", _STRING_RE.sub("", text))
    return max(accumulate(map(_LEVEL.__getitem__, skeleton)), default=0) > limit


def loads(
    data: bytes | str,
    *,
    max_bytes: int | None = None,
    depth: int | None = None,
    what: str = "The body",
) -> Any:
    """Parse ``data`` (bytes are UTF-8) within ``max_bytes`` (None: no size limit) and
    ``depth`` levels (default ``JSON_MAX_DEPTH``); `JSONInputError` otherwise."""
    limit = max_depth() if depth is None else depth
    size = len(data)  # bytes, or characters of text (never more than its UTF-8 bytes)
    if max_bytes is not None and size > max_bytes:
        raise JSONInputError(f"{what} is over the limit of {max_bytes} bytes.", SIZE)
    if isinstance(data, bytes | bytearray):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise JSONInputError(f"{what} is not JSON encoded as UTF-8.", ENCODING) from None
    else:
        text = data
    if depth_exceeds(text, limit):
        raise JSONInputError(
            f"{what} nests arrays and objects more than {limit} levels deep (the limit).", DEPTH
        )
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:  # not reachable within the depth limit; kept as a last guard
        raise JSONInputError(
            f"{what} nests arrays and objects more than {limit} levels deep (the limit).", DEPTH
        ) from None
    except ValueError as exc:  # bad JSON, NaN/Infinity, a huge number, a lone BOM...
        raise JSONInputError(f"{what} is not valid JSON: {_reason(exc)}", SYNTAX) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("a number is too large")
    return number


def _reason(exc: ValueError) -> str:
    """What json said, without the input (a JSONDecodeError's message has only positions)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (line {exc.lineno}, column {exc.colno})."
    text = str(exc)
    return (text[:200] + ".") if text else "unreadable."


class BoundedJSONField(forms.JSONField):
    """Django's form JSONField, parsing with `loads` (the admin's step config editor)."""

    default_error_messages = {"invalid": "%(value)s"}

    def to_python(self, value):
        if self.disabled:
            return value
        if value in self.empty_values:
            return None
        if isinstance(value, list | dict | int | float | forms.fields.JSONString):
            return value
        try:
            converted = loads(value, max_bytes=_form_max_bytes(), what="The value")
        except JSONInputError as exc:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": exc.message}
            ) from None
        if isinstance(converted, str):
            return forms.fields.JSONString(converted)
        return converted

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return loads(data, max_bytes=_form_max_bytes())
        except JSONInputError:
            return forms.fields.InvalidJSONInput(data)


def _form_max_bytes() -> int:
    from django.conf import settings

    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
