"""Fixed-shape lookups compiled once per process and run with a new value.

Authenticating a request is one query of fixed shape (a credential by its
digest, with its holder, workspace, membership and profile): only the digest
changes. Django compiles a queryset to SQL on every execution, and for this
five-table ``select_related`` the compiling costs more than the database's
work. A ``Prepared`` lookup compiles its queryset once per database, with a
marker in place of the value, and then only executes the SQL and builds the
instances the way Django's own model iterable does (converters, related
objects). It holds no data between calls, only the SQL and how to read a row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

#: Stands in for the value while compiling; never sent to a database.
_MARKER = "\x00hotcrm.prepared\x00"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]
    select: Any
    klass_info: dict[str, Any]
    converters: dict[int, tuple[list, Any]]
    start: int
    end: int
    init_list: tuple[str, ...]
    annotations: tuple[tuple[str, int], ...]


class Prepared:
    """``first(value)``: the first row (a model instance with its
    ``select_related`` objects) of ``build(value)``, or None.

    ``build`` must give the same SQL for every value, with the value as a
    query parameter (an equality filter on a text column, say)."""

    def __init__(self, build: Callable[[str], QuerySet]) -> None:
        self._build = build
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def _compile(self, using: str) -> _Compiled:
        vendor = connections[using].vendor
        found = self._compiled.get((using, vendor))
        if found is not None:
            return found
        compiler = self._build(_MARKER)[:1].query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = tuple(i for i, param in enumerate(params) if param == _MARKER)
        if not slots:
            raise ValueError("The lookup's value is not a query parameter.")
        klass_info, select = compiler.klass_info, compiler.select
        fields = [column[0] for column in select[: compiler.col_count]]
        positions = klass_info["select_fields"]
        start, end = positions[0], positions[-1] + 1
        found = _Compiled(
            sql=sql,
            params=tuple(params),
            slots=slots,
            select=select,
            klass_info=klass_info,
            converters=compiler.get_converters(fields),
            start=start,
            end=end,
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            annotations=tuple((compiler.annotation_col_map or {}).items()),
        )
        with self._lock:
            self._compiled[(using, vendor)] = found
        return found

    def first(self, value: str, using: str = DEFAULT_DB_ALIAS) -> Model | None:
        compiled = self._compile(using)
        params = list(compiled.params)
        for slot in compiled.slots:
            params[slot] = value
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            row = list(row)
            for position, (converters, expression) in compiled.converters.items():
                cell = row[position]
                for convert in converters:
                    cell = convert(cell, expression, connection)
                row[position] = cell
        model = compiled.klass_info["model"]
        instance = model.from_db(
            using, compiled.init_list, row[compiled.start : compiled.end]
        )
        for populator in get_related_populators(
            compiled.klass_info, compiled.select, using
        ):
            populator.populate(row, instance)
        for name, position in compiled.annotations:
            setattr(instance, name, row[position])
        return instance
