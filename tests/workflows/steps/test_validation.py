"""Saving steps: per-field errors, merge codes known to the event, size caps, the step list.

No DNS lookups happen at save time: a fixture fails any test that resolves a name.
"""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from tests.factories import ABANDONED, SHIPMENT
from tests.servers import FakeResolver
from workflows.models import StepType
from workflows.steps import (
    MAX_STEPS_PER_WORKFLOW,
    STEP_KINDS,
    StepOutcome,
    StepsValidationError,
    get_kind,
    validate_step,
    validate_steps,
)

EMAIL_OK = {"to": "[BigCommerce | Customer | email]", "subject": "Hi", "body": "Thanks"}
HOOK = "https://hooks.example.com/orders/[BigCommerce | Order | id]"


@pytest.fixture(autouse=True)
def no_dns(monkeypatch):
    """Validation resolves a URL's host once, from a fake resolver here (it knows no name)."""
    monkeypatch.setattr(socket, "getaddrinfo", FakeResolver())


def errors_of(step_type: str, config: object, event_key: str = SHIPMENT) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        validate_step(step_type, config, event_key)
    return caught.value.message_dict


# --- the registry ---------------------------------------------------------------------------


def test_every_step_type_has_a_kind():
    assert set(STEP_KINDS) == set(StepType.values)
    for step_type, kind in STEP_KINDS.items():
        assert kind.type == step_type
        assert get_kind(StepType(step_type)) is kind


def test_unknown_step_type_lists_valid_types():
    # when / then
    with pytest.raises(ValidationError) as caught:
        get_kind("send_sms")
    [message] = caught.value.messages
    assert "'send_sms'" in message
    assert "condition, send_email, http_request, delay" in message
    assert errors_of("send_sms", {}) == {"type": [message]}


@pytest.mark.parametrize("step_type", list(STEP_KINDS))
def test_config_must_be_an_object(step_type):
    errors = errors_of(step_type, ["not", "an", "object"])
    assert list(errors) == ["__all__"]


def test_unknown_event_is_refused():
    assert "__all__" in errors_of("delay", {"amount": 1, "unit": "days"}, "order_placed")


# --- send_email -----------------------------------------------------------------------------


def test_valid_email_is_cleaned():
    # given loose spacing, an omitted format
    config = {"to": " [BigCommerce | Customer | email] , team@example.com ", "subject": " Hi "}
    cleaned = validate_step("send_email", config | {"body": "  Thanks\n"}, SHIPMENT)

    # then text is trimmed (bodies are kept as written) and format defaults to text
    assert cleaned == {
        "to": "[BigCommerce | Customer | email] , team@example.com",
        "subject": "Hi",
        "body": "  Thanks\n",
        "format": "text",
    }


@pytest.mark.parametrize("field", ["to", "subject", "body"])
def test_email_fields_are_required(field):
    config = dict(EMAIL_OK)
    del config[field]
    assert errors_of("send_email", config) == {field: ["this field is required."]}


def test_unknown_merge_code_names_the_field_and_lists_valid_codes():
    # given a typo in the body, for a cart event (which has no Order codes)
    config = EMAIL_OK | {"body": "Hi [BigCommerce | Customer | frist_name]"}

    # when it is saved
    errors = errors_of("send_email", config, ABANDONED)

    # then the error is on "body", suggests the right code and lists the event's codes
    [message] = errors["body"]
    assert "[BigCommerce | Customer | frist_name]" in message
    assert "did you mean [BigCommerce | Customer | first_name]?" in message
    assert "Valid codes: [BigCommerce | Cart | base_amount]" in message
    assert "Order" not in message


@pytest.mark.parametrize(
    "to",
    [
        "jane",
        "jane@example.com; bob@example.com",
        "Jane <jane@example.com>",
        "jane@example.com,,bob@example.com",
        "[BigCommerce | Customer | email]@example.com",
        "x[BigCommerce | Customer | email]",
    ],
)
def test_to_must_be_addresses_or_merge_codes(to):
    assert "to" in errors_of("send_email", EMAIL_OK | {"to": to})


def test_to_with_unknown_code_reports_the_code():
    [message] = errors_of("send_email", EMAIL_OK | {"to": "[BigCommerce | Customer | mail]"})["to"]
    assert "Unknown merge code" in message


