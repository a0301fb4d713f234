"""`python -m initiator_site.serve`: settings from the environment, X-Forwarded-Proto trusted
only from the configured proxy, a graceful stop, one access-log line per request.

Each test runs the real waitress server in a thread on loopback with a tiny WSGI app."""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import json
import logging
import os
import signal
import socket
import sys
import threading
import time

import pytest

from initiator_site import serve


def echo_app(environ, start_response):
    """Answers with what the app was told: the scheme and the forwarded proto."""
    time.sleep(float(environ.get("HTTP_X_SLEEP", 0)))
    body = json.dumps(
        {
            "scheme": environ["wsgi.url_scheme"],
            "forwarded_proto": environ.get("HTTP_X_FORWARDED_PROTO"),
            "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


@contextlib.contextmanager
def serving(app=echo_app, **env):
    """The server on a loopback socket of its own, in a thread; yields (port, stop, thread)."""
    opts = serve.options(env)
    del opts["listen"]  # listening on the socket below instead
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # connections wait in the backlog until the thread serves them
    stop = threading.Event()
    thread = threading.Thread(
        target=serve.run, args=(app, {**opts, "sockets": [sock]}, 5, stop), daemon=True
    )
    thread.start()
    try:
        yield sock.getsockname()[1], stop, thread
    finally:
        stop.set()
        thread.join(10)
        sock.close()


def get(port: int, headers: dict | None = None) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/", headers=headers or {})
        response = conn.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        conn.close()


def test_settings_come_from_the_environment():
    # Given nothing set, the defaults
    opts = serve.options({})
    assert opts["listen"] == "0.0.0.0:8000"
    assert (opts["threads"], opts["connection_limit"], opts["channel_timeout"]) == (4, 1000, 60)
    assert (opts["trusted_proxy"], opts["trusted_proxy_headers"]) == (
        "127.0.0.1",
        {"x-forwarded-proto"},
    )
    # When WEB_* are set, they are used
    env = {"WEB_BIND": "127.0.0.1:9000", "WEB_THREADS": "8", "WEB_CONNECTION_LIMIT": "5000"}
    opts = serve.options(env)
    assert (opts["listen"], opts["threads"], opts["connection_limit"]) == (
        "127.0.0.1:9000",
        8,
        5000,
    )
    # And an empty FORWARDED_ALLOW_IPS trusts no proxy at all
    assert serve.options({"FORWARDED_ALLOW_IPS": ""})["trusted_proxy_headers"] == set()


def test_a_list_of_proxies_is_refused_at_start():
    # waitress trusts one proxy address; a list would silently trust none of them
    with pytest.raises(ValueError, match="one proxy address"):
        serve.options({"FORWARDED_ALLOW_IPS": "10.0.0.1,10.0.0.2"})


def test_the_trusted_proxy_sets_https():
    # Given the server trusting the proxy on loopback (the default)
    with serving() as (port, _, _):
        # When the proxy says the request came over HTTPS
        seen = get(port, {"X-Forwarded-Proto": "https"})
    # Then the app sees it (Django's SECURE_PROXY_SSL_HEADER reads the header)
    assert (seen["scheme"], seen["forwarded_proto"]) == ("https", "https")


def test_x_forwarded_proto_from_any_other_peer_is_removed():
    # Given the server trusting another address only
    with serving(FORWARDED_ALLOW_IPS="10.9.9.9") as (port, _, _):
        # When a client on loopback claims HTTPS, and sends X-Forwarded-For
        seen = get(port, {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    # Then the app never sees the claim; the other header reaches it as it came (the receiver
    # keeps it with the delivery)
    assert seen == {"scheme": "http", "forwarded_proto": None, "forwarded_for": "203.0.113.7"}


def test_stopping_finishes_the_request_already_read_then_refuses_new_ones():
    # Given a request that takes a while, under way
    with serving() as (port, stop, thread):
        result = {}
        slow = threading.Thread(target=lambda: result.update(get(port, {"X-Sleep": "0.5"})))
        slow.start()
        time.sleep(0.2)
        # When the server is told to stop
        stop.set()
        slow.join(5)
        thread.join(5)
        # Then that request was answered
        assert result["scheme"] == "http"
        # And the server is gone: new connections are refused
        assert not thread.is_alive()
        with pytest.raises(ConnectionRefusedError):
            get(port)


def test_one_access_log_line_per_request(caplog):
    app = serve.with_access_log(echo_app)
    with caplog.at_level(logging.INFO, logger="initiator.access"), serving(app) as (port, _, _):
        get(port)
    lines = [r.getMessage() for r in caplog.records if r.name == "initiator.access"]
    assert len(lines) == 1
    assert lines[0].startswith('127.0.0.1 "GET / HTTP/1.1" 200 ')


def test_the_open_files_limit_fits_the_connection_limit():
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    unlimited = hard == resource.RLIM_INFINITY
    try:
        # Given a soft limit under what 1,000 connections need
        resource.setrlimit(resource.RLIMIT_NOFILE, (512 if unlimited else min(512, hard), hard))
        # When the server starts, it raises it (as far as the hard limit allows)
        assert serve.allow_descriptors(1000) == (1256 if unlimited else min(1256, hard))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_one_process_per_core_unless_told():
    assert serve.process_count({}) == (os.cpu_count() or 1)
    assert serve.process_count({"WEB_PROCESSES": "3"}) == 3
    assert serve.process_count({"WEB_PROCESSES": "0"}) == 1


@pytest.mark.slow
def test_a_process_that_dies_is_replaced_and_sigterm_stops_them_all(tmp_path):
    from tests import harness
    from tests.reliability import procs

    # Given the server with two processes (the tiny app above, no Django)
    port = harness.free_port()
    env = {
        **os.environ,
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_PROCESSES": "2",
        "WEB_GRACEFUL_TIMEOUT": "2",
    }
    args = [sys.executable, "-m", "initiator_site.serve", "--app", f"{__name__}.echo_app"]
    with harness.Child("serve", args, env, tmp_path) as server:
        harness.wait_until(lambda: len(procs.children_of(server.pid)) == 2, 30, what="2 processes")
        first, second = procs.children_of(server.pid)
        harness.wait_until(lambda: answers(port), 30, what="an answer")
        # When one of them is killed
        os.kill(first, signal.SIGKILL)
        # Then another takes its place, and requests are still answered
        harness.wait_until(
            lambda: len(set(procs.children_of(server.pid)) - {first}) == 2, 30, what="a new one"
        )
        assert answers(port)
        # And SIGTERM stops the server and every process of it
        children = procs.children_of(server.pid)
        os.kill(server.pid, signal.SIGTERM)
        assert server.proc.wait(15) == 0
        assert not any(procs.alive(pid) for pid in children)


def answers(port: int) -> bool:
    try:
        return get(port)["scheme"] == "http"
    except OSError:
        return False


def burning_app(environ, start_response):
    """About a millisecond of CPU per request (as a Django view takes), then an answer in two
    writes (waitress writes the headers, then the body)."""
    until = time.thread_time() + 0.001
    while time.thread_time() < until:
        pass
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"o", b"k"]


def test_the_loop_is_not_woken_over_and_over_while_threads_write_responses(monkeypatch):
    from waitress import wasyncore

    from tests import harness

    # Given the server's event loop counting its passes
    passes = []
    real_poll, real_send = wasyncore.poll2, wasyncore.dispatcher.send
    monkeypatch.setattr(
        wasyncore, "poll2", lambda timeout, map: passes.append(1) or real_poll(timeout, map)
    )

    # and a thread sending a response taking 2 ms over it (as one does when a busy machine
    # takes its core away mid-send), the GIL free meanwhile
    def preempted_send(channel, data, do_close=True):
        if threading.current_thread().name.startswith("waitress-"):
            time.sleep(0.002)
        return real_send(channel, data, do_close)

    monkeypatch.setattr(wasyncore.dispatcher, "send", preempted_send)
    clients, per_client = 2, 50
    with serving(burning_app) as (port, _, _):
        url = f"http://127.0.0.1:{port}"
        # and 200 slow connections open, each dribbling a request
        with harness.slow_clients(url, "/", 200, every=0.5, for_seconds=30) as slow:
            passes.clear()

            # When 2 keep-alive clients send 50 requests each
            def one_client() -> list[int]:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                statuses = []
                for _ in range(per_client):
                    conn.request("GET", "/")
                    response = conn.getresponse()
                    response.read()
                    statuses.append(response.status)
                conn.close()
                return statuses

            with concurrent.futures.ThreadPoolExecutor(clients) as pool:
                statuses = sum(pool.map(lambda _: one_client(), range(clients)), [])
            loop_passes = len(passes)
            still_open = slow.still_open()

    # Then every request is answered, the slow connections are still held
    assert statuses == [200] * clients * per_client
    assert still_open == 200
    # And the loop went round a few times per request, not once per attempt to send while a
    # thread held the response (each pass visits all 200 slow connections)
    assert loop_passes <= 5 * clients * per_client, loop_passes / (clients * per_client)
