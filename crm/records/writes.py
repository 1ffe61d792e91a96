"""Writing many rows at once: records the lifecycle has cleaned and checked,
and the history and outbox rows that go with them.

``inserting`` (and ``insert_rows``) and ``update`` are the only places the
batch path touches the tables; no ``save()`` runs, so nothing but the columns
is written (models have no side effects in ``save()`` by design). On
PostgreSQL an insert is one ``COPY`` and an update one ``UPDATE … FROM
unnest(…)`` per batch, inside the caller's transaction: the same rows,
defaults and constraints as Django's ``bulk_create``/``bulk_update``, which
the other backends use.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

import orjson
from django.db import connection, models
from django.db.models.base import ModelState

from crm.metadata.types import ObjectType, Storage

#: Rows per statement on the backends without COPY.
BATCH_SIZE = 1000


def factory(model: type[models.Model], **fixed: Any) -> Callable[..., models.Model]:
    """A maker of many unsaved ``model`` instances that share the ``fixed``
    fields: ``make(**values)`` (attribute names) is ``model(**fixed,
    **values)`` without running ``Model.__init__`` each time. Callable
    defaults (ids, ``dict``, ``timezone.now``) are still called per instance."""
    template = model(**fixed)
    base = {k: v for k, v in template.__dict__.items() if k != "_state"}
    cached = dict(template._state.fields_cache)
    given = {model._meta.get_field(name).attname for name in fixed}
    fresh = [
        (f.attname, f.default)
        for f in model._meta.concrete_fields
        if f.has_default() and callable(f.default) and f.attname not in given
    ]

    def make(**values: Any) -> models.Model:
        obj = model.__new__(model)
        loaded = obj.__dict__
        loaded.update(base)
        for name, default in fresh:
            if name not in values:
                loaded[name] = default()
        loaded.update(values)
        state = ModelState()
        state.fields_cache.update(cached)
        loaded["_state"] = state
        return obj

    return make


def _json(value: Any) -> str | None:
    """A JSONField's value as COPY/array text; None is SQL NULL (as Django
    stores None in a nullable JSONField)."""
    return None if value is None else orjson.dumps(value).decode()


@cache
def _columns(model: type[models.Model]) -> tuple[tuple[str, str, Any], ...]:
    """(attname, quoted column, converter) of each column an insert writes:
    every concrete field but a database-assigned primary key."""
    found = []
    for field in model._meta.concrete_fields:
        if field.primary_key and isinstance(field, models.AutoField):
            continue  # BigAutoField is an AutoField: the database numbers it
        convert = _json if isinstance(field, models.JSONField) else None
        found.append((field.attname, connection.ops.quote_name(field.column), convert))
    return tuple(found)


def _values(obj: models.Model, columns) -> list:
    state = obj.__dict__
    return [
        convert(state[name]) if convert else state[name] for name, _, convert in columns
    ]


@contextmanager
def inserting(model: type[models.Model]) -> Iterator[Callable[[models.Model], None]]:
    """``put(obj)`` inserts new rows (their non-automatic fields set) as they
    come, so the database takes in each one while the caller makes the next;
    the rows are all written when the block ends. On PostgreSQL they stream
    through one ``COPY`` (no other query may run on the connection inside the
    block); elsewhere they go in batches at the end. Ids the database
    assigns (history, events) are not read back."""
    objs: list[models.Model] = []
    if connection.vendor != "postgresql":
        yield objs.append
        if objs:
            model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        return
    columns = _columns(model)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(quoted for _, quoted, _ in columns)
    sql = f"COPY {table} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        write = copy.write_row

        def put(obj: models.Model) -> None:
            write(_values(obj, columns))
            objs.append(obj)

        yield put
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def insert_rows(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert new rows at once (see ``inserting``)."""
    if not objs:
        return
    with inserting(model) as put:
        for obj in objs:
            put(obj)


def fields_of(object_type: ObjectType, changed: Collection[str]) -> list[str]:
    """The model fields holding the fields named in ``changed``."""
    names: set[str] = set()
    for name in changed:
        spec = object_type.fields.get(name)
        if spec is None:
            continue
        if spec.storage is Storage.COLUMN:
            names.add(spec.name)
        else:
            names.add("custom" if spec.storage is Storage.CUSTOM_JSON else "data")
    return sorted(names)


def update_rows(
    model: type[models.Model], objs: Sequence[models.Model], names: Collection[str]
) -> None:
    """Write the fields ``names`` of existing rows, by primary key."""
    if not objs or not names:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, list(names), batch_size=BATCH_SIZE)
        return
    meta = model._meta
    quote = connection.ops.quote_name
    pk = meta.pk
    fields = [meta.get_field(name) for name in sorted(names)]
    arrays = [[obj.pk for obj in objs]]
    casts = [f"%s::{pk.db_type(connection)}[]"]
    for field in fields:
        convert = _json if isinstance(field, models.JSONField) else None
        column = [getattr(obj, field.attname) for obj in objs]
        arrays.append([convert(v) for v in column] if convert else column)
        casts.append(f"%s::{field.db_type(connection)}[]")
    alias = ", ".join(quote(n) for n in ["_pk", *(f.column for f in fields)])
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {sets} "
        f"FROM unnest({', '.join(casts)}) AS v({alias}) "
        f"WHERE t.{quote(pk.column)} = v.{quote('_pk')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)


def update(object_type: ObjectType, records: Sequence, changed: Collection[str]):
    """Write the columns of ``changed`` fields of locked, changed records."""
    update_rows(object_type.model, records, fields_of(object_type, changed))
