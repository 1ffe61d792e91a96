"""Aggregates answered from the pipeline totals (``StageTotal``) instead of
the records, when the question is one they hold.

They hold, per (pipeline, stage, owner) of a pipeline object's live records,
the count, how many have an amount, and the amount's sum. So they answer an
aggregate that groups by pipeline, stage or owner (or nothing), filters only
on those with ``=`` or ``in`` (one filter group), asks for ``count``,
``count(amount)`` or ``sum(amount)``, and comes from a context that sees
every record of the object (visibility would have to read the rows). Any
other aggregate is None here and runs on the records. The answer is the
one the records give (a test holds the two equal); reading it costs one
small query however many records there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from accounts.access import Context
from crm.metadata.types import ObjectType
from crm.models import StageTotal
from crm.query import people, visibility

#: How each groupable field is kept on a StageTotal row.
_COLUMN = {"pipeline": "pipeline", "owner": "owner_key"}


def _column(object_type: ObjectType, name: str) -> str | None:
    if name == object_type.pipeline_field:
        return "stage"
    return _COLUMN.get(name)


def tracked(object_type: ObjectType) -> bool:
    return bool(
        object_type.pipeline_field
        and not object_type.is_custom
        and "pipeline" in object_type.fields
        and "owner" in object_type.fields
    )


def _stored(column: str, value: Any) -> Any:
    """The value as the column keeps it; None when it cannot be kept."""
    if column != "owner_key":
        return value if isinstance(value, str) else None
    return value.hex if isinstance(value, UUID) else None


def _where_q(ctx: Context, object_type: ObjectType, where) -> Q | None:
    if len(where) > 1:
        return None
    q = Q()
    for cond in people.bind(ctx, where)[0] if where else ():
        column = None if cond.path else _column(object_type, cond.spec.name)
        if column is None or cond.op not in ("=", "in"):
            return None
        values = cond.value if cond.op == "in" else (cond.value,)
        stored = [_stored(column, v) for v in values]
        if None in stored:
            return None
        q &= Q(**{f"{column}__in": stored})
    return q


def _metric(object_type: ObjectType, metric) -> str | None:
    """The sum a metric reads: ``count``, ``amount_count`` or ``amount``."""
    if metric.path is None:
        return "count" if metric.op == "count" else None
    if metric.path.hops or metric.path.leaf.name != object_type.amount_field:
        return None
    return {"count": "amount_count", "sum": "amount"}.get(metric.op)


def _group_value(column: str, value: str) -> Any:
    if column == "owner_key":
        return UUID(value) if value else None
    return value


@dataclass(frozen=True)
class Reading:
    """How the totals answer an aggregate: the rows to read (``queryset``),
    the StageTotal column of each group and the sum each metric takes."""

    queryset: QuerySet
    columns: tuple[str, ...]
    sums: tuple[str, ...]


def reading(ctx: Context, target) -> Reading | None:
    """How the totals answer an ``AggregateQuery``; None when they cannot."""
    object_type = target.object_type
    if target.deleted or not tracked(object_type):
        return None
    columns = []
    for group in target.groups:
        column = (
            None
            if group.bucket or group.path.hops
            else _column(object_type, group.path.leaf.name)
        )
        if column is None:
            return None
        columns.append(column)
    sums = [_metric(object_type, m) for m in target.metrics]
    if None in sums or not visibility.sees_all(ctx, object_type):
        return None
    where = _where_q(ctx, object_type, target.where)
    if where is None:
        return None
    rows = StageTotal.objects.filter(
        where, workspace=ctx.workspace, object_name=object_type.api_name
    ).values_list(*columns, "count", "amount_count", "amount_cents")
    return Reading(rows, tuple(columns), tuple(sums))


def answer(ctx: Context, target) -> list[dict[str, Any]] | None:
    """The raw groups of an ``AggregateQuery`` — ``{"_g0": …, "_m0": …}`` as
    the ORM would give them, in no particular order — or None when the totals
    cannot answer it."""
    found = reading(ctx, target)
    return None if found is None else read(found)


def read(reading: Reading) -> list[dict[str, Any]]:
    """The raw groups the totals give (see ``answer``)."""
    columns, sums = reading.columns, reading.sums
    found: dict[tuple, list[int]] = {}
    for row in reading.queryset:
        key, counts = row[: len(columns)], row[len(columns) :]
        sums_of = found.setdefault(key, [0, 0, 0])
        for i, n in enumerate(counts):
            sums_of[i] += n
    raws = []
    for key in found:
        count, amount_count, amount_cents = found[key]
        if count <= 0 and columns:
            continue  # the records give no group without a record
        raw = {f"_g{i}": _group_value(c, key[i]) for i, c in enumerate(columns)}
        for i, name in enumerate(sums):
            if name == "count":
                raw[f"_m{i}"] = count
            elif name == "amount_count":
                raw[f"_m{i}"] = amount_count
            else:
                raw[f"_m{i}"] = Decimal(amount_cents) / 100 if amount_count else None
        raws.append(raw)
    if not columns and not raws:
        raws = [{f"_m{i}": 0 if n != "amount" else None for i, n in enumerate(sums)}]
    return raws
