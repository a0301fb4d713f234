"""Migration 0010 drops the `timezone` columns for the kept store settings: a zone that only
the column knew is written into the settings first, so no send window falls back to UTC."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from integrations.models import BigCommerceAuthentication

BEFORE = [("integrations", "0009_api_budget_backfill")]
AFTER = [("integrations", "0010_time_zone_in_store_settings")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_zone_only_the_old_column_knew_moves_into_the_store_settings(account):
    # Given, before the migration, two stores: one whose zone only the column holds, one whose
    # settings hold it already
    old = migrate(BEFORE).get_model("integrations", "BigCommerceAuthentication")
    fields = {"account_id": account.pk, "client_id": "c", "access_token": "t"}
    column_only = old.objects.create(
        name="Column", store_hash="abc1", timezone="America/Chicago", **fields
    )
    both = old.objects.create(
        name="Both",
        store_hash="abc2",
        timezone="America/Chicago",
        store_settings={"name": "Shop", "timezone": {"name": "Europe/London"}},
        **fields,
    )
    # When the migration runs
    migrate(AFTER)
    # Then each store's zone is read from its settings, the settings' own zone winning
    zones = dict((auth.pk, auth.timezone) for auth in BigCommerceAuthentication.objects.all())
    assert zones == {column_only.pk: "America/Chicago", both.pk: "Europe/London"}
    assert BigCommerceAuthentication.objects.get(pk=both.pk).store_settings["name"] == "Shop"
