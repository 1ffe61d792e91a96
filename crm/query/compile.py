"""The ORM back end of ObjectQL: bound conditions → ``Q`` and ordering.

Each field path becomes an ``Operand``: an expression (a column through joins,
a typed JSON value, or a correlated subquery for a hop through a JSON lookup)
plus how operands are converted for it. Operators are implemented once, over
operands, with the semantics documented in ``crm.query.evaluate``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import F, OuterRef, Q, Subquery
from django.db.models import lookups as L
from django.db.models.expressions import Expression, OrderBy
from django.utils import timezone

from accounts import errors
from crm.metadata.types import FieldSpec, Storage
from crm.query import dates, jsonsql, operators, paths
from crm.query.filters import Condition, Where

#: Where JSON-stored fields live, per storage kind.
BAGS = {Storage.CUSTOM_JSON: "custom", Storage.RECORD_JSON: "data"}


@dataclass(frozen=True)
class Operand:
    """A field as SQL: ``expr`` and the kind of value it compares to."""

    spec: FieldSpec
    expr: Expression
    #: ``column`` for a model column, else the JSON kind (``jsonsql.KINDS``).
    kind: str
    #: For JSON-stored multi-select lists: (source column, key).
    bag: tuple[str, str] | None = None

    def db(self, value: Any) -> Any:
        if self.kind == "column":
            return value
        return jsonsql.db_value(self.kind, value)

    @property
    def is_texty(self) -> bool:
        return self.spec.type.empty == ""

    def filled(self) -> Q:
        """The value is not empty (the field type's ``is_empty``)."""
        if self.kind == "list":
            return Q(jsonsql.JsonListFilled(*self.bag))
        q = Q(L.IsNull(self.expr, False))
        if self.is_texty:
            q &= ~Q(L.Exact(self.expr, ""))
        return q


def _leaf(spec: FieldSpec, prefix: str) -> Operand:
    if spec.storage is Storage.COLUMN:
        return Operand(spec, F(prefix + spec.column), "column")
    source = prefix + BAGS[spec.storage]
    kind = jsonsql.kind_of(spec.type)
    return Operand(
        spec,
        jsonsql.JsonValue(source, spec.name, kind),
        kind,
        (source, spec.name) if kind == "list" else None,
    )


def _through_json(path: paths.Path, index: int, prefix: str) -> Operand:
    """The rest of ``path`` from hop ``index`` (a JSON lookup) on, as a
    correlated subquery against the hop's target."""
    hop = path.hops[index]
    target = path.types[index + 1]
    rest = paths.Path(
        path.name, path.hops[index + 1 :], path.types[index + 1 :], path.leaf
    )
    inner = operand(rest)
    if inner.kind == "list":
        raise errors.ValidationFailed(
            f"'{path.name}' cannot be filtered or sorted on.", field=path.name
        )
    correlation = jsonsql.JsonUuid(OuterRef(prefix + BAGS[hop.storage]), hop.name)
    rows = (
        target.model._base_manager.filter(pk=correlation)
        .annotate(_v=inner.expr)
        .values("_v")[:1]
    )
    if inner.kind == "column":
        return Operand(path.leaf, Subquery(rows), inner.kind)
    subquery = Subquery(rows, output_field=jsonsql.output_field(inner.kind))
    return Operand(path.leaf, subquery, inner.kind)


def operand(path: paths.Path) -> Operand:
    """The SQL operand of a resolved path, relative to its root object."""
    prefix = ""
    for index, hop in enumerate(path.hops):
        if hop.storage is not Storage.COLUMN:
            return _through_json(path, index, prefix)
        prefix += f"{hop.name}__"
    return _leaf(path.leaf, prefix)


def operand_of(cond: Condition) -> Operand:
    return operand(cond.path) if cond.path else _leaf(cond.spec, "")


# -- operators ------------------------------------------------------------------


def _day_bounds(op: str, value: Any, spec: FieldSpec) -> tuple[Any, Any]:
    first, after = dates.date_range(op, value, dates.today())
    if spec.type.key != "datetime":
        return first, after
    return tuple(
        timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        for day in (first, after)
    )


class Like(L.Lookup):
    """SQL LIKE, ignoring case, with no escape character."""

    lookup_name = "hotcrm_like"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        escape = " ESCAPE ''" if connection.vendor == "postgresql" else ""
        cast = "::text" if connection.vendor == "postgresql" else ""
        sql = f"UPPER({lhs}{cast}) LIKE UPPER({rhs}){escape}"
        return sql, (*lhs_params, *rhs_params)


_TEXT = {
    "contains": L.IContains,
    "starts_with": L.IStartsWith,
    "ends_with": L.IEndsWith,
    "like": Like,
}
_COMPARE: dict[str, Callable[[Expression, Any], L.Lookup]] = {
    "=": L.Exact,
    ">": L.GreaterThan,
    ">=": L.GreaterThanOrEqual,
    "<": L.LessThan,
    "<=": L.LessThanOrEqual,
}


def _list_q(o: Operand, cond: Condition) -> Q:
    source, key = o.bag
    items = [cond.value] if cond.op == "contains" else list(cond.value)
    has = reduce(or_, (Q(jsonsql.JsonListHas(source, key, item)) for item in items))
    return o.filled() & ~has if cond.op == "not_in" else has


def condition_q(cond: Condition) -> Q:
    """One bound condition as a ``Q``."""
    o = operand_of(cond)
    op, value = cond.op, cond.value
    if op == "is_null":
        return ~o.filled()
    if op == "is_not_null":
        return o.filled()
    if o.kind == "list":
        return _list_q(o, cond)
    if op in _TEXT:
        return o.filled() & Q(_TEXT[op](o.expr, value))
    if op in _COMPARE:
        q = Q(_COMPARE[op](o.expr, o.db(value)))
        return o.filled() & q if o.is_texty and op != "=" else q
    if op == "!=":
        return o.filled() & ~Q(L.Exact(o.expr, o.db(value)))
    if op in ("in", "not_in", *operators.PEOPLE):
        values = [o.db(v) for v in value]
        if not values:
            return Q(pk__in=[])
        inside = Q(L.In(o.expr, values))
        return o.filled() & ~inside if op == "not_in" else inside
    if op == "between":
        low, high = value
        q = Q(L.GreaterThanOrEqual(o.expr, o.db(low))) & Q(
            L.LessThanOrEqual(o.expr, o.db(high))
        )
        return o.filled() & q if o.is_texty else q
    if op in operators.RELATIVE_DATES:
        first, after = _day_bounds(op, value, cond.spec)
        return Q(L.GreaterThanOrEqual(o.expr, o.db(first))) & Q(
            L.LessThan(o.expr, o.db(after))
        )
    raise AssertionError(f"no compiler for {op}")


def where_q(where: Where) -> Q:
    """Bound OR-of-AND groups as one ``Q`` (empty: everything)."""
    if not where:
        return Q()
    groups = [reduce(and_, (condition_q(c) for c in group), Q()) for group in where]
    return reduce(or_, groups)


# -- ordering ---------------------------------------------------------------------


def order(o: Operand, descending: bool) -> OrderBy:
    """Ascending puts empty values last, descending first (as PostgreSQL does)."""
    if descending:
        return o.expr.desc(nulls_first=True)
    return o.expr.asc(nulls_last=True)


def sortable(path: paths.Path) -> None:
    if path.leaf.type.key in ("multi_picklist", "long_text"):
        raise errors.ValidationFailed(
            f"Records cannot be sorted by {path.name} ({path.leaf.type.label}).",
            field=path.name,
        )
