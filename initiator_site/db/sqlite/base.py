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

Checkpoints run after the turn, not in it. SQLite checkpoints the WAL into the database file
(and syncs it) inside the COMMIT that makes the WAL pass 1,000 pages; here that COMMIT holds
the writer lock, so every writer in line would wait for the sync. Connections switch the
automatic checkpoint off and, once they have released the lock, run the same PASSIVE
checkpoint when the WAL is past SQLite's own threshold (a passive checkpoint blocks no writer).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base

logger = logging.getLogger(__name__)
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")
# SQLite's default wal_autocheckpoint: 1,000 pages of 4 KiB.
CHECKPOINT_WAL_BYTES = 1000 * 4096


class QueuedCursor(base.SQLiteCursorWrapper):
    """Outside a transaction each write statement is one; it queues like any other.

    Such a write with RETURNING commits only when its rows have been read (SQLite finishes the
    statement then), so they are read within the turn and served from memory afterwards."""

    db: DatabaseWrapper
    _returned: list | None = None

    def execute(self, query, params=None):
        self._returned = None
        if not self.db.autocommit or query.lstrip()[:6].upper() not in WRITES:
            return super().execute(query, params)
        with self.db.writer_turn():
            super().execute(query, params)
            if self.description is not None:
                self._returned = super().fetchall()
        return self

    def executemany(self, query, param_list):
        self._returned = None
        if not self.db.autocommit:
            return super().executemany(query, param_list)
        with self.db.writer_turn():
            return super().executemany(query, param_list)

    def fetchone(self):
        if self._returned is None:
            return super().fetchone()
        return self._returned.pop(0) if self._returned else None

    def fetchmany(self, size=None):
        if self._returned is None:
            return super().fetchmany(self.arraysize if size is None else size)
        size = self.arraysize if size is None else size
        rows, self._returned = self._returned[:size], self._returned[size:]
        return rows

    def fetchall(self):
        if self._returned is None:
            return super().fetchall()
        rows, self._returned = self._returned, []
        return rows

    def __iter__(self):
        return super().__iter__() if self._returned is None else iter(self.fetchall())


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

    def _release_writer_lock(self, then_checkpoint: bool = True) -> None:
        if not self._holds_writer_lock:
            return
        self._holds_writer_lock = False
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            self._process_lock(self._writer_lock_path()).release()
        if then_checkpoint and self.connection is not None:
            self.checkpoint_if_due()

    def checkpoint_if_due(self) -> bool:
        """Checkpoint the WAL when it has passed SQLite's threshold; True if one ran. A
        failure is logged, never raised: the write before it has committed."""
        if self.connection.in_transaction:
            return False
        try:
            if os.stat(f"{self.settings_dict['NAME']}-wal").st_size < CHECKPOINT_WAL_BYTES:
                return False
        except OSError:  # no WAL file (yet)
            return False
        try:
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # e.g. a statement still open on this connection
            logger.debug("SQLite WAL checkpoint skipped (the next write retries): %s", exc)
            return False
        return True

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        if self._writer_lock_path() is not None:
            conn.execute("PRAGMA wal_autocheckpoint=0")  # see the module's docstring
            # The WAL file is cut back to its live frames when SQLite restarts it after a
            # checkpoint, so its size tells how far it is past the threshold.
            conn.execute("PRAGMA journal_size_limit=0")
        return conn

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
            self._release_writer_lock(then_checkpoint=False)
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
