"""Closed-loop HTTP load: wrk (preferred, installed on demand) or a Python fallback.

Both send the same request: a POST of a shipment delivery with a unique `hash`, the secret
header and keep-alive, from N connections for a fixed number of seconds; or, with
``method="GET"``, a plain GET of the page (the survey response page).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.fixtures import order_id_for, shipment_body

LUA = Path(__file__).with_name("post_delivery.lua")
GET_LUA = Path(__file__).with_name("get_page.lua")


def ensure_wrk() -> str | None:
    """The wrk binary, installing Debian's package when missing and we are root; else None."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    print("bench: wrk missing, installing it with apt-get ...", flush=True)
    for verbs in (["install"], ["update", "install"]):
        for verb in verbs:
            args = ["apt-get", verb, "-qq"] + (["-y", "wrk"] if verb == "install" else [])
            subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=240)
        if shutil.which("wrk"):
            return shutil.which("wrk")
    return None


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
    return (out.stdout + out.stderr).split("[")[0].strip() or "wrk"


def run(
    wrk: str | None,
    url: str,
    prefix: str,
    *,
    seconds: float,
    connections: int,
    threads: int,
    headers: dict[str, str],
    method: str = "POST",
) -> dict:
    """Load `url` for `seconds`; return counts, requests/s and latency percentiles (ms)."""
    if wrk:
        return _run_wrk(wrk, url, prefix, seconds, connections, threads, headers, method)
    return _run_python(url, prefix, seconds, connections, headers, method)


def _result(requests: int, non_2xx: int, other_errors: int, seconds: float, lat_ms: dict) -> dict:
    return {
        "requests": requests,
        "ok": requests - non_2xx,
        "non_2xx": non_2xx,
        "socket_errors": other_errors,
        "seconds": round(seconds, 3),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "latency_ms": lat_ms,
    }


def _run_wrk(wrk, url, prefix, seconds, connections, threads, headers, method="POST") -> dict:
    env = dict(os.environ)
    if method == "POST":
        (name, value), *rest = headers.items()
        if rest:
            raise ValueError("the wrk script sends one custom header")
        env.update(BENCH_SECRET_HEADER=name, BENCH_SECRET=value)
    script = LUA if method == "POST" else GET_LUA
    args = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    args += ["-s", str(script), url, "--", prefix]
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if out.returncode or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    raw = json.loads(line.removeprefix("BENCHJSON "))
    errors = raw["errors"]
    lat = {k: round(raw["latency_us"][k] / 1000, 2) for k in ("p50", "p90", "p99", "max", "mean")}
    other = sum(errors[k] for k in ("connect", "read", "write", "timeout"))
    return _result(raw["requests"], errors["status"], other, raw["duration_us"] / 1e6, lat)


def _run_python(url, prefix, seconds, connections, headers, method="POST") -> dict:
    """Threads with one keep-alive connection each; on 2 cores the client may be the limit."""
    parts = urlsplit(url)
    stop_at = time.monotonic() + seconds
    latencies: list[float] = []
    counts = {"non_2xx": 0, "errors": 0}
    lock = threading.Lock()

    def client(tid: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine, n = [], 0
        while time.monotonic() < stop_at:
            n += 1
            body = shipment_body(f"{prefix}-{tid}-{n}", order_id_for(tid * 104729 + n))
            start = time.perf_counter()
            try:
                if method == "GET":
                    conn.request("GET", parts.path)
                else:
                    conn.request(
                        "POST", parts.path, body, {**headers, "Content-Type": "application/json"}
                    )
                resp = conn.getresponse()
                resp.read()
            except (OSError, http.client.HTTPException):
                with lock:
                    counts["errors"] += 1
                conn.close()
                continue
            mine.append((time.perf_counter() - start) * 1000)
            if not 200 <= resp.status < 400:
                with lock:
                    counts["non_2xx"] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(t + 1,)) for t in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 30)
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 2)

    lat = {"p50": pct(50), "p90": pct(90), "p99": pct(99), "max": round(latencies[-1], 2)}
    lat["mean"] = round(sum(latencies) / len(latencies), 2)
    return _result(len(latencies), counts["non_2xx"], counts["errors"], elapsed, lat)


def warn_python_fallback() -> None:
    print(
        "bench: WARNING: wrk is not available (not root, or apt-get failed); using the Python "
        "load generator, which on a small machine may itself be the bottleneck.",
        file=sys.stderr,
        flush=True,
    )
