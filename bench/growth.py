"""Growth (PostgreSQL): the tables as in a busy second year, loaded with COPY, then ingest and
drain measured again beside the same topology's empty-database figures of the same run.

`load` writes `rows` processed deliveries, as many runs (one in five skipped by the frequency
cap; one step result each) and
a customer email for every fourth run, spread over the last 80 days (inside retention), with
COPY through psycopg: about a minute for a million, where the API would take hours. Then
VACUUM ANALYZE, as autovacuum would have done by then, and a CHECKPOINT.
`BENCH_GROWTH_ROWS` sets the size (0 skips the part).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import timedelta

DAYS = 80


def _columns(model, varying: dict[str, object]):
    """The model's columns, and a function giving one row's values: the constant ones are
    prepared once (defaults, as Django would save them), the varying ones per row."""
    from django.db import connection

    # An id not given is left to its sequence
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in varying]
    names = [f.column for f in fields]
    constant = {}
    for f in fields:
        if f.attname not in varying:
            constant[f.attname] = f.get_db_prep_save(f.get_default(), connection)
    return names, [f.attname for f in fields], constant


def _copy(model, count: int, make_row) -> int:
    """COPY `count` rows of `model`, each from `make_row(n)` (attname -> value)."""
    from django.db import connection

    sample = make_row(0)
    names, attnames, constant = _columns(model, sample)
    table = model._meta.db_table
    columns = ", ".join(f'"{name}"' for name in names)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for its COPY support
        with raw.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
            for n in range(count):
                row = make_row(n)
                copy.write_row([row[a] if a in row else constant[a] for a in attnames])
    return count


def _next_ids(model, count: int) -> int:
    """Reserve `count` ids of `model`'s sequence; the first of them."""
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_get_serial_sequence('\"{table}\"', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s)", [sequence])
        first = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count])
    return first


def load(sub, workflow, rows: int) -> dict:
    """The rows, committed; the seconds each table took."""
    from django.db import connection, transaction
    from django.utils import timezone
    from psycopg.types.json import Jsonb

    from bench import fixtures
    from integrations.models import WebhookDelivery
    from workflows.models import StepResult, WorkflowRun
    from workflows.sending.models import SentEmail

    now = timezone.now()
    start = now - timedelta(days=DAYS)
    step = timedelta(days=DAYS) / max(rows, 1)
    headers = Jsonb({"User-Agent": "Bigcommerce-Webhooks-bench"})
    merge = Jsonb({"BigCommerce | Order | id": 1, "BigCommerce | Customer | email": "x@e.com"})
    first_delivery = _next_ids(WebhookDelivery, rows)
    first_run = _next_ids(WorkflowRun, rows)
    first_result = _next_ids(StepResult, rows)
    tag = uuid.uuid4().hex[:6]
    seconds = {}

    def at(n):
        return start + step * n

    def delivery(n):
        order = fixtures.order_id_for(n)
        return {
            "id": first_delivery + n,
            "subscription_id": sub.pk,
            "scope": fixtures.SCOPE,
            "store_hash": fixtures.STORE,
            "hash": f"{tag}{n:x}{uuid.uuid4().hex[:24]}",
            "body": fixtures.shipment_body(f"grow-{n}", order),
            "headers": headers,
            "status": "processed",
            "attempts": 1,
            "received_at": at(n),
            "processed_at": at(n) + timedelta(seconds=1),
            "order_id": order,
        }

    def run(n):
        order = fixtures.order_id_for(n)
        return {
            "id": first_run + n,
            "workflow_id": workflow.pk,
            "delivery_id": first_delivery + n,
            # One in five held back by the frequency cap, as a busy store's would be
            "status": "skipped" if n % 5 == 4 else "succeeded",
            "skip_reason": "frequency_cap" if n % 5 == 4 else "",
            "merge_data": merge,
            "subject_key": f"order:{order}",
            "order_id": order,
            "customer_email": f"customer{n % 50000}@example.com",
            "next_position": 1,
            "created_at": at(n) + timedelta(seconds=1),
            "started_at": at(n) + timedelta(seconds=1),
            "finished_at": at(n) + timedelta(seconds=2),
        }

    def result(n):
        return {
            "id": first_result + n,
            "run_id": first_run + n,
            "position": 0,
            "type": "send_email",
            "status": "succeeded",
            "detail": "Sent.",
            "started_at": at(n) + timedelta(seconds=1),
            "finished_at": at(n) + timedelta(seconds=2),
        }

    def sent(n):
        n *= 4
        return {
            "account_id": workflow.account_id,
            "recipient": f"customer{n % 50000}@example.com",
            "run_id": first_run + n,
            "step_result_id": first_result + n,
            "sent_at": at(n) + timedelta(seconds=2),
        }

    for model, make_row, count in (
        (WebhookDelivery, delivery, rows),
        (WorkflowRun, run, rows),
        (StepResult, result, rows),
        (SentEmail, sent, rows // 4),
    ):
        began = time.perf_counter()
        with transaction.atomic():
            _copy(model, count, make_row)
        seconds[model._meta.db_table] = round(time.perf_counter() - began, 1)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for model in (WebhookDelivery, WorkflowRun, StepResult, SentEmail):
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
        # Write the load's dirty pages out now, not during the measurements that follow (as
        # the other parts sync the disk before theirs).
        cursor.execute("CHECKPOINT")
    os.sync()
    seconds["vacuum_analyze"] = round(time.perf_counter() - began, 1)
    return {"rows": rows, "sent_emails": rows // 4, "seconds": seconds}


def sizes() -> dict[str, str]:
    """Each loaded table's size with its indexes."""
    from django.db import connection

    tables = (
        "integrations_webhookdelivery",
        "workflows_workflowrun",
        "workflows_stepresult",
        "workflows_sentemail",
    )
    with connection.cursor() as cursor:
        return {
            t: cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s))", [t]).fetchone()[
                0
            ]
            for t in tables
        }


def plan_summary(sub, workflow) -> dict:
    from bench import plans

    report = plans.report(plans.Context(subscription=sub, workflow=workflow))
    return {
        name: [{"indexes": s["indexes"], "seq_scans": s["seq_scans"]} for s in statements]
        for name, statements in report.items()
    } | {"_plans": json.loads(json.dumps(report))}


def ratios(empty: dict, grown: dict) -> dict:
    """Grown figures over empty ones (target >= 0.9)."""

    def ratio(a, b):
        return round(a / b, 3) if a and b else None

    out = {}
    for server, figures in grown.get("ingest", {}).get("servers", {}).items():
        before = empty.get("ingest", {}).get("servers", {}).get(server)
        if before:
            out[f"ingest {server} (c) req/s"] = ratio(
                figures["views"]["c"]["rps"], before["views"]["c"]["rps"]
            )
            out[f"ingest {server} (c)/(b)"] = ratio(figures["c_over_b"], before["c_over_b"])
    if grown.get("pipeline") and empty.get("pipeline"):
        out["drain, 1 workflow, deliveries/s"] = ratio(
            grown["pipeline"]["deliveries_per_s"], empty["pipeline"][0]["deliveries_per_s"]
        )
    return out
