"""SQLite's writer queue: writers wait their turn on a lock instead of SQLite's busy loop."""

import fcntl
import os
import sqlite3
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from accounts.models import Account
from initiator_site.db import fast_insert
from initiator_site.db.sqlite import base as sqlite_backend

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own backend only"),
]


def in_thread(fn):
    """Run `fn` in another thread (its own database connection); return its result or error."""
    outcome = {}

    def target():
        try:
            outcome["value"] = fn()
        except Exception as exc:  # handed back to the test
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def writer_lock_is_held() -> bool:
    """Whether some connection holds the database's writer lock file right now."""
    fd = os.open(f"{connection.settings_dict['NAME']}.writer-lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock taken here
    return False


def test_a_writer_waits_for_the_open_transaction_then_writes():
    # Given this thread holds a write transaction, and with it the writer lock
    started = threading.Event()
    with transaction.atomic():
        Account.objects.create(name="first")
        assert writer_lock_is_held()

        # When another thread writes meanwhile
        def write():
            started.set()
            return Account.objects.create(name="second").pk

        thread, outcome = in_thread(write)
        started.wait(5)
        thread.join(0.3)
        # Then it waits (no error, no row) while the transaction is open
        assert thread.is_alive() and not outcome
    # ... and writes as soon as it commits, and the lock is free again
    thread.join(10)
    assert "error" not in outcome
    assert not writer_lock_is_held()
    assert sorted(Account.objects.values_list("name", flat=True)) == ["first", "second"]


def test_a_writer_that_waits_past_the_timeout_gets_database_is_locked():
    # Given this thread holds a write transaction, and a writer whose timeout is short
    with transaction.atomic():
        Account.objects.create(name="first")

        def write():
            connections["default"].settings_dict["OPTIONS"]["timeout"] = 0.2
            try:
                return Account.objects.create(name="second")
            finally:
                connections["default"].settings_dict["OPTIONS"]["timeout"] = 20

        thread, outcome = in_thread(write)
        thread.join(10)
    # Then it gave up with SQLite's own message, and wrote nothing
    assert isinstance(outcome.get("error"), OperationalError)
    assert "database is locked" in str(outcome["error"])
    assert list(Account.objects.values_list("name", flat=True)) == ["first"]


def test_the_wal_checkpoint_runs_after_the_writers_turn_not_in_it(monkeypatch):
    # Given a WAL past the checkpoint threshold (here: any WAL at all)
    monkeypatch.setattr(sqlite_backend, "CHECKPOINT_WAL_BYTES", 1)
    checkpoints = []  # (writer lock held meanwhile, checkpoint ran)
    checkpoint = connection.checkpoint_if_due

    def watched():
        held = writer_lock_is_held()
        checkpoints.append((held, checkpoint()))
        return checkpoints[-1][1]

    monkeypatch.setattr(connection, "checkpoint_if_due", watched)
    # When this connection writes outside a transaction (with RETURNING), then in one
    fast_insert.insert(Account(name="autocommit"))
    with transaction.atomic():
        Account.objects.create(name="in a transaction")
    # Then SQLite's own checkpoint (inside COMMIT, so inside the turn) is off, and ours ran
    # after each write, with the writer lock already free for the next writer
    assert connection.connection.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    assert checkpoints == [(False, True), (False, True)]


def test_a_write_with_returning_has_committed_before_its_turn_ends(monkeypatch):
    # Given a watch on the moment this connection gives up the writer lock
    sqlite_lock_free_at_release = []
    release = connection._release_writer_lock

    def watched(*args, **kwargs):
        if connection._holds_writer_lock:
            other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                sqlite_lock_free_at_release.append(True)
            except sqlite3.OperationalError:  # "database is locked": not committed yet
                sqlite_lock_free_at_release.append(False)
            finally:
                other.close()
        return release(*args, **kwargs)

    monkeypatch.setattr(connection, "_release_writer_lock", watched)
    # When an INSERT ... RETURNING runs outside a transaction
    account = Account(name="returning")
    fast_insert.insert(account)
    # Then its key came back, and SQLite had committed it before the next writer's turn
    assert Account.objects.get(pk=account.pk).name == "returning"
    assert sqlite_lock_free_at_release == [True]
