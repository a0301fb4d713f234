"""Real processes for multi-process tests and benchmarks: the web server, qcluster, the
stand-in, and what they do: deliveries posted over HTTP, the emails they sent, their broker's
queue, slow clients, and one poll of a cluster's delivery relay run in the test's own process.

Children share the test database (and Redis, when REDIS_URL is set) and the test process's
secrets, and listen on loopback only. Every wait is bounded; every child is stopped on exit.
(No model is imported at module level: `bench` imports this before Django is set up.)
"""

from __future__ import annotations

import contextlib
import email
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of the database this test process uses right now (the test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="initiator_site.settings",
        DATABASE_URL=database_url(),
        SECRET_KEY=settings.SECRET_KEY,
        FIELD_ENCRYPTION_KEYS=",".join(settings.FIELD_ENCRYPTION_KEYS),
        DEBUG="true",
        PUBLIC_BASE_URL=settings.PUBLIC_BASE_URL,
        WEBHOOK_ALLOW_HTTP="true" if settings.WEBHOOK_ALLOW_HTTP else "false",
        BIGCOMMERCE_API_BASE_URL=settings.BIGCOMMERCE_API_BASE_URL,
        EMAIL_URL="consolemail://",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def wait_until(
    predicate: Callable[[], object], timeout: float, interval: float = 0.1, what: str = ""
):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"Timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


class Child:
    """One child process with its output in a log file (read it when a test fails)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


def start_qcluster(env: dict[str, str], log_dir: Path, name: str = "qcluster") -> Child:
    child = Child(name, manage("qcluster"), env, log_dir)
    wait_until(
        lambda: "ready for work" in child.log() or not child.alive(), 60, what=f"{name} start"
    )
    if not child.alive():
        raise RuntimeError(f"{name} exited:\n{child.log()[-3000:]}")
    return child


def start_web(
    env: dict[str, str],
    log_dir: Path,
    *,
    threads: int = 4,
    processes: int | None = None,
    port: int | None = None,
    app: str = "initiator_site.wsgi.application",
    name: str = "web",
) -> tuple[Child, str]:
    """The production web server, `python -m initiator_site.serve` (waitress), on loopback:
    `processes` (by default one per core) of `threads` each."""
    port = port or free_port()
    args = [sys.executable, "-m", "initiator_site.serve", "--app", app]
    web_env = {**env, "WEB_BIND": f"127.0.0.1:{port}", "WEB_THREADS": str(threads)}
    if processes:
        web_env["WEB_PROCESSES"] = str(processes)
    child = Child(name, args, web_env, log_dir)
    url = f"http://127.0.0.1:{port}"
    _wait_until_up(child, url)
    return child, url


def start_gunicorn(
    env: dict[str, str],
    log_dir: Path,
    *,
    workers: int = 2,
    threads: int = 4,
    port: int | None = None,
    wsgi: str = "initiator_site.wsgi:application",
    name: str = "gunicorn",
) -> tuple[Child, str]:
    """gunicorn with gunicorn.conf.py (read from the working directory), for behind a proxy."""
    port = port or free_port()
    args = [
        str(BIN / "gunicorn"),
        wsgi,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",  # gunicorn's own rule: sync workers, gthread with more than one thread
        str(threads),
        "--access-logfile",
        "-",
        "--log-level",
        "warning",
    ]
    child = Child(name, args, env, log_dir)
    url = f"http://127.0.0.1:{port}"
    _wait_until_up(child, url)
    return child, url


def _wait_until_up(child: Child, url: str) -> None:
    def up():
        if not child.alive():
            raise RuntimeError(f"{child.name} exited:\n{child.log()[-3000:]}")
        try:
            return requests.get(url + "/healthz/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(up, 60, what=f"{child.name} on {url}")
    except BaseException:
        child.stop()  # a server that never answered is not left running
        raise


# --- Talking to them ------------------------------------------------------------------------


def session(token: str | None = None) -> requests.Session:
    """A session for loopback servers: no proxies from the environment; with `token`, the API's
    `Authorization: Token` header."""
    client = requests.Session()
    client.trust_env = False
    if token is not None:
        client.headers["Authorization"] = f"Token {token}"
    return client


def deliver_over_http(
    base_url: str, sub, body: dict, *, client: requests.Session | None = None, timeout: float = 30
) -> int:
    """POST a delivery to `sub`'s URL on a real server, with its secret header, as BigCommerce
    does (on `client`, or a fresh session); returns the status."""
    from integrations.subscriptions import SECRET_HEADER

    with session() if client is None else nullcontext(client) as http:
        response = http.post(
            f"{base_url}/webhooks/bigcommerce/{sub.uuid}/",
            json=body,
            headers={SECRET_HEADER: sub.secret},
            timeout=timeout,
        )
    return response.status_code


def sent_emails(maildir: Path) -> list[email.message.Message]:
    """Every message the children's file email backend wrote (files are appended to)."""
    messages = []
    for path in sorted(maildir.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.strip()))
    return messages


