"""Memory: each cluster process's RSS after the first tenth of a long drain and at its end,
workers never recycled (`Q_RECYCLE=0`), so that memory kept per delivery would show.

The backlog (`BENCH_MEMORY_DELIVERIES`, 10,000 by default) is stored first, then one cluster
of W workers drains it with the stand-in answering at once (no added latency: more
deliveries per second, the same code).
"""

from __future__ import annotations

import time

from bench import fixtures, pipeline, procstats
from tests import harness


def per_process(pgid: int) -> dict[int, dict[str, int]]:
    """KiB of current RSS and peak RSS (VmHWM) of each process of the group."""
    out = {pid: procstats.process_memory(pid) for pid in procstats.group_pids(pgid)}
    return {pid: mem for pid, mem in out.items() if mem["rss"]}


def _snapshot(pgid: int, workers: int) -> dict:
    """The group's processes, largest first; the W largest are the workers (they run the
    tasks and import the most)."""
    procs = sorted(per_process(pgid).values(), key=lambda p: p["rss"], reverse=True)
    top = procs[:workers]
    return {
        "processes": len(procs),
        "worker_rss_mib": [round(p["rss"] / 1024, 1) for p in top],
        "worker_peak_rss_mib": [round(p["hwm"] / 1024, 1) for p in top],
        "workers_rss_mib": round(sum(p["rss"] for p in top) / 1024, 1),
        "all_rss_mib": round(sum(p["rss"] for p in procs) / 1024, 1),
    }


def run(sub, workflows, standin, env: dict, logs, cfg: dict) -> dict:
    count, workers = cfg["memory_deliveries"], cfg["workers"]
    fixtures.set_active(workflows, 1)
    latency, standin.latency_ms = standin.latency_ms, 0
    tag, after = "mem", pipeline.newer_than_now()
    began = time.perf_counter()
    pipeline.store_backlog(sub, tag, count)
    stored_in = time.perf_counter() - began
    checkpoints = sorted({max(1, count // 10), count})
    snapshots: dict[int, dict] = {}
    cluster = harness.start_qcluster({**env, "Q_RECYCLE": "0"}, logs, name="qcluster-memory")
    began = time.perf_counter()
    deadline = time.monotonic() + cfg["memory_timeout"]
    try:
        while checkpoints and time.monotonic() < deadline:
            done = pipeline.progress(tag, after)["processed"]
            while checkpoints and done >= checkpoints[0]:
                snapshots[checkpoints.pop(0)] = {
                    "processed": done,
                    **_snapshot(cluster.pid, workers),
                }
            time.sleep(0.5)
        drained_in = time.perf_counter() - began
        if checkpoints:  # out of time: the figures as far as it got
            done = pipeline.progress(tag, after)["processed"]
            snapshots[done] = {"processed": done, **_snapshot(cluster.pid, workers)}
    finally:
        cluster.stop()
        standin.latency_ms = latency
    first, last = (snapshots.get(k) for k in sorted(snapshots)[:1] + sorted(snapshots)[-1:])
    result = {
        "deliveries": count,
        "stored_seconds": round(stored_in, 1),
        "drain_seconds": round(drained_in, 1),
        "timed_out": bool(checkpoints),
        "snapshots": {str(k): v for k, v in snapshots.items()},
    }
    if first and last and last["processed"] > first["processed"]:
        grown = last["workers_rss_mib"] - first["workers_rss_mib"]
        result["workers_growth_mib"] = round(grown, 1)
        result["kib_per_delivery"] = round(
            1024 * grown / (last["processed"] - first["processed"]), 3
        )
        result["peak_worker_rss_mib"] = max(last["worker_peak_rss_mib"])
    print(
        f"bench:   memory: workers' RSS {first and first['workers_rss_mib']} MiB after "
        f"{first and first['processed']}, {last and last['workers_rss_mib']} MiB after "
        f"{last and last['processed']} deliveries; peak per worker "
        f"{result.get('peak_worker_rss_mib')} MiB",
        flush=True,
    )
    return result
