"""Fixed-shape lookups compiled once per process and run with a new value.

Authenticating a request is one query of fixed shape (a credential by its
digest, with its holder, workspace, membership and profile), and so is
reading one record by its id: only the value changes. Django compiles a
queryset to SQL on every execution, and for such lookups the compiling costs
more than the database's work. A prepared lookup compiles its queryset once
per database, with a marker in place of the value, then only executes the
SQL and reads the row the way Django's own iterables do (converters, related
objects). It holds no data between calls, only the SQL and how to read a row.

On PostgreSQL the statement is also prepared on the server, once per
connection: Django's cursors bind values client-side (into the SQL text), so
PostgreSQL would parse and plan the same join of five tables on every
request; a server-side prepared statement skips both (~0.2 ms a request). It
needs a pooler that keeps prepared statements (PgBouncer >= 1.21 with
``max_prepared_statements``, or none): ``DATABASE_PREPARED_LOOKUPS=false``
turns it off.

``Prepared`` gives model instances with their ``select_related`` objects;
``PreparedRow`` gives the converted tuple of a ``values_list`` queryset.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

#: Stand in for the value while compiling; never sent to a database.
TEXT_MARKER = "\x00hotcrm.prepared\x00"
UUID_MARKER = uuid.UUID("00000000-0000-7000-8000-0d15ea5e0000")


class _Preparing(psycopg.Cursor):
    """psycopg's cursor that binds values server-side, asking for each
    statement it runs to be prepared (kept per connection by psycopg)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def _cursor(connection):
    """A cursor for a prepared lookup: on PostgreSQL one that binds values
    server-side and has the statement prepared, wrapped as Django wraps its
    own (errors, query logging, execute wrappers); elsewhere Django's."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_LOOKUPS:
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    psycopg_connection = connection.connection
    if psycopg_connection.prepare_threshold is None:
        # Django turns preparing off for the connection (its cursors bind
        # client-side and never prepare anyway): on for these cursors only.
        psycopg_connection.prepare_threshold = 5
    raw = _Preparing(psycopg_connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]
    compiler: Any
    converters: dict[int, tuple[list, Any]]

    def run(self, value: Any, using: str):
        """The first row of the statement for ``value``, converted; or None."""
        connection = connections[using]
        params = list(self.params)
        for slot in self.slots:
            params[slot] = value
        with _cursor(connection) as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None or not self.converters:
            return row
        row = list(row)
        for position, (converters, expression) in self.converters.items():
            cell = row[position]
            for convert in converters:
                cell = convert(cell, expression, connection)
            row[position] = cell
        return row


class _Lookup:
    """What both kinds share: compile once per database, find the slots."""

    def __init__(self, build: Callable[[Any], QuerySet], marker: Any) -> None:
        self._build = build
        self._marker = marker
        self._compiled: dict[tuple[str, str], _Statement] = {}
        self._lock = threading.Lock()

    def _statement(self, using: str) -> _Statement:
        vendor = connections[using].vendor
        found = self._compiled.get((using, vendor))
        if found is not None:
            return found
        queryset = self._build(self._marker)[:1]
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        wanted = self.prep(self._marker, using)
        slots = tuple(i for i, param in enumerate(params) if param == wanted)
        if not slots:
            raise ValueError("The lookup's value is not a query parameter.")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        found = _Statement(
            sql=sql,
            params=tuple(params),
            slots=slots,
            compiler=compiler,
            converters=compiler.get_converters(fields),
        )
        with self._lock:
            self._compiled[(using, vendor)] = found
        return found

    def prep(self, value: Any, using: str) -> Any:
        """``value`` as a query parameter (a UUID as the database keeps it)."""
        if (
            isinstance(value, uuid.UUID)
            and not connections[using].features.has_native_uuid_field
        ):
            return value.hex
        return value


class Prepared(_Lookup):
    """``first(value)``: the first row (a model instance with its
    ``select_related`` objects) of ``build(value)``, or None.

    ``build`` must give the same SQL for every value, with the value as a
    query parameter (an equality filter on a text column, say)."""

    def __init__(self, build: Callable[[str], QuerySet]) -> None:
        super().__init__(build, TEXT_MARKER)

    def first(self, value: str, using: str = DEFAULT_DB_ALIAS) -> Model | None:
        statement = self._statement(using)
        row = statement.run(value, using)
        if row is None:
            return None
        compiler = statement.compiler
        klass_info, select = compiler.klass_info, compiler.select
        positions = klass_info["select_fields"]
        start, end = positions[0], positions[-1] + 1
        names = [f[0].target.attname for f in select[start:end]]
        instance = klass_info["model"].from_db(using, names, row[start:end])
        for populator in get_related_populators(klass_info, select, using):
            populator.populate(row, instance)
        for name, position in (compiler.annotation_col_map or {}).items():
            setattr(instance, name, row[position])
        return instance


class PreparedRow(_Lookup):
    """``first(record_id)``: the first tuple of the ``values_list`` queryset
    ``build(record_id)`` gives, or None; the id (a UUID) is a parameter."""

    def __init__(self, build: Callable[[uuid.UUID], QuerySet]) -> None:
        super().__init__(build, UUID_MARKER)

    def first(self, record_id: uuid.UUID, using: str = DEFAULT_DB_ALIAS):
        row = self._statement(using).run(self.prep(record_id, using), using)
        return None if row is None else tuple(row)
