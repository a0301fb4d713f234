"""send_request: the outbound HTTP client of workflow `http_request` steps.

Network rule for this file: only a loopback test server ever receives traffic. DNS is always a
fake resolver, and every socket connect goes through a guard that fails the test if it targets
anything but 127.0.0.1 / ::1. Tests about public or private targets patch the connection.
"""

from __future__ import annotations

import gzip
import json
import socket
import ssl

import pytest
import urllib3.connection
from urllib3.util import connection as urllib3_connection

from tests.servers import OK, redirect, respond
from workflows.outbound import (
    OutboundError,
    OutboundPolicy,
    OutboundRefused,
    send_request,
)
from workflows.outbound import http as outbound_http

# --- the loopback test server, its allowlist, and the network guards -----------------------

pytestmark = pytest.mark.usefixtures("resolver", "connections")


@pytest.fixture
def server(recording_server):
    return recording_server


@pytest.fixture
def policy(server):
    return OutboundPolicy([f"127.0.0.1:{server.port}"])


@pytest.fixture(autouse=True)
def _localhost(resolver):
    """No real DNS in this file: literals and a small table only."""
    resolver.table["localhost"] = ["127.0.0.1"]


# --- the happy path ---------------------------------------------------------------------------


def test_sends_method_headers_and_body_to_allowlisted_loopback_server(server, policy):
    # Given a loopback server that answers 201 with a header and a body
    server.routes["/hook"] = lambda h: respond(
        h, 201, b'{"id": 7}', {"Content-Type": "application/json", "X-Reply": "yes"}
    )
    payload = json.dumps({"order_id": 42}).encode()

    # When a POST with custom headers is sent
    response = send_request(
        "post",
        server.url("/hook?source=bc"),
        headers={"Content-Type": "application/json", "X-Api-Key": "k-123", "X-Attempt": 1},
        body=payload,
        policy=policy,
    )

    # Then the server received exactly that request
    [received] = server.received
    assert received.method == "POST"
    assert received.path == "/hook?source=bc"
    assert received.body == payload
    assert received.headers["X-Api-Key"] == "k-123"
    assert received.headers["X-Attempt"] == "1"
    assert received.headers["Host"] == f"127.0.0.1:{server.port}"
    assert received.headers["User-Agent"].startswith("bigcommerce-workflow-initiator/")

    # And the response is reported
    assert response.status_code == 201
    assert response.headers["X-Reply"] == "yes"
    assert response.body_excerpt == '{"id": 7}'
    assert response.final_url == server.url("/hook?source=bc")
    assert response.truncated is False
    assert response.elapsed_ms >= 0


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_every_allowed_method_reaches_the_server(server, policy, method):
    # When each allowed method is used / Then the server sees it, with a str body UTF-8 encoded
    response = send_request(method, server.url("/m"), body="é", policy=policy)

    assert response.status_code == 200
    assert server.received[0].method == method
    assert server.received[0].body == "é".encode()


def test_allowlisted_name_keeps_host_header_and_is_resolved_once(server, resolver, connections):
    # Given "localhost" on the allowlist, resolved by the (fake) DNS to 127.0.0.1
    policy = OutboundPolicy(["localhost"])

    # When a request is sent to it by name
    send_request("GET", server.url("/n", host="localhost"), policy=policy)

    # Then the name was looked up once, the socket went to the checked IP,
    # and the Host header still carries the name
    assert resolver.name_lookups == ["localhost"]
    assert connections == [("127.0.0.1", server.port)]
    assert server.received[0].headers["Host"] == f"localhost:{server.port}"


def test_environment_proxies_are_ignored(server, policy, monkeypatch):
    # Given proxy variables pointing at a (closed) loopback port
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")

    # When a request is sent / Then it goes straight to the server
    assert send_request("GET", server.url("/p"), policy=policy).status_code == 200
    assert len(server.received) == 1


# --- refusals before any connection ---------------------------------------------------------


