"""`python -m bench` (`make bench`): every topology in its own process, then one report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import config, fixtures, loadgen, report

ROOT = Path(__file__).resolve().parents[1]
# Seconds; a topology normally takes three to eight minutes, more with every part on a
# busy machine. Parts finished before a timeout are still reported.
TOPOLOGY_TIMEOUT = int(os.environ.get("BENCH_TOPOLOGY_TIMEOUT", 1500))


def run_topology(key: str, cfg: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out, cfg_file = Path(tmp) / f"{key}.json", Path(tmp) / "config.json"
        cfg_file.write_text(json.dumps(cfg))  # a file, not argv: a database URL may hold a password
        args = [sys.executable, "-m", "bench.topology", key, str(cfg_file), str(out)]
        proc = subprocess.Popen(args, cwd=ROOT)
        try:
            returncode = proc.wait(TOPOLOGY_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.terminate()  # it stops its servers and drops its database on SIGTERM
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            return _partial(out, f"did not finish in {TOPOLOGY_TIMEOUT} s")
        if returncode or not out.exists():
            return _partial(out, f"failed (exit {returncode}); see the output above")
        return json.loads(out.read_text())


def _partial(out: Path, error: str) -> dict:
    """The parts a stopped topology finished, and why it stopped."""
    try:
        done = json.loads(out.read_text())
    except (OSError, ValueError):
        done = {}
    return {**done, "error": error}


def main() -> int:
    started = time.monotonic()
    machine = report.machine()  # before the run: its load average says how quiet the box was
    wrk = None if os.environ.get("BENCH_LOADGEN") == "python" else loadgen.ensure_wrk()
    if wrk is None:
        loadgen.warn_python_fallback()
    cfg = config.build(wrk)
    results = {}
    for key, topology in cfg["topologies"].items():
        if key not in cfg["only_topologies"]:
            continue
        reason = config.unreachable(topology)
        if reason:
            print(f"bench: skipping {topology['label']}: {reason}", flush=True)
            results[key] = {"topology": topology["label"], "skipped": reason}
            continue
        print(f"bench: measuring {topology['label']} ...", flush=True)
        results[key] = run_topology(key, cfg)
        results[key].setdefault("topology", topology["label"])
    public_cfg = {k: v for k, v in cfg.items() if k not in ("topologies", "wrk")}
    public_cfg.update(
        load_tool=loadgen.wrk_version(wrk) if wrk else "Python load generator (fallback)",
        steps=fixtures.STEP_NOTE,
    )
    full = {"machine": machine, "config": public_cfg, "results": results}
    full["config"]["elapsed_seconds"] = round(time.monotonic() - started, 1)
    print(report.render(full))
    path = report.save(full)
    print(
        f"bench: saved {path.relative_to(ROOT)} (and bench-results/latest.json); "
        f"took {full['config']['elapsed_seconds']:.0f} s"
    )
    failed = [k for k, r in results.items() if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
