"""initiator_site/db overrides and reads private parts of Django. These tests pin what it
relies on, so that a Django upgrade that changes any of it fails here, loudly and by name,
instead of quietly changing how the SQLite writer queue, the hot-path INSERTs or the compiled
lookups behave.

When one fails after an upgrade: read the named Django method's new source, check that
initiator_site/db still does the right thing with it, then update the fingerprint below."""

from __future__ import annotations

import hashlib
import inspect

import pytest
from django.db import connection
from django.db.backends.sqlite3 import base as sqlite_base
from django.db.models import Model, query
from django.db.models.sql.compiler import SQLCompiler

from accounts.models import Account
from initiator_site.db import fast_insert, fast_select
from surveys.models import Invitation, SurveyResponse
from tests.factories import make_invitation, make_survey

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


# What fast_select builds objects with, as Django's ModelIterable does.
RELIED_ON = {
    (query, "get_related_populators"): ("(klass_info, select, db)", "979430eb75b93969"),
    (query.RelatedPopulator, "__init__"): ("(self, klass_info, select, db)", "211f3bd0dfdc3a3b"),
    (query.RelatedPopulator, "populate"): ("(self, row, from_obj)", "c939cb628b0376fe"),
    (SQLCompiler, "apply_converters"): ("(self, rows, converters)", "c034ce3e5090aa2e"),
    (SQLCompiler, "get_converters"): ("(self, expressions)", "c6c8c1b71882ee8b"),
    (Model, "from_db"): ("(db, field_names, values)", "eba347895d11fa79"),
}
PINNED = {**OVERRIDDEN, **RELIED_ON}


@pytest.mark.parametrize(
    ("owner", "name"), list(PINNED), ids=[f"{c.__name__}.{n}" for c, n in PINNED]
)
def test_the_django_methods_initiator_site_db_overrides_or_reads_are_unchanged(owner, name):
    # Given the method as this Django has it
    method = getattr(owner, name, None)
    assert method is not None, f"Django no longer has {owner.__name__}.{name}"
    signature, fingerprint = PINNED[owner, name]
    source = inspect.getsource(method)

    # Then it is the one initiator_site/db/sqlite was written against
    assert str(inspect.signature(method)) == signature, f"{owner.__name__}.{name}'s signature"
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == fingerprint, (
        f"Django's {method.__qualname__} changed: review initiator_site/db, then update "
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


def by_token_hash() -> fast_select.Lookup:
    return fast_select.Lookup(
        lambda value: (
            Invitation.objects.select_related("survey", "response")
            .only("email", "expires_at", "merge_snapshot", "survey__name", "response__answers")
            .filter(token_hash=value)
        )
    )


@pytest.mark.django_db
def test_a_compiled_lookup_returns_what_the_queryset_returns(account, django_assert_num_queries):
    # Given an invitation without a response, and one with
    survey = make_survey(account, name="Plumbing")
    alone, _ = make_invitation(survey, "ann@example.com", merge_snapshot={"a": [1, "é"]})
    answered, _ = make_invitation(survey, "bob@example.com")
    SurveyResponse.objects.create(invitation=answered, survey=survey, answers={"nps": 9})
    lookup = by_token_hash()
    for invitation in (alone, answered):
        expected = Invitation.objects.select_related("survey", "response").get(pk=invitation.pk)
        # When it is looked up, then one query reads it with its survey and response
        with django_assert_num_queries(1):
            found = lookup.first(invitation.token_hash)
            assert (found.pk, found.email, found.survey.name) == (
                expected.pk,
                expected.email,
                expected.survey.name,
            )
            assert found.merge_snapshot == expected.merge_snapshot
            assert found.expires_at == expected.expires_at  # converted, aware
            if invitation is answered:
                assert found.response.answers == {"nps": 9}
            else:
                with pytest.raises(SurveyResponse.DoesNotExist):
                    found.response  # noqa: B018 (known absent, no query)
        # And the columns not asked for are deferred, as only() would leave them
        assert "reminder_days" in found.get_deferred_fields()
        assert found._state.adding is False and found._state.db == "default"
    # And a value that matches nothing is None
    assert lookup.first("0" * 64) is None


def test_a_lookup_must_use_its_value_exactly_once():
    twice = fast_select.Lookup(
        lambda value: Invitation.objects.filter(token_hash=value, email=value)
    )
    never = fast_select.Lookup(lambda value: Invitation.objects.filter(email="x"))
    for lookup in (twice, never):
        with pytest.raises(ValueError, match="exactly once"):
            lookup.first("abc")
