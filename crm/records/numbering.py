"""Numbers the lifecycle gives new records: the fields a model declares in
``auto_numbers`` in its ``CRM`` class (field → (format, first number)), such
as the case number "00001000".

Each (workspace, object, field) has a ``Counter`` row holding the last number
given. ``reserve`` moves it by a whole block in one statement, an upsert that
returns the new last value (``INSERT … ON CONFLICT … DO UPDATE … RETURNING``
on PostgreSQL and SQLite alike), so a batch of creates costs one counter
update however many rows it has. The upsert locks the row until the
transaction ends: concurrent creates in a workspace wait for each other there
and never share a number, and a transaction that rolls back gives its block
back (numbers have no gaps but those of records purged since).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.db import connection

from accounts.access import Context
from crm.metadata.types import FieldSpec, ObjectType, Storage
from crm.models import Counter
from crm.records import declared


@dataclass(frozen=True, slots=True)
class AutoNumber:
    """One numbered field: ``format`` renders a number (``"{:08d}"``)."""

    spec: FieldSpec
    format: str
    start: int

    def text(self, number: int) -> str:
        return self.format.format(number)


@lru_cache(maxsize=1024)
def auto_numbers(object_type: ObjectType) -> tuple[AutoNumber, ...]:
    """The numbered fields of an object (none for custom objects). TypeError
    for a declaration that names no read-only column of the model."""
    found = []
    for name, (pattern, start) in (
        declared.option(object_type, "auto_numbers") or {}
    ).items():
        spec = object_type.fields.get(name)
        if spec is None or spec.storage is not Storage.COLUMN or not spec.read_only:
            raise TypeError(
                f"{object_type.api_name}.{name}: an auto number is a read-only "
                "column of the model."
            )
        found.append(AutoNumber(spec, pattern, int(start)))
    return tuple(found)


def _workspace_db(workspace_id: UUID) -> Any:
    field = Counter._meta.get_field("workspace")
    return field.get_db_prep_value(workspace_id, connection)


def _take(workspace_id: UUID, object_name: str, number: AutoNumber, count: int):
    """The first of ``count`` new consecutive numbers of the field."""
    quote = connection.ops.quote_name
    table = quote(Counter._meta.db_table)
    key = ", ".join(quote(c) for c in ("workspace_id", "object_name", "field"))
    last = quote("last_value")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, {last}) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT ({key}) DO UPDATE SET {last} = {table}.{last} + %s "
            f"RETURNING {last}",
            [
                _workspace_db(workspace_id),
                object_name,
                number.spec.name,
                number.start - 1 + count,
                count,
            ],
        )
        (given,) = cursor.fetchone()
    return given - count + 1


def reserve(
    workspace_id: UUID, object_type: ObjectType, count: int
) -> dict[str, list[str]]:
    """``count`` new numbers, in order, per numbered field of the object: one
    counter update per field. Call inside the transaction that writes the
    records (the counter stays locked until it ends)."""
    given: dict[str, list[str]] = {}
    if count <= 0:
        return given
    for number in auto_numbers(object_type):
        first = _take(workspace_id, object_type.api_name, number, count)
        given[number.spec.name] = [number.text(first + i) for i in range(count)]
    return given


def assign(
    ctx: Context,
    object_type: ObjectType,
    records: Sequence[tuple[Any, dict[str, Any]]],
) -> None:
    """Number new, unsaved records in order, setting each numbered field on
    the record and in its state (``validation.state_of``)."""
    numbered = auto_numbers(object_type)
    if not numbered or not records:
        return
    given = reserve(ctx.workspace_id, object_type, len(records))
    for number in numbered:
        column, name = number.spec.column, number.spec.name
        for (record, state), value in zip(records, given[name], strict=True):
            setattr(record, column, value)
            state[name] = value
