"""SQLite with a writer queue: every write waits its turn on a lock file first.

SQLite lets one writer in at a time. A writer that finds the database locked sleeps in
SQLite's busy handler (1, 2, 5, 10 ... 100 ms) and tries again, so under a burst of webhooks
some requests lose the race over and over and wait hundreds of milliseconds while the
database sits idle between sleeps. Here every transaction (they are all IMMEDIATE, i.e.
writers), and every write statement run outside one, first takes an exclusive `flock` on
`<database>.writer-lock`: waiting writers sleep in
the kernel and the next one is woken the moment the lock is released. Threads of one process
queue on a threading lock first, so a single process never holds more than one place in line;
that wait keeps SQLite's timeout, so a stuck writer still ends in "database is locked" rather
than a hang. The kernel drops a dead process's flock, so a killed worker cannot block others.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


class QueuedCursor(base.SQLiteCursorWrapper):
    """Outside a transaction each write statement is one; it queues like any other."""

    db: DatabaseWrapper

    def execute(self, query, params=None):
        if not self.db.autocommit or query.lstrip()[:6].upper() not in WRITES:
            return super().execute(query, params)
        with self.db.writer_turn():
            return super().execute(query, params)

    def executemany(self, query, param_list):
        if not self.db.autocommit:
            return super().executemany(query, param_list)
        with self.db.writer_turn():
            return super().executemany(query, param_list)


class DatabaseWrapper(base.DatabaseWrapper):
    _process_locks: dict[str, threading.Lock] = {}
    _process_locks_guard = threading.Lock()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock_fd: int | None = None
        self._holds_writer_lock = False

    def _writer_lock_path(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}.writer-lock"

    def _process_lock(self, path: str) -> threading.Lock:
        with self._process_locks_guard:
            return self._process_locks.setdefault(path, threading.Lock())

    def _acquire_writer_lock(self) -> bool:
        """Wait for this database's writer lock; False when there is none to take (an
        in-memory database) or this connection holds it already."""
        path = self._writer_lock_path()
        if path is None or self._holds_writer_lock:
            return False
        timeout = self.settings_dict.get("OPTIONS", {}).get("timeout", 5)
        process_lock = self._process_lock(path)
        if not process_lock.acquire(timeout=timeout):
            raise OperationalError("database is locked (waited for the writer lock)")
        try:
            if self._lock_fd is None:
                self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)  # releases the GIL while it waits
        except BaseException:
            process_lock.release()
            raise
        self._holds_writer_lock = True
        return True

    @contextlib.contextmanager
    def writer_turn(self):
        """Hold the writer lock for one statement (unless a transaction holds it already)."""
        acquired = self._acquire_writer_lock()
        try:
            yield
        finally:
            if acquired:
                self._release_writer_lock()

    def _release_writer_lock(self) -> None:
        if not self._holds_writer_lock:
            return
        self._holds_writer_lock = False
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            self._process_lock(self._writer_lock_path()).release()

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=QueuedCursor)
        cursor.db = self
        return cursor

    def _start_transaction_under_autocommit(self):
        self._acquire_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer_lock()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
