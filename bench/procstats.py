"""Memory of a process group (the task cluster: its main process, pusher, monitor, workers)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

PROC = Path("/proc")


def group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            pids.append(int(entry.name))
    return pids


def _kib(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_memory(pid: int) -> dict[str, int]:
    """One process's current RSS and its peak (VmHWM), in KiB (0 when it has exited)."""
    status = PROC / str(pid) / "status"
    return {"rss": _kib(status, "VmRSS"), "hwm": _kib(status, "VmHWM")}


def group_memory(pgid: int) -> dict[str, int]:
    """Sum over the group, in KiB: current RSS, per-process peak RSS (VmHWM) and PSS."""
    total = {"rss": 0, "hwm": 0, "pss": 0, "processes": 0}
    for pid in group_pids(pgid):
        total["rss"] += _kib(PROC / str(pid) / "status", "VmRSS")
        total["hwm"] += _kib(PROC / str(pid) / "status", "VmHWM")
        total["pss"] += _kib(PROC / str(pid) / "smaps_rollup", "Pss")
        total["processes"] += 1
    return total


class PeakSampler:
    """Samples a group's summed RSS and PSS every `interval` seconds and keeps the peaks."""

    def __init__(self, pgid: int, interval: float = 0.2):
        self.pgid = pgid
        self.interval = interval
        self.peak = {"rss": 0, "pss": 0, "hwm": 0, "processes": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        now = group_memory(self.pgid)
        for key in self.peak:
            self.peak[key] = max(self.peak[key], now[key])

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        if os.path.exists(PROC / str(self.pgid)):
            self.sample()


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def busy_percent(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Share of all cores busy between two `cpu_times()` readings, in percent."""
    total = after[1] - before[1]
    return round(100 * (after[0] - before[0]) / total, 1) if total else 0.0


def group_cpu_seconds(pgid: int) -> float:
    """CPU time used by a process group so far, including its children that have exited and
    been reaped (a recycled worker), in seconds."""
    ticks = 0
    for pid in group_pids(pgid):
        try:
            fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")