def test_loopback_not_on_allowlist_is_refused_before_connecting(server, connections):
    # Given an empty allowlist
    # When the loopback server is called / Then the policy refuses and nothing connects
    with pytest.raises(OutboundRefused, match="only https URLs"):
        send_request("GET", server.url("/"), policy=OutboundPolicy([]))
    with pytest.raises(OutboundRefused, match="loopback address"):
        send_request("GET", f"https://127.0.0.1:{server.port}/", policy=OutboundPolicy([]))
    assert connections == []
    assert server.received == []


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "OPTIONS", "HEAD", "", "GET /x"])
def test_other_methods_are_refused(server, policy, method, connections):
    with pytest.raises(OutboundRefused, match="is not allowed"):
        send_request(method, server.url("/"), policy=policy)
    assert connections == []


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-A": "x\r\nInjected: 1"}, "line break"),
        ({"X-A": "x\nInjected: 1"}, "line break"),
        ({"X-A": "x\r"}, "line break"),
        ({"X-A": "x\0"}, "NUL"),
        ({"X-A\r\nInjected": "1"}, "not valid"),
        ({"X A": "1"}, "not valid"),
        ({"X-A:": "1"}, "not valid"),
        ({"": "1"}, "not valid"),
        ({"Host": "internal.example"}, "set automatically"),
        ({"Content-Length": "0"}, "set automatically"),
        ({"transfer-encoding": "chunked"}, "set automatically"),
        ({"X-A": None}, "text value"),
    ],
)
def test_unsafe_headers_are_refused(server, policy, headers, message, connections):
    with pytest.raises(OutboundRefused, match=message):
        send_request("GET", server.url("/"), headers=headers, policy=policy)
    assert connections == []


def test_deadline_already_spent_refuses_before_connecting(server, policy, connections):
    with pytest.raises(OutboundError, match="longer than the 0 s limit"):
        send_request("GET", server.url("/"), policy=policy, deadline_seconds=0)
    assert connections == []


# --- redirects --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.5/",
        "https://10.0.0.5/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/",
        "https://internal.example/",  # resolves (fake DNS) to 10.0.0.5
        "http://localhost/",  # loopback, but not on the allowlist
        "http://2130706433/",
    ],
)
def test_redirect_to_forbidden_target_is_refused_before_connecting(
    server, policy, resolver, connections, location
):
    # Given the allowlisted server redirects to an internal address
    resolver.table["internal.example"] = ["10.0.0.5"]
    server.routes["/start"] = redirect(302, location)

    # When the request follows it / Then the policy refuses the hop
    with pytest.raises(OutboundRefused):
        send_request("GET", server.url("/start"), policy=policy)

    # And the only connection ever made was to the loopback server
    # (the autouse guard would have failed the test on any other target)
    assert connections == [("127.0.0.1", server.port)]


def test_redirect_is_followed_and_relative_location_resolved(server, policy):
    # Given /a redirects (relatively) to /b
    server.routes["/a"] = redirect(302, "/b?step=2")

    # When / Then the final response and URL are reported
    response = send_request("GET", server.url("/a"), policy=policy)
    assert response.status_code == 200
    assert response.final_url == server.url("/b?step=2")
    assert [r.path for r in server.received] == ["/a", "/b?step=2"]


def test_redirect_chain_limit(server, policy):
    # Given an endless redirect loop
    for n in range(10):
        server.routes[f"/loop/{n}"] = redirect(302, f"/loop/{n + 1}")

    # When / Then it stops after max_redirects hops
    with pytest.raises(OutboundError, match="too many redirects"):
        send_request("GET", server.url("/loop/0"), policy=policy, max_redirects=3)
    assert [r.path for r in server.received] == ["/loop/0", "/loop/1", "/loop/2", "/loop/3"]


def test_max_redirects_zero_refuses_anyredirect(server, policy):
    server.routes["/a"] = redirect(307, "/b")
    with pytest.raises(OutboundError, match="too many redirects"):
        send_request("GET", server.url("/a"), policy=policy, max_redirects=0)
    assert len(server.received) == 1


