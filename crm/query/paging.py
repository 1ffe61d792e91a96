"""Pages: keyset cursors and offsets.

A cursor pages on ``(sort keys…, id)``: it holds the last row's key values,
signed (``django.core.signing``) and bound to the query's object, filters and
sort, so it cannot be altered or reused for another question. Rows inserted or
deleted between pages never make a page repeat or skip a surviving row. Keys
order empty values last ascending and first descending.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any
from uuid import UUID

from django.core import signing
from django.db.models import BooleanField, F, Q, Value
from django.db.models import lookups as L
from django.db.models.expressions import Expression

from accounts import errors

_SALT = "crm.query.cursor"


class Row(dict):
    """One result row: field name → JSON-ready value (ids as ``UUID`` when
    read with ``uuids=True``). ``pk`` is its UUID."""

    @property
    def pk(self) -> UUID:
        found = self["id"]
        return found if isinstance(found, UUID) else UUID(found)


@dataclass
class Page:
    rows: list[Row]
    next_cursor: str | None
    has_more: bool
    limit: int
    fields: tuple[str, ...] = ()
    #: Set for offset paging only.
    total: int | None = None
    offset: int | None = None
    #: Set when the query asked to explain itself (admins).
    explain: dict[str, Any] | None = field(default=None)
    #: The rows are the caller's own (``reads.page``'s ``rows_as``), not Rows.
    shaped: bool = False

    @property
    def next_offset(self) -> int | None:
        if self.offset is None or not self.has_more:
            return None
        return self.offset + len(self.rows)


@dataclass(frozen=True)
class Key:
    """One key of the keyset: an expression, its direction, and whether it can
    be empty (NULL)."""

    expr: Expression
    descending: bool
    nullable: bool = True


def id_key(descending: bool) -> Key:
    return Key(F("pk"), descending, nullable=False)


# -- the cursor ------------------------------------------------------------------

_TAGS = {Decimal: "n", dt.datetime: "t", dt.date: "d", UUID: "u"}


def _pack(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    for kind, tag in _TAGS.items():
        if isinstance(value, kind):
            return [tag, value.isoformat() if tag in "td" else str(value)]
    raise TypeError(f"cannot page on {type(value).__name__}")


def _unpack(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    tag, text = value
    return {
        "n": Decimal,
        "t": dt.datetime.fromisoformat,
        "d": dt.date.fromisoformat,
        "u": UUID,
    }[tag](text)


def fingerprint(*parts: Any) -> str:
    """A short digest of what a cursor is bound to."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def encode(shape: str, values: Sequence[Any]) -> str:
    return signing.dumps({"s": shape, "k": [_pack(v) for v in values]}, salt=_SALT)


def decode(shape: str, token: str, size: int) -> list[Any]:
    """The key values of a cursor; ValidationFailed when it was altered or
    belongs to another query."""
    try:
        payload = signing.loads(token, salt=_SALT)
        values = [_unpack(v) for v in payload["k"]]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise errors.ValidationFailed(
            "The cursor is not valid: pass back next_cursor exactly as it was "
            "returned.",
            field="cursor",
        ) from None
    if payload.get("s") != shape or len(values) != size:
        raise errors.ValidationFailed(
            "The cursor belongs to another query: keep the filters and sort "
            "the same when paging.",
            field="cursor",
        )
    return values


# -- the keyset predicate ----------------------------------------------------------


def _same(key: Key, value: Any) -> Q:
    return Q(L.IsNull(key.expr, True)) if value is None else Q(L.Exact(key.expr, value))


def _beyond(key: Key, value: Any) -> Q:
    if key.descending:  # empty values come first
        if value is None:
            return Q(L.IsNull(key.expr, False))
        return Q(L.LessThan(key.expr, value))
    if value is None:  # empty values come last: nothing is beyond them
        return Q(pk__in=[])
    beyond = Q(L.GreaterThan(key.expr, value))
    return beyond | Q(L.IsNull(key.expr, True)) if key.nullable else beyond


def _bound(key: Key, value: Any) -> Q:
    """A redundant range on the first key that lets an index seek to it."""
    if key.descending and value is not None:
        return Q(L.LessThanOrEqual(key.expr, value))
    if not key.descending and value is None:
        return Q(L.IsNull(key.expr, True))
    if not key.descending and not key.nullable:
        return Q(L.GreaterThanOrEqual(key.expr, value))
    return Q()


class RowCompare(Expression):
    """``(a, b, …) < (x, y, …)`` (or ``>``): one index-seekable comparison."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, exprs: Sequence[Expression], values: Sequence[Any], op: str):
        super().__init__()
        self.exprs = list(exprs)
        self.values = [Value(v) for v in values]
        self.op = op

    def get_source_expressions(self):
        return [*self.exprs, *self.values]

    def set_source_expressions(self, exprs):
        n = len(self.exprs)
        self.exprs, self.values = list(exprs[:n]), list(exprs[n:])

    def as_sql(self, compiler, connection):
        left = [compiler.compile(e) for e in self.exprs]
        right = [compiler.compile(v) for v in self.values]
        sql = "({}) {} ({})".format(
            ", ".join(s for s, _ in left), self.op, ", ".join(s for s, _ in right)
        )
        return sql, [p for _, ps in (*left, *right) for p in ps]


def _as_row(keys: Sequence[Key], values: Sequence[Any]) -> bool:
    """A row comparison is exact when every key runs the same way and no
    empty value can come after the cursor."""
    descending = keys[0].descending
    return all(
        key.descending == descending
        and value is not None
        and (key.descending or not key.nullable)
        for key, value in zip(keys, values, strict=True)
    )


def after(keys: Sequence[Key], values: Sequence[Any]) -> Q:
    """Rows strictly after ``values`` in the order of ``keys``."""
    if _as_row(keys, values):
        op = "<" if keys[0].descending else ">"
        return Q(RowCompare([k.expr for k in keys], values, op))
    disjuncts = []
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        disjuncts.append(equal & _beyond(key, value))
        equal &= _same(key, value)
    return _bound(keys[0], values[0]) & reduce(or_, disjuncts)
