"""INSERTs through Django's own field adaptation, without Django's per-call SQL building.

Two hot paths write rows with plain INSERTs:

- The webhook receiver writes one or two rows per webhook (the delivery and, with the ORM
  broker, its task). `Model.save()` compiles its INSERT on every call, which was most of the
  receiver's cost (about 0.4 ms of a ~1 ms request on the bench machine); here the statement is
  built once per model and database and reused.
- The fan-out writes one run per listening workflow, each with a copy of the merge data.
  Django 5.2's `bulk_create` on PostgreSQL sends rows as arrays (`UNNEST`), and psycopg quotes a
  text array in Python character by character: 20 runs of a shipment cost ~35 ms of CPU. A
  multi-row VALUES list has each value quoted by libpq instead.

Values still pass through each field's `pre_save` and `get_db_prep_save`, so defaults,
`auto_now_add`, JSON, datetimes and encrypted fields are stored exactly as `save()` stores them.
Unlike `save()` no pre_save/post_save signals are sent (nothing listens for these models), and
models with multi-table inheritance are refused.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import Model

BATCH = 500  # rows per statement: far below SQLite's and PostgreSQL's parameter limits

_statements: dict[tuple[str, type[Model]], tuple[str, str, str, list, bool]] = {}


def insert(obj: Model, using: str = "default") -> None:
    """INSERT `obj` (a new instance) and set its primary key, like `obj.save(force_insert=True)`."""
    insert_many([obj], using)


def insert_many(objs: list[Model], using: str = "default") -> None:
    """INSERT new instances of one model, a multi-row statement per batch, and set their keys."""
    if not objs:
        return
    connection = connections[using]
    model = type(objs[0])
    key = (using, model)
    if key not in _statements:
        _statements[key] = _statement(model, connection)
    head, row, returning_sql, fields, returning = _statements[key]
    meta = model._meta
    for start in range(0, len(objs), BATCH):
        batch = objs[start : start + BATCH]
        if returning or len(batch) == 1:
            sql = head + ", ".join([row] * len(batch)) + returning_sql
        else:  # no RETURNING (old SQLite): one row per statement, for lastrowid
            sql = head + row
        params = [
            field.get_db_prep_save(field.pre_save(obj, True), connection)
            for obj in batch
            for field in fields
        ]
        with connection.cursor() as cursor:
            if returning:
                cursor.execute(sql, params)
                for obj, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                    obj.pk = pk
            else:
                width = len(fields)
                for i, obj in enumerate(batch):
                    cursor.execute(sql, params[i * width : (i + 1) * width])
                    obj.pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
        for obj in batch:
            obj._state.adding = False
            obj._state.db = using


def _statement(model: type[Model], connection) -> tuple[str, str, str, list, bool]:
    meta = model._meta
    if meta.parents:
        raise TypeError(f"fast_insert can't write {meta.label}: it inherits from another model.")
    fields = [
        field
        for field in meta.local_concrete_fields
        if field is not meta.auto_field and not getattr(field, "generated", False)
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608 (quoted names)
    row = f"({', '.join(['%s'] * len(fields))})"
    returning = bool(meta.auto_field) and connection.features.can_return_columns_from_insert
    returning_sql = f" RETURNING {quote(meta.pk.column)}" if returning else ""
    return head, row, returning_sql, fields, returning
