"""Each hot query can be served by an index (PostgreSQL): its plan, made with sequential
scans disabled, has none left. Without such an index the query would read the whole table
once it holds millions of rows (the growth part of `make bench` shows the plans at 1M)."""

import pytest
from django.db import connection
from django.utils import timezone

from bench import plans
from integrations.models import WebhookDelivery
from integrations.subscriptions import subscription_for

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="query plans are PostgreSQL's (skipped on SQLite)"
    ),
]


@pytest.fixture
def ctx(auth, workflow):
    sub = subscription_for(auth, "shipment_created")
    # One due delivery, so the relay's hand-out goes past its first check to the locking read
    WebhookDelivery.objects.create(
        subscription=sub,
        scope="store/shipment/created",
        store_hash=auth.store_hash,
        hash="due",
        body="{}",
        next_attempt_at=timezone.now(),
    )
    return plans.Context(subscription=sub, workflow=workflow)


@pytest.mark.parametrize("name", list(plans.HOT_QUERIES))
def test_each_hot_query_uses_an_index(ctx, name):
    # Given the statements the real code path sends
    statements = plans.executed_sql(name, ctx)
    assert statements
    for sql in statements:
        # When PostgreSQL plans each one with sequential scans disabled
        plan = plans.explain(sql, seqscan=False)
        # Then every table it reads is read through an index
        assert plans.seq_scanned(plan) == [], f"{name}: no index serves\n{sql}\n{plan}"
        assert plans.indexes_used(plan), f"{name}: no index in the plan\n{sql}\n{plan}"