def redis_broker() -> bool:
    return bool(settings.REDIS_URL)


def queue_size(cluster_name: str) -> int:
    """Tasks still waiting on the children's broker queue."""
    from django_q.brokers import get_broker
    from django_q.models import OrmQ

    if redis_broker():
        return get_broker(cluster_name).queue_size()
    return OrmQ.objects.filter(key=cluster_name).count()


def run_due_deliveries() -> int:
    """What a cluster's pusher does on each poll (`workflows.broker.relayed`): due deliveries
    are handed out as tasks; here the tasks run inline, in the test's process. Returns how many
    were handed out."""
    from django.utils.module_loading import import_string
    from django_q.signing import SignedPackage

    from workflows.broker import relayed

    handed_out = relayed()
    for _ack, package in handed_out:
        task = SignedPackage.loads(package)
        import_string(task["func"])(*task["args"], **task["kwargs"])
    return len(handed_out)


class SlowClients:
    """Connections that open a POST, then send one more header line (even ones) or one more
    byte of their announced 4 KiB body (odd ones) every `every` seconds, for at most
    `for_seconds`: clients too slow for a server that reads requests in its workers."""

    def __init__(self, url: str, path: str, count: int, every: float, for_seconds: float):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.every, self.sockets = every, []
        for n in range(count):
            sock = socket.create_connection((host, int(port)), timeout=5)
            head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
            if n % 2:
                head += "Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"
            sock.sendall(head.encode())
            self.sockets.append(sock)
        self._stop = threading.Event()
        self._deadline = time.monotonic() + for_seconds
        self._thread = threading.Thread(target=self._dribble, daemon=True)
        self._thread.start()

    def _dribble(self) -> None:
        line = 0
        while not self._stop.wait(self.every) and time.monotonic() < self._deadline:
            line += 1
            for n, sock in enumerate(self.sockets):
                with contextlib.suppress(OSError):  # closed by the server: see still_open()
                    sock.sendall(b" " if n % 2 else f"X-Slow-{line}: {'x' * 8}\r\n".encode())

    def still_open(self) -> int:
        """Connections the server has neither closed nor answered (nothing to read yet)."""
        poller = select.poll()
        for sock in self.sockets:
            poller.register(sock, select.POLLIN)
        return len(self.sockets) - len(poller.poll(0))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(self.every + 5)
        for sock in self.sockets:
            sock.close()


@contextlib.contextmanager
def slow_clients(
    url: str, path: str, count: int, every: float = 2.0, for_seconds: float = 20.0
) -> Iterator[SlowClients]:
    """`count` SlowClients on `path`, once each has sent a line after its first (so the server
    has accepted them all); they hang up on leaving, or after `for_seconds` stop sending."""
    clients = SlowClients(url, path, count, every, for_seconds)
    try:
        time.sleep(every + 0.5)
        yield clients
    finally:
        clients.close()
