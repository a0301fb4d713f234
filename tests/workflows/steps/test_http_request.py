"""The http_request step against a real loopback server (127.0.0.1, port 0).

Network rule: every connection made by the outbound sender goes through a guard that fails the
test unless it targets loopback, and no DNS lookup may happen (URLs use IP literals). Tests of
private addresses assert that no connection was even attempted.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import SHIPMENT, make_ctx, sample_merge_data
from tests.servers import reply
from workflows.steps import STEP_KINDS

pytestmark = pytest.mark.usefixtures("connections")  # only loopback is ever connected to

http_request = STEP_KINDS["http_request"]
LOOPBACK = {"127.0.0.1", "::1"}
FIRST_NAME = "[BigCommerce | Customer | first_name]"


@pytest.fixture(autouse=True)
def no_dns(monkeypatch):
    """Numeric hosts are parsed, not looked up; a name would be a DNS query."""
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        assert host in LOOPBACK, f"test tried to resolve {host!r}"
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


@pytest.fixture
def allowlisted(settings, recording_server):
    settings.OUTBOUND_HTTP_ALLOWLIST = ["127.0.0.1"]
    return recording_server


def test_default_body_is_the_merge_data_as_json(allowlisted, connections):
    # given a POST step with no body, to an allowlisted loopback server
    config = http_request.validate(
        {"url": f"{allowlisted.base}/hook/[BigCommerce | Order | id]"}, SHIPMENT
    )
    merge_data = sample_merge_data(SHIPMENT)

    # when it runs
    outcome = http_request.execute(config, make_ctx(merge_data))

    # then the server got the run's merge data as JSON, and the step succeeded
    assert outcome.status == "succeeded", outcome.detail
    assert outcome.detail.startswith(f"POST {allowlisted.base}/hook/218 → 200")
    [received] = allowlisted.received
    assert received.method == "POST" and received.path == "/hook/218"
    assert received.header("Content-Type") == "application/json"
    assert json.loads(received.body) == merge_data
    assert connections == [("127.0.0.1", int(allowlisted.base.rsplit(":", 1)[1]))]


def test_query_values_are_url_encoded_and_headers_rendered(allowlisted):
    # given merge values that would change the URL if inserted raw
    hostile = "Jane & Co/../?admin=1#x @evil.example"
    merge_data = sample_merge_data(SHIPMENT, overrides={"Customer | first_name": hostile})
    config = http_request.validate(
        {
            "method": "put",
            "url": (
                f"{allowlisted.base}/orders?name=[BigCommerce | Customer | first_name]"
                "&total=[BigCommerce | Order | total_inc_tax]"
            ),
            "headers": {"X-Order-Id": "[BigCommerce | Order | id]", "X-Api-Key": "k-123"},
        },
        SHIPMENT,
    )

    # when it runs
    outcome = http_request.execute(config, make_ctx(merge_data))

    # then the values arrive intact as query parameters, nothing more
    assert outcome.status == "succeeded", outcome.detail
    [received] = allowlisted.received
    assert received.method == "PUT"
    parts = urlsplit(received.path)
    assert parts.path == "/orders"
    assert parse_qs(parts.query) == {"name": [hostile], "total": ["69.8400"]}
    assert received.header("X-Order-Id") == "218"
    assert received.header("X-Api-Key") == "k-123"
    # and the detail leaves out the query (it may carry an API key)
    assert "?…" in outcome.detail and "69.8400" not in outcome.detail


def test_header_values_cannot_split_headers(allowlisted):
    # given a customer name that tries to inject a header
    merge_data = sample_merge_data(
        SHIPMENT, overrides={"Customer | first_name": "Jane\r\nX-Evil: 1\r\n"}
    )
    config = http_request.validate(
        {"url": f"{allowlisted.base}/hook", "headers": {"X-Name": FIRST_NAME}}, SHIPMENT
    )

    # when it runs
    outcome = http_request.execute(config, make_ctx(merge_data))

    # then the value lost its line breaks and no extra header was sent
    assert outcome.status == "succeeded", outcome.detail
    [received] = allowlisted.received
    assert received.header("X-Name") == "JaneX-Evil: 1"
    assert received.header("X-Evil") is None


@pytest.mark.parametrize(
    "value",
    [
        'x", "admin": true, "y": "',
        "{{ settings.SECRET_KEY }}",
        "[BigCommerce | Customer | email]",
        "<script>alert(1)</script>",
        "line\r\nBcc: evil@x.com",
    ],
)
def test_json_body_template_keeps_values_inside_their_strings(allowlisted, value):
    # given a custom JSON body and a hostile first name
    merge_data = sample_merge_data(SHIPMENT, overrides={"Customer | first_name": value})
    body = '{"name": "[BigCommerce | Customer | first_name]", "order": [BigCommerce | Order | id]}'
    config = http_request.validate({"url": f"{allowlisted.base}/hook", "body": body}, SHIPMENT)

    # when it runs
    outcome = http_request.execute(config, make_ctx(merge_data))

    # then the body is valid JSON holding the value literally (no new keys, no re-rendering)
    assert outcome.status == "succeeded", outcome.detail
    [received] = allowlisted.received
    assert received.header("Content-Type") == "application/json"
    assert json.loads(received.body) == {"name": value, "order": 218}


def test_text_body_is_sent_as_text(allowlisted):
    config = http_request.validate(
        {"url": f"{allowlisted.base}/hook", "body": "Order [BigCommerce | Order | id] shipped"},
        SHIPMENT,
    )
    outcome = http_request.execute(config, make_ctx())
    assert outcome.status == "succeeded", outcome.detail
    [received] = allowlisted.received
    assert received.body == b"Order 218 shipped"
    assert received.header("Content-Type") == "text/plain; charset=utf-8"


def test_custom_content_type_is_kept(allowlisted):
    config = http_request.validate(
        {
            "url": f"{allowlisted.base}/hook",
            "headers": {"content-type": "application/vnd.api+json"},
            "body": '{"id": "[BigCommerce | Order | id]"}',
        },
        SHIPMENT,
    )
    outcome = http_request.execute(config, make_ctx())
    assert outcome.status == "succeeded", outcome.detail
    [received] = allowlisted.received
    assert received.header("Content-Type") == "application/vnd.api+json"
    assert json.loads(received.body) == {"id": "218"}


def test_get_sends_no_body(allowlisted):
    config = http_request.validate(
        {"method": "GET", "url": f"{allowlisted.base}/ping?order=[BigCommerce | Order | id]"},
        SHIPMENT,
    )
    outcome = http_request.execute(config, make_ctx())
    assert outcome.status == "succeeded", outcome.detail
    [received] = allowlisted.received
    assert (received.method, received.path, received.body) == ("GET", "/ping?order=218", b"")


def test_non_2xx_fails_with_status_and_excerpt(allowlisted):
    # given a server that answers 500
    allowlisted.routes["/hook"] = reply(
        500, "boom:\n  database   down " + "x" * 500, {"Content-Type": "text/plain; charset=utf-8"}
    )
    config = http_request.validate({"url": f"{allowlisted.base}/hook"}, SHIPMENT)

    # when it runs
    outcome = http_request.execute(config, make_ctx())

    # then the step failed, with the status and a short excerpt of the answer
    assert outcome.status == "failed"
    assert outcome.detail.startswith(f"POST {allowlisted.base}/hook → 500: boom: database down x")
    assert len(outcome.detail) < 300


def test_connection_refused_fails(settings, connections):
    # given an allowlisted loopback port nobody listens on
    settings.OUTBOUND_HTTP_ALLOWLIST = ["127.0.0.1"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = http_request.validate({"url": f"http://127.0.0.1:{port}/hook"}, SHIPMENT)

    # when / then
    outcome = http_request.execute(config, make_ctx())
    assert outcome.status == "failed"
    assert "could not connect" in outcome.detail


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.5]/hook",
        "http://127.0.0.1/hook",  # loopback, not allowlisted in this test
    ],
)
def test_private_addresses_are_refused_at_execution_without_connecting(settings, connections, url):
    # given a step that (somehow) holds a forbidden URL, and no allowlist
    settings.OUTBOUND_HTTP_ALLOWLIST = []
    config = {"method": "POST", "url": url, "headers": {}, "body": ""}

    # when it runs
    outcome = http_request.execute(config, make_ctx())

    # then it fails with the guard's reason, and no connection was attempted
    assert outcome.status == "failed"
    assert "refused" in outcome.detail
    assert connections == []


def test_metadata_address_is_refused_even_when_allowlisted(settings, connections):
    settings.OUTBOUND_HTTP_ALLOWLIST = ["169.254.169.254"]
    config = {"method": "GET", "url": "http://169.254.169.254/latest/", "headers": {}, "body": ""}
    outcome = http_request.execute(config, make_ctx())
    assert outcome.status == "failed" and "metadata" in outcome.detail
    assert connections == []


def test_merge_code_in_host_fails_at_execution_without_connecting(allowlisted, connections):
    # given an unvalidated config whose host is a merge code (saving refuses this)
    config = {
        "method": "POST",
        "url": "http://[BigCommerce | Customer | first_name]/hook",
        "headers": {},
        "body": "",
    }
    merge_data = sample_merge_data(SHIPMENT, overrides={"Customer | first_name": "127.0.0.1"})

    # when / then: the step fails before anything is sent
    outcome = http_request.execute(config, make_ctx(merge_data))
    assert outcome.status == "failed"
    assert "host" in outcome.detail
    assert connections == [] and allowlisted.received == []


def test_http_request_is_a_side_effect():
    assert http_request.has_side_effect is True