@pytest.mark.parametrize(
    ("status", "method", "body"),
    [
        (303, "GET", b""),
        (302, "GET", b""),
        (301, "GET", b""),
        (307, "POST", b'{"a": 1}'),
        (308, "POST", b'{"a": 1}'),
    ],
)
def test_redirect_method_rules_for_post(server, policy, status, method, body):
    # Given a POST answered with a redirect
    server.routes["/submit"] = redirect(status, "/next")

    # When it is followed
    send_request(
        "POST",
        server.url("/submit"),
        headers={"Content-Type": "application/json"},
        body=b'{"a": 1}',
        policy=policy,
    )

    # Then 303 (and 301/302 for POST) becomes a body-less GET; 307/308 repeat method and body
    second = server.received[1]
    assert second.method == method
    assert second.body == body
    assert ("Content-Type" in second.headers) == bool(body)


def test_303_turns_put_into_get_but_307_keeps_put(server, policy):
    server.routes["/see-other"] = redirect(303, "/next")
    server.routes["/temporary"] = redirect(307, "/next")

    send_request("PUT", server.url("/see-other"), body=b"x", policy=policy)
    send_request("PUT", server.url("/temporary"), body=b"x", policy=policy)

    assert [(r.method, r.body) for r in server.received] == [
        ("PUT", b"x"),
        ("GET", b""),
        ("PUT", b"x"),
        ("PUT", b"x"),
    ]


def test_cross_origin_redirect_drops_secret_headers(server):
    # Given both spellings of the server allowlisted, and a redirect from one to the other
    policy = OutboundPolicy([f"127.0.0.1:{server.port}", f"localhost:{server.port}"])
    server.routes["/same"] = redirect(307, "/other-path")
    server.routes["/cross"] = redirect(307, server.url("/landing", host="localhost"))
    headers = {"Authorization": "Bearer t", "X-Api-Key": "k", "Content-Type": "text/plain"}

    # When requests follow a same-origin and a cross-origin redirect
    send_request("POST", server.url("/same"), headers=headers, body=b"b", policy=policy)
    send_request("POST", server.url("/cross"), headers=headers, body=b"b", policy=policy)

    # Then secrets follow only the same-origin hop; the body and Content-Type follow both
    same_hop, cross_hop = server.received[1], server.received[3]
    assert same_hop.headers["Authorization"] == "Bearer t"
    assert same_hop.headers["X-Api-Key"] == "k"
    assert "Authorization" not in cross_hop.headers
    assert "X-Api-Key" not in cross_hop.headers
    assert cross_hop.headers["Content-Type"] == "text/plain"
    assert cross_hop.body == b"b"


def test_utf8_location_is_followed(server, policy):
    server.routes["/start"] = lambda h: respond(
        h, 302, headers={"Location": "/caf\u00e9".encode().decode("latin-1")}
    )
    response = send_request("GET", server.url("/start"), policy=policy)
    assert server.received[1].path == "/caf%C3%A9"
    assert response.final_url == server.url("/caf\u00e9")


def test_redirect_response_body_is_never_read(server, policy):
    # Given a redirect that announces a huge body, sends a little, then stalls
    # (requests.Session would read it all, even with allow_redirects=False)
    def endless_redirect(handler):
        handler.send_response(302)
        handler.send_header("Location", "/final")
        handler.send_header("Content-Length", str(10**10))
        handler.end_headers()
        handler.wfile.write(b"x" * 1000)
        handler.wfile.flush()
        server.release.wait(10)

    server.routes["/start"] = endless_redirect

    # When it is followed with a short read timeout
    response = send_request("GET", server.url("/start"), policy=policy, read_timeout=0.5)

    # Then the next hop was made without waiting on (or buffering) the redirect's body
    assert response.status_code == 200
    assert [r.path for r in server.received] == ["/start", "/final"]


def test_redirect_status_without_location_is_returned_as_is(server, policy):
    server.routes["/r"] = lambda h: respond(h, 302, b"nowhere")
    response = send_request("GET", server.url("/r"), policy=policy)
    assert (response.status_code, response.body_excerpt) == (302, "nowhere")