@pytest.mark.parametrize("subject", ["Hi\r\nBcc: evil@x.com", "Hi\nthere", "Hi\x00"])
def test_subject_must_be_one_line(subject):
    errors = errors_of("send_email", EMAIL_OK | {"subject": subject})
    assert errors == {"subject": ["must be one line (no line breaks or control characters)."]}


@pytest.mark.parametrize(("field", "limit"), [("to", 1000), ("subject", 500), ("body", 50_000)])
def test_email_size_caps(field, limit):
    # "to" at its limit: 71 addresses of 13 characters, a comma after each, and "a@b.co"
    at_limit = "a@example.com," * 71 + "a@b.co" if field == "to" else "x" * limit
    validate_step("send_email", EMAIL_OK | {field: at_limit}, SHIPMENT)
    errors = errors_of("send_email", EMAIL_OK | {field: at_limit + "x"})
    assert errors[field] == [f"at most {limit} characters (this has {limit + 1})."]


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (EMAIL_OK | {"format": "markdown"}, "format"),
        (EMAIL_OK | {"cc": "boss@example.com"}, "cc"),
        (EMAIL_OK | {"subject": 42}, "subject"),
        (EMAIL_OK | {"to": ["jane@example.com"]}, "to"),
    ],
)
def test_email_field_errors(config, field):
    assert field in errors_of("send_email", config)


def test_every_problem_is_reported_at_once():
    errors = errors_of("send_email", {"to": "nobody", "subject": "a\nb", "format": "pdf"})
    assert set(errors) == {"to", "subject", "body", "format"}


# --- http_request ---------------------------------------------------------------------------


def test_valid_http_request_is_cleaned():
    cleaned = validate_step(
        "http_request",
        {"url": HOOK, "headers": {"Authorization": "Bearer [BigCommerce | Order | id]"}},
        SHIPMENT,
    )
    assert cleaned == {
        "method": "POST",
        "url": HOOK,
        "headers": {"Authorization": "Bearer [BigCommerce | Order | id]"},
        "body": "",
    }


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/x", "https://"),
        ("file:///etc/passwd", "https://"),
        ("javascript:alert(1)", "https://"),
        ("//example.com/x", "https://"),
        ("example.com/x", "https://"),
        ("https://user:s3cret@example.com/x", "credentials"),
        ("https:///x", "host"),
        ("https://example.com:99999/x", "port"),
        ("https://exa mple.com/x", "spaces"),
        ("https://example.com\\@evil.com/x", "backslashes"),
        ("http://example.com/x", "https://"),  # http only for allowlisted hosts
        ("https://[BigCommerce | Customer | company]/x", "after the host"),
        ("https://[BigCommerce | Customer | company].example.com/x", "after the host"),
        ("https://example.com:[BigCommerce | Order | id]/x", "after the host"),
        ("https://example.com/[BigCommerce | Order | nope]", "Unknown merge code"),
    ],
)
def test_bad_urls_are_refused(url, fragment):
    [message] = errors_of("http_request", {"url": url})["url"]
    assert fragment in message
    assert "s3cret" not in message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://10.0.0.5/hook", "private"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://[::1]/hook", "loopback"),
        ("https://[fd00::1]/hook", "private"),
        ("https://0x7f.1/hook", "non-standard"),
        ("https://2130706433/hook", "non-standard"),
        ("https://100.64.0.1/hook", "carrier-grade NAT"),
    ],
)
def test_forbidden_ip_literals_are_refused_at_save(settings, url, reason):
    settings.OUTBOUND_HTTP_ALLOWLIST = []
    [message] = errors_of("http_request", {"url": url})["url"]
    assert reason in message


