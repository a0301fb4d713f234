"""The production web server: `python -m initiator_site.serve` (waitress, settings from WEB_*).

waitress reads every request whole (request line, headers and body) in its event loop before a
thread of its pool runs the app, so a client that sends slowly holds a connection, never a
thread: no proxy in front is needed to keep slow clients from blocking deliveries (nor,
with the channel below, from slowing them: the loop leaves a response to the thread writing
it). The threads of a process share the GIL, so there is one process per core, all accepting
on the same sockets (bound once, before they are forked, with the app already loaded); a
process that dies is replaced. Database connections are kept between requests, one per thread.

Environment:
- WEB_BIND: where to listen, `HOST:PORT` (several separated by spaces), default 0.0.0.0:8000.
- WEB_PROCESSES: processes (one per core); WEB_THREADS: threads running requests in each (4).
- WEB_CONNECTION_LIMIT: open connections at most per process, slow ones included (1000); past
  it that process stops accepting until some close.
- WEB_CHANNEL_TIMEOUT: seconds after which a connection that sent nothing is closed (60).
- WEB_MAX_BODY_BYTES: largest request body (10 MiB); WEB_MAX_HEADER_BYTES: largest request
  line plus headers (64 KiB). Larger requests are refused before the app runs.
- FORWARDED_ALLOW_IPS: the one proxy address (or `*`) whose X-Forwarded-Proto is trusted
  (127.0.0.1); from any other peer that header is removed, so only that proxy can claim HTTPS.
  Other headers (X-Forwarded-For among them) reach the app as they came.
- WEB_ACCESS_LOG: one log line per request (true).
- WEB_GRACEFUL_TIMEOUT: on SIGTERM or SIGINT, seconds to let requests already read finish (20).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable

from django.utils.module_loading import import_string

DEFAULT_APP = "initiator_site.wsgi.application"
access_logger = logging.getLogger("initiator.access")
logger = logging.getLogger("initiator.serve")


def _int(env: dict, name: str, default: int) -> int:
    return int(env.get(name) or default)


def _bool(env: dict, name: str, default: bool) -> bool:
    value = env.get(name)
    return default if value in (None, "") else value.strip().lower() in ("1", "true", "yes", "on")


def trusted_proxy(value: str) -> str | None:
    """waitress trusts one proxy address (or every peer, `*`); an empty value trusts none."""
    value = value.strip()
    if "," in value or " " in value:
        raise ValueError(
            f"FORWARDED_ALLOW_IPS={value!r}: waitress trusts one proxy address, or '*'"
        )
    return value or None


def process_count(env: dict | None = None) -> int:
    env = os.environ if env is None else env
    return max(1, _int(env, "WEB_PROCESSES", os.cpu_count() or 1))


def options(env: dict | None = None) -> dict:
    """waitress's settings from the environment (see the module docstring)."""
    env = os.environ if env is None else env
    proxy = trusted_proxy(env.get("FORWARDED_ALLOW_IPS", "127.0.0.1"))
    return {
        "listen": env.get("WEB_BIND") or "0.0.0.0:8000",
        "threads": _int(env, "WEB_THREADS", 4),
        "connection_limit": _int(env, "WEB_CONNECTION_LIMIT", 1000),
        "channel_timeout": _int(env, "WEB_CHANNEL_TIMEOUT", 60),
        "max_request_body_size": _int(env, "WEB_MAX_BODY_BYTES", 10 * 1024 * 1024),
        "max_request_header_size": _int(env, "WEB_MAX_HEADER_BYTES", 64 * 1024),
        "trusted_proxy": proxy,
        "trusted_proxy_headers": {"x-forwarded-proto"} if proxy else set(),
        # Only X-Forwarded-Proto is policed (only_trusted_proto): waitress would clear every
        # X-Forwarded-* header from other peers, and the receiver keeps X-Forwarded-For.
        "clear_untrusted_proxy_headers": False,
        "ident": "initiator",
        "asyncore_use_poll": True,  # select() stops at file descriptor 1024
    }