def test_overall_deadline_spans_hops(server, policy, monkeypatch):
    # Given a clock that advances 10 s each time it is read, and a redirect chain
    ticks = iter(range(0, 10_000, 10))
    monkeypatch.setattr(outbound_http, "_clock", lambda: next(ticks))
    for n in range(10):
        server.routes[f"/hop/{n}"] = redirect(302, f"/hop/{n + 1}")

    # When the chain is followed with a 25 s deadline (each hop is under its own timeouts)
    with pytest.raises(OutboundError, match="longer than the 25 s limit"):
        send_request(
            "GET", server.url("/hop/0"), policy=policy, deadline_seconds=25, max_redirects=9
        )

    # Then it gave up part-way through the chain
    assert 1 <= len(server.received) < 10


# --- response size cap --------------------------------------------------------------------


def test_response_within_the_cap_is_returned_whole(server, policy):
    server.routes["/small"] = lambda h: respond(h, 200, b"a" * 100)
    response = send_request("GET", server.url("/small"), policy=policy, max_response_bytes=100)
    assert response.body_excerpt == "a" * 100
    assert response.truncated is False


def test_response_over_the_cap_is_truncated(server, policy):
    # Given a response larger than the cap
    server.routes["/big"] = lambda h: respond(h, 200, b"b" * 100_000)

    # When it is fetched with a small cap
    response = send_request("GET", server.url("/big"), policy=policy, max_response_bytes=1000)

    # Then the body is cut at the cap and marked truncated (the status is still recorded)
    assert response.status_code == 200
    assert response.body_excerpt == "b" * 1000
    assert response.truncated is True


def test_response_without_length_over_the_cap_is_truncated(server, policy):
    # Given a close-delimited body (no Content-Length) larger than the cap
    def stream(handler):
        handler.send_response(200)
        handler.end_headers()
        for _ in range(50):
            handler.wfile.write(b"c" * 10_000)

    server.routes["/stream"] = stream

    # When / Then
    response = send_request("GET", server.url("/stream"), policy=policy, max_response_bytes=5000)
    assert response.body_excerpt == "c" * 5000
    assert response.truncated is True


def test_cap_applies_to_the_decompressed_body(server, policy):
    # Given a small gzip body that inflates to 5 MB
    compressed = gzip.compress(b"0" * 5_000_000)
    server.routes["/gzip"] = lambda h: respond(h, 200, compressed, {"Content-Encoding": "gzip"})

    # When / Then the excerpt is the first decoded bytes, cut at the cap
    response = send_request("GET", server.url("/gzip"), policy=policy, max_response_bytes=1000)
    assert response.body_excerpt == "0" * 1000
    assert response.truncated is True


def test_cut_in_the_middle_of_a_character_still_decodes(server, policy):
    server.routes["/utf8"] = lambda h: respond(
        h, 200, "é".encode() * 10, {"Content-Type": "text/plain; charset=utf-8"}
    )
    response = send_request("GET", server.url("/utf8"), policy=policy, max_response_bytes=5)
    assert response.body_excerpt == "éé\ufffd"
    assert response.truncated is True


# --- network errors -------------------------------------------------------------------------


def test_read_timeout_before_headers(server, policy):
    # Given a server that does not answer until released
    server.routes["/slow"] = lambda h: (server.release.wait(10), OK(h))

    # When / Then a short read timeout ends the request with a user-safe error
    with pytest.raises(OutboundError, match="did not respond within 0.2 s"):
        send_request("GET", server.url("/slow"), policy=policy, read_timeout=0.2)


