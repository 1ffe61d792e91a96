"""The ORM back end of ObjectQL: bound conditions → ``Q`` and ordering.

Each field path becomes an ``Operand``: an expression (a column through joins,
a typed JSON value, or a correlated subquery for a hop through a JSON lookup)
plus how operands are converted for it. Operators are implemented once, over
operands, with the semantics documented in ``crm.query.evaluate``.

A path through lookups only reaches records the context may read (live, of
its workspace, visible): through a column lookup the operand carries that
``guard`` (a condition, so indexes on the joined table still serve filters,
and an expression that is empty where the guard fails, for sorts and
groups); through a JSON lookup the subquery reads readable records only. To
every operator a record it may not read is an empty lookup, as reading the
path shows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import Case, F, OuterRef, Q, Subquery, When
from django.db.models import lookups as L
from django.db.models.expressions import Expression, OrderBy
from django.utils import timezone

from accounts import errors
from accounts.access import Context
from crm.metadata.types import FieldSpec, Storage
from crm.query import dates, jsonsql, operators, paths, visibility
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
    #: Through column lookups: the reached records are readable (see above);
    #: ``value`` is then the expression the operators compare (``expr`` is
    #: empty where the guard fails).
    guard: Q | None = None
    value: Expression | None = None

    @property
    def compared(self) -> Expression:
        return self.expr if self.value is None else self.value

    def db(self, value: Any) -> Any:
        if self.kind == "column":
            return value
        return jsonsql.db_value(self.kind, value)

    @property
    def is_texty(self) -> bool:
        return self.spec.type.empty == ""

    def filled(self) -> Q:
        """The value is not empty (the field type's ``is_empty``), and the
        records it is reached through are readable."""
        return self.guarded(self.present())

    def present(self) -> Q:
        """``filled`` without the guard."""
        if self.kind == "list":
            return Q(jsonsql.JsonListFilled(*self.bag))
        q = Q(L.IsNull(self.compared, False))
        if self.is_texty:
            q &= ~Q(L.Exact(self.compared, ""))
        return q

    def guarded(self, q: Q) -> Q:
        """``q``, and the reached records are readable."""
        return q if self.guard is None else self.guard & q


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


def _through_json(ctx: Context, path: paths.Path, index: int, prefix: str) -> Operand:
    """The rest of ``path`` from hop ``index`` (a JSON lookup) on, as a
    correlated subquery against the hop's readable target records."""
    hop = path.hops[index]
    target = path.types[index + 1]
    rest = paths.Path(
        path.name, path.hops[index + 1 :], path.types[index + 1 :], path.leaf
    )
    inner = operand(ctx, rest)
    if inner.kind == "list":
        raise errors.ValidationFailed(
            f"'{path.name}' cannot be filtered or sorted on.", field=path.name
        )
    correlation = jsonsql.JsonUuid(OuterRef(prefix + BAGS[hop.storage]), hop.name)
    rows = (
        visibility.readable(ctx, target)
        .filter(pk=correlation)
        .annotate(_v=inner.expr)
        .values("_v")[:1]
    )
    if inner.kind == "column":
        return Operand(path.leaf, Subquery(rows), inner.kind)
    subquery = Subquery(rows, output_field=jsonsql.output_field(inner.kind))
    return Operand(path.leaf, subquery, inner.kind)


def _guarded(o: Operand, guard: Q | None) -> Operand:
    if guard is None:
        return o
    if o.guard is not None:  # through a JSON lookup after column lookups
        guard &= o.guard
    value = o.compared
    typed = {} if o.kind == "column" else {"output_field": jsonsql.output_field(o.kind)}
    shown = Case(When(guard, then=value), default=None, **typed)
    return replace(o, expr=shown, guard=guard, value=value)


def operand(ctx: Context, path: paths.Path) -> Operand:
    """The SQL operand of a resolved path, relative to its root object, as
    ``ctx`` may see it."""
    prefix, guard = "", None
    for index, hop in enumerate(path.hops):
        if hop.storage is not Storage.COLUMN:
            return _guarded(_through_json(ctx, path, index, prefix), guard)
        prefix += f"{hop.name}__"
        reached = visibility.reached_q(ctx, path.types[index + 1], prefix)
        if reached:
            guard = reached if guard is None else guard & reached
    return _guarded(_leaf(path.leaf, prefix), guard)


def operand_of(ctx: Context, cond: Condition) -> Operand:
    return operand(ctx, cond.path) if cond.path else _leaf(cond.spec, "")


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
        if connection.vendor == "sqlite":
            sql = f"hotcrm_lower({lhs}) LIKE hotcrm_lower({rhs})"
        else:
            escape = " ESCAPE ''" if connection.vendor == "postgresql" else ""
            cast = "::text" if connection.vendor == "postgresql" else ""
            sql = f"UPPER({lhs}{cast}) LIKE UPPER({rhs}){escape}"
        return sql, (*lhs_params, *rhs_params)


class _FoldedOnSqlite:
    """Django's case-insensitive pattern lookup, folding every letter on
    SQLite too (its LIKE folds ASCII only; see config/sqlite/base.py)."""

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        params = (*lhs_params, *rhs_params)
        return f"hotcrm_lower({lhs}) LIKE hotcrm_lower({rhs}) ESCAPE '\\'", params


class Contains(_FoldedOnSqlite, L.IContains):
    pass


class StartsWith(_FoldedOnSqlite, L.IStartsWith):
    pass


class EndsWith(_FoldedOnSqlite, L.IEndsWith):
    pass


_TEXT = {
    "contains": Contains,
    "starts_with": StartsWith,
    "ends_with": EndsWith,
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
    return o.present() & ~has if cond.op == "not_in" else has


def condition_q(ctx: Context, cond: Condition) -> Q:
    """One bound condition as a ``Q``: every operator but ``is_null`` is
    false where the value is empty or reached through an unreadable record."""
    o = operand_of(ctx, cond)
    if cond.op == "is_null":
        return ~o.filled()
    return o.guarded(_holds(o, cond))


def _holds(o: Operand, cond: Condition) -> Q:
    op, value, expr = cond.op, cond.value, o.compared
    if op == "is_not_null":
        return o.present()
    if o.kind == "list":
        return _list_q(o, cond)
    if op in _TEXT:
        return o.present() & Q(_TEXT[op](expr, value))
    if op in _COMPARE:
        q = Q(_COMPARE[op](expr, o.db(value)))
        return o.present() & q if o.is_texty and op != "=" else q
    if op == "!=":
        return o.present() & ~Q(L.Exact(expr, o.db(value)))
    if op in ("in", "not_in", *operators.PEOPLE):
        values = [o.db(v) for v in value]
        if not values:
            return Q(pk__in=[])
        inside = Q(L.In(expr, values))
        return o.present() & ~inside if op == "not_in" else inside
    if op == "between":
        low, high = value
        q = Q(L.GreaterThanOrEqual(expr, o.db(low))) & Q(
            L.LessThanOrEqual(expr, o.db(high))
        )
        return o.present() & q if o.is_texty else q
    if op in operators.RELATIVE_DATES:
        first, after = _day_bounds(op, value, cond.spec)
        return Q(L.GreaterThanOrEqual(expr, o.db(first))) & Q(
            L.LessThan(expr, o.db(after))
        )
    raise AssertionError(f"no compiler for {op}")


def where_q(ctx: Context, where: Where) -> Q:
    """Bound OR-of-AND groups as one ``Q`` (empty: everything)."""
    if not where:
        return Q()
    groups = [
        reduce(and_, (condition_q(ctx, c) for c in group), Q()) for group in where
    ]
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
