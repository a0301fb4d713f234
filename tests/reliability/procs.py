"""Finding a cluster's worker processes through /proc (Linux), to kill the right one."""

from __future__ import annotations

import os
import re
from pathlib import Path

PROC = Path("/proc")
READY_RE = re.compile(r"(Process-[0-9a-f]+) ready for work at (\d+)")
TCP_ESTABLISHED = "01"


def children_of(pid: int) -> list[int]:
    found = []
    for task in (PROC / str(pid) / "task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int, limit: int = 200) -> list[int]:
    """Every process below `pid` (bounded: a cluster has a handful)."""
    out, todo = [], [pid]
    while todo and len(out) < limit:
        for child in children_of(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


def worker_pids(cluster_log: str) -> dict[str, int]:
    """django-q2 worker name -> pid, from the cluster's "ready for work" log lines."""
    return {name: int(pid) for name, pid in READY_RE.findall(cluster_log)}


def worker_processing(cluster_log: str, task_name: str) -> str | None:
    """The worker name on the last "<worker> processing <task_name> ..." line, if any."""
    pattern = re.compile(rf"(Process-[0-9a-f]+) processing {re.escape(task_name)} ")
    names = pattern.findall(cluster_log)
    return names[-1] if names else None


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in (PROC / str(pid) / "fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _established_to_port(port: int) -> set[str]:
    """Socket inodes of established TCP connections whose remote port is `port`."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote, state, inode = fields[2], fields[3], fields[9]
            if state == TCP_ESTABLISHED and int(remote.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def connected_to(pid: int, port: int) -> bool:
    """Does process `pid` hold an established TCP connection to loopback port `port`?"""
    return bool(_socket_inodes(pid) & _established_to_port(port))


def alive(pid: int) -> bool:
    try:
        state = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