def test_read_timeout_in_the_middle_of_the_body(server, policy):
    # Given a server that sends headers and part of the body, then stalls
    def stall(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        handler.wfile.write(b"partial")
        handler.wfile.flush()
        server.release.wait(10)

    server.routes["/stall"] = stall

    # When / Then
    with pytest.raises(OutboundError, match="did not respond within 0.2 s"):
        send_request("GET", server.url("/stall"), policy=policy, read_timeout=0.2)


def test_connection_refused_is_an_outbound_error():
    # Given an allowlisted loopback port with nothing listening
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    policy = OutboundPolicy([f"127.0.0.1:{port}"])

    # When / Then
    with pytest.raises(OutboundError, match=f"could not connect to http://127.0.0.1:{port}/"):
        send_request("GET", f"http://127.0.0.1:{port}/", policy=policy)


# --- DNS pinning (no traffic leaves the machine: the connect is patched) ---------------------


@pytest.fixture
def captured_connects(monkeypatch):
    """Replace the socket connect: record the target, then fail like a refused connection."""
    targets: list[tuple[str, int]] = []

    def capture(address, *args, **kwargs):
        targets.append(address)
        raise ConnectionRefusedError("connection blocked in test")

    monkeypatch.setattr(urllib3_connection, "create_connection", capture)
    return targets


def test_connection_goes_to_the_checked_ip_not_a_new_lookup(resolver, captured_connects):
    # Given public.example resolves to a public address first, then (rebinding) to loopback
    resolver.table["public.example"] = [["93.184.216.34"], ["127.0.0.1"]]

    # When a request is sent to it
    with pytest.raises(OutboundError, match="could not connect to https://public.example/"):
        send_request("GET", "https://public.example/hook", policy=OutboundPolicy([]))

    # Then the name was resolved exactly once (by the policy) and the socket was aimed at
    # the address the policy checked
    assert resolver.name_lookups == ["public.example"]
    assert captured_connects == [("93.184.216.34", 443)]


def test_every_checked_address_is_tried_in_order(resolver, captured_connects):
    # Given a name with an IPv4 and an IPv6 public address
    resolver.table["public.example"] = ["93.184.216.34", "2606:4700::1111"]

    # When connecting fails on both
    with pytest.raises(OutboundError, match="could not connect"):
        send_request("GET", "https://public.example:8443/", policy=OutboundPolicy([]))

    # Then both checked addresses were tried, and nothing else
    assert captured_connects == [("93.184.216.34", 8443), ("2606:4700::1111", 8443)]
    assert resolver.name_lookups == ["public.example"]


def test_ipv6_literal_is_dialled_as_is(resolver, captured_connects):
    with pytest.raises(OutboundError, match="could not connect"):
        send_request("GET", "https://[2606:4700::1111]/", policy=OutboundPolicy([]))
    assert captured_connects == [("2606:4700::1111", 443)]
    assert resolver.name_lookups == []


def test_tls_uses_the_host_name_for_sni_and_certificate_checks(resolver, monkeypatch):
    # Given public.example resolves to a public IP, and the "connection" is a local socketpair
    resolver.table["public.example"] = ["93.184.216.34"]
    ends: list[socket.socket] = []

    def fake_connect(address, *args, **kwargs):
        ours, theirs = socket.socketpair()
        ends.extend([ours, theirs])
        return ours

    captured: dict = {}

    def fake_tls_wrap(**kwargs):
        captured.update(kwargs)
        raise ssl.SSLError("handshake blocked in test")

    monkeypatch.setattr(urllib3_connection, "create_connection", fake_connect)
    monkeypatch.setattr(urllib3.connection, "_ssl_wrap_socket_and_match_hostname", fake_tls_wrap)

    # When an https request is made
    try:
        with pytest.raises(OutboundError, match="secure connection to https://public.example/"):
            send_request("GET", "https://public.example/", policy=OutboundPolicy([]))
    finally:
        for end in ends:
            end.close()

    # Then TLS was set up for the name (SNI + hostname check) with verification required
    assert captured["server_hostname"] == "public.example"
    assert captured["cert_reqs"] in ("CERT_REQUIRED", ssl.CERT_REQUIRED)
    assert captured["assert_hostname"] in (None, "public.example")


def test_pinned_pool_refuses_an_origin_it_was_not_checked_for(resolver):
    # Given a pool manager pinned to a checked target (defence in depth)
    resolver.table["public.example"] = ["93.184.216.34"]
    target = OutboundPolicy([]).check_url("https://public.example/")
    manager = outbound_http._PinnedPoolManager(target)

    # When asked for another origin / Then it refuses instead of connecting
    with pytest.raises(OutboundRefused):
        manager.connection_from_host("other.example", 443, scheme="https")
    with pytest.raises(OutboundRefused):
        manager.connection_from_host("public.example", 443, scheme="http")
    assert manager.connection_from_host("public.example", 443, scheme="https").host == (
        "public.example"
    )