def test_allowlisted_hosts_may_use_http_and_private_addresses(settings):
    settings.OUTBOUND_HTTP_ALLOWLIST = ["127.0.0.1:8080", "intranet.local"]
    for url in ("http://127.0.0.1:8080/hook", "http://intranet.local/x", "https://8.8.8.8/x"):
        assert validate_step("http_request", {"url": url}, SHIPMENT)["url"] == url
    # the allowlist entry with a port covers that port only
    assert "url" in errors_of("http_request", {"url": "http://127.0.0.1:9090/hook"})


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ("Authorization: x", "must be an object"),
        ({"Bad Name": "x"}, "not valid as a header name"),
        ({"X-A:": "x"}, "not valid as a header name"),
        ({"Host": "evil.com"}, "set automatically"),
        ({"Content-Length": "1"}, "set automatically"),
        ({"X-A": "1", "x-a": "2"}, "given twice"),
        ({"X-A": "line\r\nX-B: 2"}, "one line"),
        ({"X-A": 5}, "must be text"),
        ({"X-A": "x" * 1001}, "at most 1000 characters"),
        ({"X-A": "[BigCommerce | Order | nope]"}, "Unknown merge code"),
        ({f"X-{i}": "v" for i in range(21)}, "at most 20 headers"),
    ],
)
def test_bad_headers_are_refused(headers, fragment):
    messages = errors_of("http_request", {"url": HOOK, "headers": headers})["headers"]
    assert any(fragment in message for message in messages), messages


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"url": HOOK, "method": "TRACE"}, "method"),
        ({"url": HOOK, "method": ["GET"]}, "method"),
        ({"url": HOOK, "method": "GET", "body": "x"}, "body"),
        ({"url": HOOK, "body": "x" * 50_001}, "body"),
        ({"url": HOOK, "body": "[BigCommerce | Cart | id]"}, "body"),
        ({"url": "https://example.com/" + "x" * 2000}, "url"),
        ({}, "url"),
        ({"url": HOOK, "timeout": 5}, "timeout"),
    ],
)
def test_http_request_field_errors(config, field):
    assert field in errors_of("http_request", config)


def test_method_is_normalised():
    cleaned = validate_step("http_request", {"url": HOOK, "method": " patch "}, SHIPMENT)
    assert cleaned["method"] == "PATCH"


# --- a workflow's step list -----------------------------------------------------------------


def test_validate_steps_cleans_in_order():
    steps = [
        {
            "type": "condition",
            "config": {
                "rules": [
                    {
                        "merge_code": "BigCommerce | Order | total_inc_tax",
                        "operator": "gt",
                        "value": 50,
                    }
                ]
            },
        },
        {"type": "delay", "config": {"amount": 3, "unit": "days"}, "position": 1},
        {"type": StepType.SEND_EMAIL, "config": EMAIL_OK},
    ]
    cleaned = validate_steps(steps, SHIPMENT)
    assert [step["type"] for step in cleaned] == ["condition", "delay", "send_email"]
    assert cleaned[1] == {"type": "delay", "config": {"amount": 3, "unit": "days"}}
    assert cleaned[2]["config"]["format"] == "text"


def test_validate_steps_reports_errors_by_index():
    # given a list with a valid step, a bad email step and an unknown type
    steps = [
        {"type": "delay", "config": {"amount": 1, "unit": "hours"}},
        {"type": "send_email", "config": EMAIL_OK | {"to": "nobody"}},
        {"type": "fax", "config": {}},
        "delay",
    ]

    # when the list is validated
    with pytest.raises(StepsValidationError) as caught:
        validate_steps(steps, SHIPMENT)
    error = caught.value

    # then each bad step is reported under its index and field
    assert set(error.by_index) == {1, 2, 3}
    assert list(error.by_index[1]["config"]) == ["to"]
    assert "type" in error.by_index[2]
    assert error.as_list()[0] == {} and len(error.as_list()) == 4
    # and as a plain Django error, readable messages under "steps"
    messages = error.message_dict["steps"]
    assert messages[0].startswith("Step 2 (Send email) · to: 'nobody' is neither")
    assert messages[1].startswith("Step 3 · type: Unknown step type 'fax'")
    assert messages[2] == "Step 4: must be an object with 'type' and 'config'."


def test_step_count_is_capped():
    step = {"type": "delay", "config": {"amount": 1, "unit": "days"}}
    assert len(validate_steps([step] * MAX_STEPS_PER_WORKFLOW, SHIPMENT)) == 50
    with pytest.raises(ValidationError) as caught:
        validate_steps([step] * (MAX_STEPS_PER_WORKFLOW + 1), SHIPMENT)
    assert caught.value.message_dict == {"steps": ["at most 50 steps per workflow (got 51)."]}


def test_steps_must_be_a_list():
    with pytest.raises(ValidationError) as caught:
        validate_steps({"type": "delay"}, SHIPMENT)
    assert "steps" in caught.value.message_dict


def test_empty_step_list_is_valid():
    assert validate_steps([], SHIPMENT) == []


# --- outcomes ---------------------------------------------------------------------------------


def test_outcome_invariants():
    with pytest.raises(ValueError):
        StepOutcome("done", "typo in a status")
    with pytest.raises(ValueError):
        StepOutcome("waiting", "no resume_at")
    long = StepOutcome("failed", "x" * 5000)
    assert len(long.detail) == 2000 and long.detail.endswith("…")
