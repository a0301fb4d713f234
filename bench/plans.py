"""The hot queries and their PostgreSQL plans.

Each entry of `HOT_QUERIES` runs the real code path (the relay's hand-out, the sweeper's, the
duplicate check, the send-once guard, the frequency cap, the skip counts of a day); its SQL
is captured as executed and EXPLAINed. The growth part prints the plans at a million rows
(the planner's real choice); tests/bench/test_plans.py asserts that each can use an index
(plans made with sequential scans disabled: one left means no index serves the query).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
INDEX_USED = re.compile(
    r"Index (?:Only )?Scan (?:Backward )?using (\w+)|Bitmap Index Scan on (\w+)"
)


@dataclass(frozen=True)
class Context:
    """What the queries are asked about: a subscription, its workflow and account."""

    subscription: object
    workflow: object


def _relay(ctx: Context):
    from integrations import deliveries

    return deliveries.hand_out(50)


def _sweeper(ctx: Context):
    from integrations import deliveries
    from workflows import jobs, runs

    return deliveries.due_ids(), runs.due_ids(), jobs.due_ids()


def _dedupe(ctx: Context):
    from integrations.models import WebhookDelivery

    return WebhookDelivery.objects.filter(
        subscription=ctx.subscription, hash="a-hash-seen-before"
    ).exists()


def _send_once(ctx: Context):
    from workflows import fanout

    return fanout.already_ran_for(ctx.workflow, "order:1")


def _frequency_cap(ctx: Context):
    from django.utils import timezone

    from workflows.sending import gate

    return gate.read_facts(ctx.workflow.account, ["someone@example.com"], timezone.now())


def _stats_of_a_day(ctx: Context):
    from django.utils import timezone

    from workflows.sending import stats

    return stats.skip_counts(ctx.workflow.account_id, since=timezone.now() - timedelta(days=1))


HOT_QUERIES: dict[str, Callable[[Context], object]] = {
    "relay hand-out": _relay,
    "sweeper": _sweeper,
    "dedupe": _dedupe,
    "send-once": _send_once,
    "frequency cap": _frequency_cap,
    "skip counts of a day (stats)": _stats_of_a_day,
}


def executed_sql(name: str, ctx: Context) -> list[str]:
    """The SELECT, UPDATE and DELETE statements `HOT_QUERIES[name]` sent, as executed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        HOT_QUERIES[name](ctx)
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().split(" ", 1)[0].upper() in ("SELECT", "UPDATE", "DELETE")
    ]


def explain(sql: str, *, seqscan: bool = True) -> str:
    """PostgreSQL's plan for `sql` (with sequential scans discouraged when `seqscan` is off)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if not seqscan:
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def seq_scanned(plan: str) -> list[str]:
    return SEQ_SCAN.findall(plan)


def indexes_used(plan: str) -> list[str]:
    return [a or b for a, b in INDEX_USED.findall(plan)]


def report(ctx: Context) -> dict[str, list[dict]]:
    """Per hot query, each statement's plan as the planner chooses it at this size."""
    out = {}
    for name in HOT_QUERIES:
        out[name] = []
        for sql in executed_sql(name, ctx):
            plan = explain(sql)
            out[name].append(
                {
                    "sql": sql[:160],
                    "indexes": indexes_used(plan),
                    "seq_scans": seq_scanned(plan),
                    "plan": plan,
                }
            )
    return out
