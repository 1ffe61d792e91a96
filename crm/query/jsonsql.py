"""Typed SQL for values stored in JSON (``custom`` and ``data`` columns).

A JSON value is compared by its field type: numbers as numbers, booleans as
booleans, dates as ISO text (which sorts as dates do), date-times as fixed-width
UTC text (``YYYY-MM-DDTHH:MM:SS.ffffff``) and everything else as text. Each
expression is built from immutable functions only, so PostgreSQL can index it:
``indexes.py`` creates indexes on exactly the SQL produced here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.db import models
from django.db.models.expressions import Expression, F

from crm.metadata import field_types

_KEY = re.compile(r"^[A-Za-z0-9_]{1,80}$")

#: How each field type's JSON value is compared; subclasses inherit.
KINDS: dict[type, str] = {
    field_types.FieldType: "text",
    field_types.NumberType: "number",
    field_types.BooleanType: "bool",
    field_types.DateType: "date",
    field_types.DateTimeType: "datetime",
    field_types.MultiPicklistType: "list",
    field_types.LookupType: "uuid",
}


def kind_of(field_type: field_types.FieldType) -> str:
    for klass in type(field_type).__mro__:
        if klass in KINDS:
            return KINDS[klass]
    raise AssertionError(field_type)


#: The output field of each kind, shared by every expression as Django's own
#: expressions share theirs (building a field costs more than compiling it).
_OUTPUT_FIELDS = {
    "number": models.DecimalField(max_digits=38, decimal_places=10),
    "bool": models.BooleanField(),
    "list": models.JSONField(),
}
_TEXT_FIELD = models.TextField()


def output_field(kind: str) -> models.Field:
    return _OUTPUT_FIELDS.get(kind, _TEXT_FIELD)


def stamp(value: dt.datetime) -> str:
    """A date-time as the fixed-width UTC text its JSON value is compared as."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def db_value(kind: str, value: Any) -> Any:
    """A typed Python operand as the value the JSON expression compares to."""
    if value is None:
        return None
    if kind == "datetime":
        return stamp(value)
    if kind in ("date", "uuid"):
        return value.isoformat() if kind == "date" else str(value)
    return value


def _check_key(key: str) -> str:
    # Keys are inlined (so an expression index matches the query's SQL); the
    # metadata service only allows [a-z0-9_] names, checked again here.
    if not _KEY.match(key):
        raise ValueError(f"unsafe JSON key {key!r}")
    return key


def sql(vendor: str, lhs: str, key: str, kind: str) -> str:
    """The SQL of ``lhs[key]`` typed as ``kind``; ``lhs`` may repeat."""
    key = _check_key(key)
    if vendor == "postgresql":
        text = f"({lhs} ->> '{key}')"
        node = f"({lhs} -> '{key}')"
        typed = {
            "number": f"(CASE WHEN jsonb_typeof({node}) = 'number' "
            f"THEN {text}::numeric END)",
            "bool": f"(CASE WHEN jsonb_typeof({node}) = 'boolean' "
            f"THEN {text}::boolean END)",
            "datetime": f"(CASE WHEN length({text}) = 20 "
            f"THEN left({text}, 19) || '.000000' ELSE left({text}, 26) END)",
            "list": node,
        }
        return typed.get(kind, text)
    path = f"'$.\"{key}\"'"
    text = f"json_extract({lhs}, {path})"
    typed = {
        "number": f"CAST(CASE WHEN json_type({lhs}, {path}) IN ('integer', 'real') "
        f"THEN {text} END AS NUMERIC)",
        "bool": f"(CASE WHEN json_type({lhs}, {path}) IN ('true', 'false') "
        f"THEN {text} END)",
        "datetime": f"(CASE WHEN length({text}) = 20 "
        f"THEN substr({text}, 1, 19) || '.000000' ELSE substr({text}, 1, 26) END)",
        "list": f"(CASE WHEN json_type({lhs}, {path}) = 'array' THEN {text} END)",
    }
    return typed.get(kind, text)


class _OnSource(Expression):
    """An expression over one source (a JSON column, possibly across joins)."""

    def __init__(self, source, key: str, output_field=None):
        super().__init__(output_field=output_field)
        self.source = F(source) if isinstance(source, str) else source
        self.key = _check_key(key)

    def get_source_expressions(self):
        return [self.source]

    def set_source_expressions(self, exprs):
        (self.source,) = exprs


class JsonValue(_OnSource):
    """``source[key]`` typed by ``kind`` (see ``sql``)."""

    def __init__(self, source, key: str, kind: str):
        super().__init__(source, key, output_field=output_field(kind))
        self.kind = kind

    def as_sql(self, compiler, connection):
        lhs, params = compiler.compile(self.source)
        text = sql(connection.vendor, lhs, self.key, self.kind)
        return text, tuple(params) * text.count(lhs)


class JsonUuid(_OnSource):
    """A lookup stored in JSON as the id type of the database's UUID columns,
    to join or correlate on (SQLite keeps UUIDs as 32 hex digits)."""

    def __init__(self, source, key: str):
        super().__init__(source, key, output_field=models.UUIDField())

    def as_sql(self, compiler, connection):
        lhs, params = compiler.compile(self.source)
        text = sql(connection.vendor, lhs, self.key, "uuid")
        if connection.vendor == "postgresql":
            text = f"({text})::uuid"
        else:
            text = f"replace({text}, '-', '')"
        return text, tuple(params) * text.count(lhs)


class JsonListHas(_OnSource):
    """True when the JSON list ``source[key]`` holds ``item``."""

    conditional = True

    def __init__(self, source, key: str, item: str):
        super().__init__(source, key, output_field=models.BooleanField())
        self.item = item

    def as_sql(self, compiler, connection):
        lhs, params = compiler.compile(self.source)
        if connection.vendor == "postgresql":
            text = f"({lhs} -> '{self.key}') @> %s::jsonb"
            return text, tuple(params) * text.count(lhs) + (json.dumps([self.item]),)
        text = (
            f"EXISTS (SELECT 1 FROM json_each({lhs}, '$.\"{self.key}\"') AS je "
            "WHERE je.value = %s)"
        )
        return text, tuple(params) * text.count(lhs) + (self.item,)


class JsonListFilled(_OnSource):
    """True when ``source[key]`` is a non-empty JSON list."""

    conditional = True

    def __init__(self, source, key: str):
        super().__init__(source, key, output_field=models.BooleanField())

    def as_sql(self, compiler, connection):
        lhs, params = compiler.compile(self.source)
        key = self.key
        if connection.vendor == "postgresql":
            node = f"({lhs} -> '{key}')"
            text = (
                f"(CASE WHEN jsonb_typeof({node}) = 'array' "
                f"THEN jsonb_array_length({node}) > 0 ELSE false END)"
            )
        else:
            text = f"COALESCE(json_array_length({lhs}, '$.\"{key}\"') > 0, 0)"
        return text, tuple(params) * text.count(lhs)
