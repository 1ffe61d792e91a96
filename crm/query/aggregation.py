"""Aggregates: group by fields and date buckets, with metrics.

``group_by`` entries are fields (dot paths allowed) or ``month(f)``,
``quarter(f)``, ``year(f)``, ``week(f)``, ``day(f)`` of a date or date-time
field (buckets in the current time zone). Metrics are ``count``,
``count_distinct``, ``sum``, ``avg``, ``min``, ``max`` with an alias (``as``).
Filters (and visibility) apply first. Numbers come back rounded to their
field's decimal places, so both databases give the same figures. With
``explain`` (admins only) the answer carries the SQL that read it and its
plan, and says where it came from: the records, or the pipeline totals
(``crm.query.totals``) when they hold the answer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DateField,
    DateTimeField,
    F,
    Max,
    Min,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import (
    Cast,
    TruncDate,
    TruncDay,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
    TruncYear,
)

from accounts import errors
from accounts.access import Context
from crm.metadata.types import ObjectType, normalize
from crm.query import compile, filters, jsonsql, paths, reads, totals
from crm.query.filters import Where
from crm.query.parse import Query
from crm.query.shape import fail, limit, target

BUCKETS = {
    "day": TruncDay,
    "week": TruncWeek,
    "month": TruncMonth,
    "quarter": TruncQuarter,
    "year": TruncYear,
}
OPS = frozenset({"count", "count_distinct", "sum", "avg", "min", "max"})
NUMERIC = frozenset({"number", "currency", "percent"})
_BUCKET = re.compile(r"^\s*(\w+)\s*\(\s*([\w.]+)\s*\)\s*$")
MAX_GROUPS = 10_000


@dataclass(frozen=True)
class Group:
    key: str
    path: paths.Path
    bucket: str | None = None


@dataclass(frozen=True)
class Metric:
    alias: str
    op: str
    path: paths.Path | None


#: Where an explained aggregate was read from.
RECORDS = "records"
STAGE_TOTALS = "stage_totals"


@dataclass(frozen=True)
class Aggregation:
    rows: list[dict[str, Any]]
    has_more: bool
    #: Set when the aggregate asked to explain itself (admins): ``source``
    #: (``records`` or ``stage_totals``), ``sql`` and ``plan``.
    explain: dict[str, Any] | None = None


@dataclass(frozen=True)
class AggregateQuery:
    object_type: ObjectType
    where: Where
    groups: tuple[Group, ...]
    metrics: tuple[Metric, ...]
    sort: tuple[tuple[str, bool], ...] = ()
    limit: int = 1000
    deleted: bool = False
    #: "plan", "analyze" (run it to time each step, PostgreSQL) or None.
    explain: str | None = None

    @classmethod
    def from_json(
        cls, ctx: Context, object_name: str, payload: Mapping[str, Any] | None
    ) -> AggregateQuery:
        if payload is not None and not isinstance(payload, Mapping):
            raise fail("Send the aggregate as a JSON object.", None)
        payload = {normalize(str(k)): v for k, v in (payload or {}).items()}
        allowed = {"filters", "filter_groups", "group_by", "metrics"}
        allowed |= {"aggregations", "sort", "limit", "deleted", "object", "explain"}
        unknown = set(payload) - allowed
        if unknown:
            raise fail(f"Unknown aggregate key '{sorted(unknown)[0]}'.", None)
        object_type = target(ctx, object_name, payload.get("object"))
        where = filters.combine(
            filters.parse(object_type, payload.get("filters"), ctx=ctx),
            filters.parse_groups(object_type, payload.get("filter_groups"), ctx=ctx),
        )
        groups = _groups(ctx, object_type, payload.get("group_by"))
        metrics = _metrics(ctx, object_type, payload)
        names = [g.key for g in groups] + [m.alias for m in metrics]
        if len(names) != len(set(names)):
            raise fail("Each group and metric needs its own name.", "metrics")
        return cls(
            object_type=object_type,
            where=where,
            groups=groups,
            metrics=metrics,
            sort=_sort(payload.get("sort"), names),
            limit=limit(payload.get("limit"), 1000, MAX_GROUPS),
            deleted=bool(payload.get("deleted", False)),
            explain=_explain(payload.get("explain")),
        )


def _explain(raw: Any) -> str | None:
    if raw in (None, False):
        return None
    return "analyze" if raw == "analyze" else "plan"


def _groups(ctx: Context, object_type: ObjectType, raw: Any) -> tuple[Group, ...]:
    if raw in (None, "", []):
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list | tuple) or len(raw) > 5:
        raise fail("'group_by' is a list of at most 5 fields.", "group_by")
    groups = []
    for item in raw:
        if not isinstance(item, str):
            raise fail("Each group_by entry is a field or month(field).", "group_by")
        match = _BUCKET.match(item)
        if match:
            bucket, name = match.group(1).lower(), match.group(2)
            if bucket not in BUCKETS:
                raise fail(f"'{bucket}()' is not a date bucket.", "group_by")
            path = paths.resolve(ctx, object_type, name)
            if path.leaf.type.key not in ("date", "datetime"):
                raise fail(f"{path.name} is not a date; {bucket}() needs one.", name)
            groups.append(Group(f"{bucket}({path.name})", path, bucket))
            continue
        path = paths.resolve(ctx, object_type, item)
        compile.sortable(path)
        groups.append(Group(path.name, path))
    return tuple(groups)


def _metric(ctx, object_type, field: Any, op: Any, alias: Any) -> Metric:
    op = str(op or "").strip().lower()
    if op not in OPS:
        raise fail(f"'{op}' is not a metric; use one of {sorted(OPS)}.", "metrics")
    path = None
    if field not in (None, "", "*"):
        path = paths.resolve(ctx, object_type, field)
    if op == "count" and path is not None and path.name == "id":
        path = None
    if op != "count" and path is None:
        raise fail(f"'{op}' needs a field.", "metrics")
    if op in ("sum", "avg") and path.leaf.type.key not in NUMERIC:
        raise fail(f"'{op}' needs a number field; {path.name} is not.", path.name)
    if op in ("min", "max") and path.leaf.type.key in ("multi_picklist", "boolean"):
        raise fail(f"'{op}' does not apply to {path.name}.", path.name)
    if alias is not None and (not isinstance(alias, str) or not alias.strip()):
        raise fail("A metric's 'as' is a non-empty name.", "metrics")
    default = op if path is None else f"{op}_{path.name.replace('.', '_')}"
    return Metric(alias.strip() if alias else default, op, path)


def _metrics(ctx, object_type, payload: Mapping[str, Any]) -> tuple[Metric, ...]:
    found: list[Metric] = []
    raw = payload.get("metrics")
    if raw not in (None, []):
        if not isinstance(raw, list | tuple):
            raise fail("'metrics' is a list of {field, op, as}.", "metrics")
        for item in raw:
            if not isinstance(item, Mapping):
                raise fail("Each metric is {field, op, as}.", "metrics")
            found.append(
                _metric(
                    ctx,
                    object_type,
                    item.get("field"),
                    item.get("op", item.get("function")),
                    item.get("as", item.get("alias")),
                )
            )
    extra = payload.get("aggregations")
    if extra not in (None, {}):
        if not isinstance(extra, Mapping):
            raise fail("'aggregations' maps names to {function, field}.", "metrics")
        for alias, item in extra.items():
            if not isinstance(item, Mapping):
                raise fail(f"'aggregations.{alias}' must be an object.", "metrics")
            found.append(
                _metric(
                    ctx, object_type, item.get("field"), item.get("function"), alias
                )
            )
    if len(found) > 20:
        raise fail("Ask for at most 20 metrics.", "metrics")
    return tuple(found) or (Metric("count", "count", None),)


def _sort(raw: Any, names: list[str]) -> tuple[tuple[str, bool], ...]:
    if raw in (None, "", []):
        return ()
    if isinstance(raw, str):
        raw = raw.split(",")
    keys = []
    for item in raw if isinstance(raw, list | tuple) else [raw]:
        if isinstance(item, Mapping):
            name = str(item.get("field", ""))
            desc = str(item.get("direction", "asc")).lower().startswith("desc")
        else:
            name, desc = str(item).strip().lstrip("-+"), str(item).startswith("-")
        if name not in names:
            raise fail(f"Sort by a group or metric name; '{name}' is not one.", "sort")
        keys.append((name, desc))
    return tuple(keys)


# -- running ---------------------------------------------------------------------


def _group_expr(ctx: Context, group: Group):
    o = compile.operand(ctx, group.path)
    if group.bucket is None:
        return o.expr
    expr = o.expr
    if o.kind == "date":
        expr = Cast(expr, DateField())
    elif o.kind == "datetime":
        expr = TruncDate(Cast(expr, DateTimeField()))
    elif group.path.leaf.type.key == "datetime":
        expr = TruncDate(expr)
    return BUCKETS[group.bucket](expr, output_field=DateField())


def _label(group: Group, value: Any) -> Any:
    if value is None:
        return None
    if group.bucket is None:
        if isinstance(value, str) and group.path.leaf.type.key != "datetime":
            return value
        return _json(group.path, value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if group.bucket == "year":
        return value.year
    if group.bucket == "quarter":
        return f"{value.year}-Q{(value.month - 1) // 3 + 1}"
    if group.bucket == "month":
        return f"{value.year}-{value.month:02d}"
    if group.bucket == "week":
        year, week, _ = value.isocalendar()
        return f"{year}-W{week:02d}"
    return value.isoformat()


def _json(path: paths.Path, value: Any) -> Any:
    """A grouped or min/max value, JSON-ready, from either storage."""
    kind = jsonsql.kind_of(path.leaf.type)
    if isinstance(value, str) and kind == "datetime":
        value = dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    if isinstance(value, str) and kind == "date":
        return value
    if isinstance(value, str) and kind == "uuid":
        return value
    if kind == "number" and value is not None:
        value = Decimal(str(value))
    return path.leaf.type.to_json(value)


def _places(path: paths.Path) -> Decimal:
    places = path.leaf.type.places(path.leaf)
    return Decimal(1).scaleb(-places)


def _metric_expr(ctx: Context, metric: Metric):
    if metric.path is None:
        return Count("*")
    o = compile.operand(ctx, metric.path)
    filled = o.filled()
    return {
        "count": lambda: Count(o.expr, filter=filled),
        "count_distinct": lambda: Count(o.expr, distinct=True, filter=filled),
        "sum": lambda: Sum(o.expr),
        "avg": lambda: Avg(o.expr),
        "min": lambda: Min(o.expr, filter=filled),
        "max": lambda: Max(o.expr, filter=filled),
    }[metric.op]()


def _metric_value(metric: Metric, value: Any) -> Any:
    if metric.op in ("count", "count_distinct"):
        return int(value or 0)
    if value is None:
        return None
    if metric.op in ("sum", "avg"):
        rounded = Decimal(str(value)).quantize(_places(metric.path), ROUND_HALF_UP)
        return metric.path.leaf.type.to_json(rounded)
    return _json(metric.path, value)


def aggregate(ctx: Context, target: AggregateQuery | str, payload=None) -> Aggregation:
    """Grouped metrics: ``aggregate(ctx, "opportunity", {...})`` or with an
    ``AggregateQuery``. Groups come sorted by their keys unless ``sort``
    says otherwise; at most ``limit`` of them (``has_more`` tells).
    PermissionDenied for ``explain`` unless admin."""
    if not isinstance(target, AggregateQuery):
        target = AggregateQuery.from_json(ctx, target, payload)
    if target.explain and not ctx.is_admin:
        raise errors.PermissionDenied("Only admins may explain queries.")
    kept = totals.reading(ctx, target)
    if kept is None:
        source, qs = RECORDS, records_queryset(ctx, target)
        raws = _raws(target, qs)
    else:
        source, qs = STAGE_TOTALS, kept.queryset
        raws = _sorted(target, totals.read(kept))[: target.limit + 1]
    explained = None
    if target.explain:
        explained = {"source": source, **reads.explain(qs, target.explain)}
    return _shaped(target, raws, explained)


def _order(target: AggregateQuery) -> list[tuple[str, bool]]:
    """(raw name, descending) of the sort: as asked, then by the groups, so
    that ties come in the same order from every database."""
    by_name = {g.key: f"_g{i}" for i, g in enumerate(target.groups)}
    by_name |= {m.alias: f"_m{i}" for i, m in enumerate(target.metrics)}
    asked = [(by_name[name], desc) for name, desc in target.sort]
    named = {name for name, _ in asked}
    groups = [(f"_g{i}", False) for i in range(len(target.groups))]
    return asked + [g for g in groups if g[0] not in named]


def _sorted(target: AggregateQuery, raws: list[dict]) -> list[dict]:
    """Raw groups in the order the database gives them (nulls last going up,
    first going down)."""
    for name, descending in reversed(_order(target)):
        raws.sort(
            key=lambda r: (r[name] is None, 0 if r[name] is None else r[name]),
            reverse=descending,
        )
    return raws


def records_queryset(ctx: Context, target: AggregateQuery) -> QuerySet:
    """The query that reads the raw groups of ``target`` from the records:
    one row per group, at most ``limit`` + 1 of them; without groups, one
    row (an aggregate over every selected record, no GROUP BY)."""
    query = Query(target.object_type, where=target.where, deleted=target.deleted)
    qs = reads.base(ctx, query).order_by()
    group_names = {f"_g{i}": _group_expr(ctx, g) for i, g in enumerate(target.groups)}
    metric_names = {
        f"_m{i}": _metric_expr(ctx, m) for i, m in enumerate(target.metrics)
    }
    if not group_names:
        # A constant groups nothing: the metrics are taken over all rows.
        return qs.values(_all=Value(1)).annotate(**metric_names)
    qs = qs.annotate(**group_names).values(*group_names).annotate(**metric_names)
    order = [compile_order(name, desc) for name, desc in _order(target)]
    return qs.order_by(*order)[: target.limit + 1]


def _raws(target: AggregateQuery, qs: QuerySet) -> list[dict]:
    raws = list(qs)
    if not raws and not target.groups:
        # A filter that can match nothing is not sent to the database.
        raws = [{f"_m{i}": None for i in range(len(target.metrics))}]
    return raws


def from_records(ctx: Context, target: AggregateQuery) -> list[dict]:
    """The raw groups of ``target`` read from the records themselves."""
    return _raws(target, records_queryset(ctx, target))


def _shaped(
    target: AggregateQuery, raws: list[dict], explain: dict | None = None
) -> Aggregation:
    rows = []
    for raw in raws[: target.limit]:
        row = {g.key: _label(g, raw[f"_g{i}"]) for i, g in enumerate(target.groups)}
        for i, metric in enumerate(target.metrics):
            row[metric.alias] = _metric_value(metric, raw[f"_m{i}"])
        rows.append(row)
    return Aggregation(rows=rows, has_more=len(raws) > target.limit, explain=explain)


def compile_order(name: str, descending: bool):
    if descending:
        return F(name).desc(nulls_last=True)
    return F(name).asc(nulls_last=True)


def _single(ctx, object_name, field, op, filters_) -> tuple[Any, int]:
    result = aggregate(
        ctx,
        object_name,
        {
            "filters": filters_,
            "metrics": [
                {"field": field, "op": op, "as": "value"},
                {"op": "count", "as": "count"},
            ],
        },
    )
    row = result.rows[0]
    return row["value"], row["count"]


def total(ctx: Context, object_name: str, field: str, filters: Any = None) -> dict:
    """``{"sum": …, "count": records}`` of a number field over the filters."""
    value, count = _single(ctx, object_name, field, "sum", filters)
    return {"sum": value if value is not None else 0, "count": count}


def average(ctx: Context, object_name: str, field: str, filters: Any = None) -> dict:
    """``{"average": …, "count": records}`` of a number field."""
    value, count = _single(ctx, object_name, field, "avg", filters)
    return {"average": value, "count": count}
