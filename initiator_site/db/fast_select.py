"""A hot lookup by one value, compiled once instead of by the ORM on every call.

The survey response page (``/s/{token}/``, public) reads one invitation with its survey and
response by the hash of its token. Compiling that query (three tables, ``select_related``,
``only``) cost more than the rest of the page on the bench machine: about 0.3 ms of a 1.1 ms
request, where running it cost 0.04 ms. Here the queryset is compiled once per thread and
database (a thread has its own connection, which the converters are bound to), and each call
binds the value, runs the statement and builds the objects the way Django's
``ModelIterable`` does: the fields' converters, ``Model.from_db`` (unread columns deferred)
and the related populators of ``select_related``. What comes back is what the queryset itself
would return.

The queryset must filter on the value once and take no other parameter that changes between
calls; ``tests/initiator_site/db/test_db_plumbing.py`` pins the Django internals used here.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators


@dataclass(frozen=True)
class _Compiled:
    connection: Any  # the thread's DatabaseWrapper it was compiled for
    sql: str
    params: tuple
    at: int  # the value's place among the parameters
    compiler: Any  # Django's SQLCompiler, for its converters
    converters: dict
    model: type[Model]
    fields: slice  # the model's own columns in a row
    init_list: list[str]
    populators: list


class Lookup:
    """``Lookup(lambda value: Model.objects....filter(field=value))``; ``first(value)`` is
    that queryset's first row (None when there is none)."""

    def __init__(self, queryset: Callable[[str], QuerySet]):
        self._queryset = queryset
        self._local = threading.local()

    def first(self, value: str, using: str = DEFAULT_DB_ALIAS) -> Model | None:
        connection = connections[using]
        compiled_here = self._local.__dict__.setdefault("compiled", {})
        compiled = compiled_here.get(using)
        if compiled is None or compiled.connection is not connection:
            compiled = compiled_here[using] = self._compile(using)
        params = list(compiled.params)
        params[compiled.at] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            (row,) = compiled.compiler.apply_converters([row], compiled.converters)
        obj = compiled.model.from_db(using, compiled.init_list, row[compiled.fields])
        for populator in compiled.populators:
            populator.populate(row, obj)
        return obj

    def _compile(self, using: str) -> _Compiled:
        marker = f"fast-select-{uuid.uuid4().hex}"
        queryset = self._queryset(marker)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()  # also fills compiler.select and klass_info
        places = [n for n, param in enumerate(params) if param == marker]
        if len(places) != 1:
            raise ValueError("A fast_select.Lookup's queryset must use its value exactly once.")
        if compiler.annotation_col_map or queryset._known_related_objects:
            raise ValueError("A fast_select.Lookup's queryset can't have annotations.")
        select, klass_info = compiler.select, compiler.klass_info
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Compiled(
            connection=connections[using],
            sql=sql,
            params=tuple(params),
            at=places[0],
            compiler=compiler,
            converters=compiler.get_converters([column for column, _sql, _alias in select]),
            model=klass_info["model"],
            fields=slice(first, last),
            init_list=[column.target.attname for column, _sql, _alias in select[first:last]],
            populators=get_related_populators(klass_info, select, using),
        )
