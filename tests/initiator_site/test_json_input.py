"""The one JSON parser for outside input (initiator_site.json_input): bounded size and depth."""

import time

import pytest
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput

from initiator_site import json_input
from initiator_site.json_input import BoundedJSONField, JSONInputError, loads


def nested(depth: int, open_: str = "[", close: str = "]", inner: str = "") -> str:
    return open_ * depth + inner + close * depth


@pytest.fixture(autouse=True)
def _depth(settings):
    settings.JSON_MAX_DEPTH = 32


def test_values_within_the_limits_parse_as_json():
    assert loads('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert loads(b'{"caf\xc3\xa9": 1}') == {"café": 1}
    assert loads(nested(32)) is not None


@pytest.mark.parametrize("depth", [33, 1_100, 100_000])
@pytest.mark.parametrize(("open_", "close", "inner"), [("[", "]", ""), ('{"a":', "}", "1")])
def test_nesting_beyond_the_limit_is_refused_naming_it(depth, open_, close, inner):
    # Given arrays or objects nested past JSON_MAX_DEPTH
    text = nested(depth, open_, close, inner)
    started = time.monotonic()
    # When parsed
    with pytest.raises(JSONInputError) as caught:
        loads(text)
    # Then the error names the limit, and nothing deep was built (quickly, without recursion)
    assert caught.value.kind == json_input.DEPTH
    assert "more than 32 levels deep" in caught.value.message
    assert time.monotonic() - started < 1


def test_unbalanced_brackets_are_refused_too():
    with pytest.raises(JSONInputError) as caught:
        loads("[" * 60_000)
    assert caught.value.kind == json_input.DEPTH


def test_brackets_inside_strings_do_not_count():
    # Given 500 brackets and an escaped quote inside strings, and 2 real levels of arrays
    text = '{"a": "' + "[" * 500 + '", "b": "\\"[[[[", "c": [[]]}'
    # Then it nests 3 deep and parses
    assert loads(text)["a"] == "[" * 500


def test_the_depth_setting_is_the_limit(settings):
    settings.JSON_MAX_DEPTH = 3
    assert loads(nested(3)) == [[[]]]
    with pytest.raises(JSONInputError, match="more than 3 levels"):
        loads(nested(4))


@pytest.mark.parametrize(
    "text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e400", "[-1e999]", "1" * 5000]
)
def test_nan_infinity_and_numbers_beyond_a_float_are_refused(text):
    with pytest.raises(JSONInputError) as caught:
        loads(text)
    assert caught.value.kind == json_input.SYNTAX


@pytest.mark.parametrize("data", [b"", b"not json", b'{"a": ', b"{}{}", "\ufeff{}".encode()])
def test_bad_json_says_so_without_echoing_it(data):
    with pytest.raises(JSONInputError) as caught:
        loads(data, what="The body")
    assert caught.value.kind == json_input.SYNTAX
    assert caught.value.message.startswith("The body is not valid JSON")
    assert "not json" not in caught.value.message


def test_bytes_must_be_utf8():
    with pytest.raises(JSONInputError) as caught:
        loads(b'{"a": "\xff"}')
    assert caught.value.kind == json_input.ENCODING


def test_the_size_limit_is_checked_first_and_named():
    with pytest.raises(JSONInputError) as caught:
        loads(b"[" + b" " * 2000 + b"]", max_bytes=1000)
    assert caught.value.kind == json_input.SIZE
    assert "over the limit of 1000 bytes" in caught.value.message
    assert loads(b"[" + b" " * 998 + b"]", max_bytes=1000) == []


# --- the admin's form field ------------------------------------------------------------------


def test_the_form_field_refuses_deep_json_as_a_validation_error():
    field = BoundedJSONField()
    with pytest.raises(ValidationError) as caught:
        field.clean(nested(1_100))
    assert "more than 32 levels deep" in " ".join(caught.value.messages)


def test_the_form_field_parses_what_django_would():
    field = BoundedJSONField()
    assert field.clean('{"to": "a@example.com"}') == {"to": "a@example.com"}
    assert field.clean('"text"') == "text"
    assert isinstance(field.bound_data(nested(5_000), None), InvalidJSONInput)
