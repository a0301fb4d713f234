"""initiator_site/db overrides and reads private parts of Django. These tests pin what it
relies on, so that a Django upgrade that changes any of it fails here, loudly and by name,
instead of quietly changing how the SQLite writer queue or the hot-path INSERTs behave.

When one fails after an upgrade: read the named Django method's new source, check that
initiator_site/db still does the right thing with it, then update the fingerprint below."""

from __future__ import annotations

import hashlib
import inspect

import pytest
from django.db import connection
from django.db.backends.sqlite3 import base as sqlite_base

from accounts.models import Account
from initiator_site.db import fast_insert

# (class, method) -> (signature, sha256 of its source, first 16 hex digits), Django 5.2.
OVERRIDDEN = {
    (sqlite_base.DatabaseWrapper, "_start_transaction_under_autocommit"): (
        "(self)",
        "7315cfc61c1dde12",
    ),
    (sqlite_base.DatabaseWrapper, "_commit"): ("(self)", "8ebc361e1e8fcb8d"),
    (sqlite_base.DatabaseWrapper, "_rollback"): ("(self)", "d671ec3bb3c8ed44"),
    (sqlite_base.DatabaseWrapper, "_close"): ("(self)", "d1a3f0e9a11cd084"),
    (sqlite_base.DatabaseWrapper, "get_new_connection"): (
        "(self, conn_params)",
        "99ddcd0012130edd",
    ),
    (sqlite_base.DatabaseWrapper, "create_cursor"): ("(self, name=None)", "9e8198be0a5d41e9"),
    (sqlite_base.DatabaseWrapper, "is_in_memory_db"): ("(self)", "170ee74d791fa555"),
    (sqlite_base.SQLiteCursorWrapper, "execute"): (
        "(self, query, params=None)",
        "0b4a43882cc88942",
    ),
    (sqlite_base.SQLiteCursorWrapper, "executemany"): (
        "(self, query, param_list)",
        "52fa6c310dee4219",
    ),
}


@pytest.mark.parametrize(
    ("owner", "name"), list(OVERRIDDEN), ids=[f"{c.__name__}.{n}" for c, n in OVERRIDDEN]
)
def test_the_django_methods_the_sqlite_backend_overrides_are_unchanged(owner, name):
    # Given the method as this Django has it
    method = getattr(owner, name, None)
    assert method is not None, f"Django no longer has {owner.__name__}.{name}"
    signature, fingerprint = OVERRIDDEN[owner, name]
    source = inspect.getsource(method)

    # Then it is the one initiator_site/db/sqlite was written against
    assert str(inspect.signature(method)) == signature, f"{owner.__name__}.{name}'s signature"
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == fingerprint, (
        f"Django's {method.__qualname__} changed: review initiator_site/db/sqlite, then update "
        "its fingerprint in this test"
    )


@pytest.mark.django_db
def test_fast_insert_still_finds_what_it_reads_of_a_model_and_a_field():
    # Given the model metadata and field API that fast_insert builds its statement from
    meta = Account._meta
    assert meta.auto_field is not None and meta.parents == {}
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    assert fields, "Model._meta.local_concrete_fields no longer lists the columns"
    for field in fields:
        assert list(inspect.signature(field.pre_save).parameters) == ["model_instance", "add"]
        assert list(inspect.signature(field.get_db_prep_save).parameters) == [
            "value",
            "connection",
        ]
    assert hasattr(connection.features, "can_return_columns_from_insert")
    assert callable(connection.ops.last_insert_id)

    # When a row is written through it
    account = Account(name="plumbing")
    fast_insert.insert(account)

    # Then it is stored as save() would store it, and the instance knows it is saved
    assert account.pk is not None and account._state.adding is False
    assert Account.objects.get(pk=account.pk).name == "plumbing"