def only_trusted_proto(app: Callable, proxy: str | None) -> Callable:
    """X-Forwarded-Proto removed unless it comes from `proxy` (waitress, trusting it, has set
    wsgi.url_scheme from it already); Django's SECURE_PROXY_SSL_HEADER reads the header."""
    if proxy == "*":
        return app

    def guarded(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REMOTE_ADDR") != proxy:
            environ.pop("HTTP_X_FORWARDED_PROTO", None)
        return app(environ, start_response)

    return guarded


def with_access_log(app: Callable) -> Callable:
    """One INFO line per request on `initiator.access`: peer, request line, status and the time
    until the response started (Django has built it by then). The response iterable is passed
    through untouched, so waitress still sends files with its file wrapper."""

    def logged(environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()

        def start(status: str, headers: list, exc_info=None):
            query = environ.get("QUERY_STRING")
            access_logger.info(
                '%s "%s %s%s %s" %s %.1f ms',
                environ.get("REMOTE_ADDR", "-"),
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
                f"?{query}" if query else "",
                environ.get("SERVER_PROTOCOL"),
                status.split(" ", 1)[0],
                (time.perf_counter() - started) * 1000,
            )
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return logged


def allow_descriptors(connection_limit: int) -> int:
    """Raise this process's soft limit of open files to fit every connection allowed plus some
    for the database, logs and static files (a 1,024 default would refuse connections first).
    Returns the limit in force."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connection_limit + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft != resource.RLIM_INFINITY and soft < wanted:
        logger.warning("At most %s open files: fewer than WEB_CONNECTION_LIMIT + 256", soft)
    return soft


def _channel_class():
    """waitress's HTTPChannel, except that the event loop leaves a channel alone while a thread
    of the pool is writing its response.

    A thread writing a response appends it to the channel's buffer and sends it itself
    (waitress's `send_bytes` is 1), holding the buffer's lock. Meanwhile waitress's channel says
    it is writable, so the loop wakes at once, finds the lock taken and goes round again for as
    long as the send lasts, which on a busy machine (the thread off its core) is milliseconds:
    10 to 30 passes per request, each visiting every open connection with the GIL held, slow
    ones included, while the requests' threads wait for it. Here the loop hears only of what is
    left once the thread is done writing (the socket's buffer full), by the trigger pulled then."""
    from waitress.channel import HTTPChannel

    class QuietWhileWriting(HTTPChannel):
        task_writing = False

        def writable(self):
            if self.task_writing and self.total_outbufs_len <= self.adj.outbuf_high_watermark:
                return False  # over the mark the thread waits for this loop to send: let it
            return super().writable()

        def write_soon(self, data):
            self.task_writing = True
            try:
                return super().write_soon(data)
            finally:
                self.task_writing = False
                if self.total_outbufs_len:
                    self.server.pull_trigger()  # left for the loop to send when it can

    return QuietWhileWriting


def _busy(server_map: dict, dispatcher) -> bool:
    """A request already read is still running or its response is still being sent."""
    from waitress.channel import HTTPChannel

    if dispatcher.queue or dispatcher.active_count:
        return True
    return any(
        isinstance(ch, HTTPChannel) and (ch.requests or ch.total_outbufs_len)
        for ch in server_map.values()
    )


def run(app: Callable, opts: dict, graceful_timeout: float, stop: threading.Event) -> None:
    """Serve until `stop` is set, then stop listening and let the requests already read finish
    (for at most `graceful_timeout` seconds)."""
    from waitress import create_server, wasyncore
    from waitress.server import BaseWSGIServer

    server_map: dict = {}
    server = create_server(only_trusted_proto(app, opts["trusted_proxy"]), map=server_map, **opts)
    dispatcher = server.task_dispatcher
    listeners = [obj for obj in server_map.values() if isinstance(obj, BaseWSGIServer)]
    channel_class = _channel_class()
    for listener in listeners:
        listener.channel_class = channel_class
    for listener in listeners:
        host, port = listener.effective_host, listener.effective_port
        logger.info(
            "Serving on http://%s:%s with %s threads (process %s)",
            host,
            port,
            opts["threads"],
            os.getpid(),
        )
    while not stop.is_set():
        wasyncore.loop(timeout=0.5, use_poll=True, map=server_map, count=1)
    logger.info("Stopping: no new connections; finishing the requests already read")
    for listener in listeners:
        listener.accepting = False
        wasyncore.dispatcher.close(listener)  # its wake-up trigger stays for the running threads
    deadline = time.monotonic() + graceful_timeout
    while _busy(server_map, dispatcher) and time.monotonic() < deadline:
        wasyncore.loop(timeout=0.1, use_poll=True, map=server_map, count=1)
    dispatcher.shutdown(timeout=1)
    wasyncore.close_all(server_map)


def bind(listen: str, backlog: int = 1024) -> list[socket.socket]:
    """The listening sockets for `listen` (waitress's syntax), made once for every process."""
    from waitress.adjustments import Adjustments

    sockets = []
    for family, kind, proto, address in Adjustments(listen=listen).listen:
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stop.set())
    return stop


def supervise(processes: int, serve_one: Callable[[threading.Event], None], grace: float) -> None:
    """Fork `processes` children, each calling serve_one(stop) with its own stop event (set by
    SIGTERM or SIGINT); replace any that exits on its own; on SIGTERM or SIGINT pass it on and
    wait for them, at most `grace` seconds (then SIGKILL)."""
    children: set[int] = set()

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:  # the child: serve until told to stop, then leave without the parent's code
            code = 1
            try:
                serve_one(_stop_on_signals())
                code = 0
            except BaseException:
                logger.exception("Web process failed")
            finally:
                os._exit(code)
        children.add(pid)

    stop = _stop_on_signals()
    for _ in range(processes):
        spawn()
    while not stop.is_set():
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            pid = 0
        if pid in children and not stop.is_set():
            children.discard(pid)
            logger.warning("Web process %s exited (status %s): starting another", pid, status)
            stop.wait(1)  # a process that fails at once is not restarted in a tight loop
            spawn()
        else:
            stop.wait(0.5)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while children and time.monotonic() < deadline:
        pid, _ = os.waitpid(-1, os.WNOHANG)
        children.discard(pid)
        time.sleep(0.05 if pid == 0 else 0)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", default=DEFAULT_APP, help=f"WSGI application ({DEFAULT_APP})")
    args = parser.parse_args(argv)
    opts = options()  # before the app: a bad setting stops start-up at once
    allow_descriptors(opts["connection_limit"])
    app = import_string(args.app)  # sets Django up (and its logging), once for every process
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" on every burst
    if _bool(os.environ, "WEB_ACCESS_LOG", True):
        app = with_access_log(app)
    grace = float(os.environ.get("WEB_GRACEFUL_TIMEOUT") or 20)
    opts["sockets"] = bind(opts.pop("listen"))
    processes = process_count()
    if processes == 1:
        run(app, opts, grace, _stop_on_signals())
    else:
        supervise(processes, lambda stop: run(app, opts, grace, stop), grace + 5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
