"""Rows of requested fields, with dot paths and expansions filled in.

The main query fetches only the columns the fields need. Fields behind a
lookup (``account.name``) and inlined lookup targets are fetched in one query
per distinct lookup (recursively, for deeper paths); each list of children in
one query for the whole page, limited per parent with a window function. So a
page costs the same number of queries whatever its size. Related records are
read through ``visibility.readable``: one the caller may not see reads as
empty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from accounts.access import Context
from crm.metadata.field_types import FieldType
from crm.metadata.types import FieldSpec, ObjectType, Storage
from crm.query import compile, jsonsql, paging, people, visibility
from crm.query.expand import Expand
from crm.query.paths import Path
from crm.query.shape import Sort

Row = paging.Row


def source_name(spec: FieldSpec) -> str:
    """The ``values()`` name a field is read from: its column, or an alias for
    its value extracted from JSON."""
    if spec.storage is Storage.COLUMN:
        return spec.column
    return f"_j_{spec.name}"


def _json_kind(spec: FieldSpec) -> str:
    kind = jsonsql.kind_of(spec.type)
    return kind if kind in ("number", "bool", "list") else "text"


def needs(fields: Iterable[Path], expansions: Iterable[Expand] = ()) -> dict[str, Any]:
    """What the fields and lookup expansions read: ``values()`` name → None
    for a column, or the expression of a JSON-stored value. Each JSON value is
    selected on its own, typed, so no row's whole JSON is fetched and parsed."""
    specs = [path.hops[0] if path.hops else path.leaf for path in fields]
    specs += [entry.via for entry in expansions if entry.kind == "lookup"]
    found: dict[str, Any] = {"id": None}
    for spec in specs:
        name = source_name(spec)
        if spec.storage is Storage.COLUMN:
            found[name] = None
        elif name not in found:
            bag = compile.BAGS[spec.storage]
            found[name] = jsonsql.JsonValue(bag, spec.name, _json_kind(spec))
    return found


def values(
    qs: QuerySet,
    fields: Iterable[Path],
    expansions: Iterable[Expand] = (),
    *names: str,
    **expressions: Any,
) -> QuerySet:
    """``qs.values()`` of what ``build`` needs, plus ``names``/``expressions``."""
    wanted = needs(fields, expansions)
    plain = [name for name, expr in wanted.items() if expr is None]
    typed = {name: expr for name, expr in wanted.items() if expr is not None}
    return qs.values(*plain, *names, **typed, **expressions)


def _target_id(spec: FieldSpec, raw: dict[str, Any]) -> str | None:
    value = raw[source_name(spec)]
    return None if value in (None, "") else str(value)


@dataclass
class _Hop:
    """Everything reached through one lookup of the current object."""

    spec: FieldSpec
    target: ObjectType
    paths: list[Path] = field(default_factory=list)
    expansions: list[Expand] = field(default_factory=list)

    def sub_fields(self) -> tuple[Path, ...]:
        found: dict[str, Path] = {}
        for path in self.paths:
            rest = Path(
                path.name.split(".", 1)[1], path.hops[1:], path.types[1:], path.leaf
            )
            found.setdefault(rest.name, rest)
        for entry in self.expansions:
            for sub in entry.fields:
                found.setdefault(sub.name, sub)
        return tuple(found.values())


def _hops(fields: Sequence[Path], expansions: Sequence[Expand]) -> list[_Hop]:
    groups: dict[str, _Hop] = {}
    for path in fields:
        if path.hops:
            hop = path.hops[0]
            groups.setdefault(hop.name, _Hop(hop, path.types[1])).paths.append(path)
    for entry in expansions:
        if entry.kind == "lookup":
            hop = entry.via
            groups.setdefault(hop.name, _Hop(hop, entry.object_type))
            groups[hop.name].expansions.append(entry)
    return list(groups.values())


def _fill_hop(ctx: Context, hop: _Hop, raws: list[dict], rows: list[Row]) -> None:
    ids = {_target_id(hop.spec, raw) for raw in raws} - {None}
    sub_fields = hop.sub_fields()
    found: dict[str, Row] = {}
    if ids:
        wanted = [UUID(i) for i in ids]
        sub_raws = list(
            values(
                visibility.readable(ctx, hop.target).filter(pk__in=wanted),
                sub_fields,
            )
        )
        for sub in build(ctx, hop.target, sub_raws, sub_fields):
            found[sub["id"]] = sub
    for raw, row in zip(raws, rows, strict=True):
        target_id = _target_id(hop.spec, raw)
        target = found.get(target_id) if target_id else None
        for path in hop.paths:
            rest = path.name.split(".", 1)[1]
            row[path.name] = target.get(rest) if target else None
        for entry in hop.expansions:
            row[entry.key] = (
                Row(
                    {
                        "id": target["id"],
                        **{f.name: target[f.name] for f in entry.fields},
                    }
                )
                if target
                else None
            )


def _child_order(sort: Sequence[Sort]) -> list:
    keys = [compile.order(compile.operand(s.path), s.descending) for s in sort]
    if not sort:
        keys.append(F("created_at").desc())
    last_desc = sort[-1].descending if sort else True
    keys.append(F("pk").desc() if last_desc else F("pk").asc())
    return keys


def _by_rank(raw: dict[str, Any]) -> int:
    return raw["_rn"]


def _fill_children(
    ctx: Context, entry: Expand, rows: list[Row], parent_ids: list[UUID]
) -> None:
    child, via = entry.object_type, entry.via
    if via.storage is Storage.COLUMN:
        parent = F(via.column)
        wanted: list[Any] = parent_ids
    else:
        parent = jsonsql.JsonValue(compile.BAGS[via.storage], via.name, "uuid")
        wanted = [str(i) for i in parent_ids]
    qs = (
        visibility.readable(ctx, child)
        .filter(compile.where_q(people.bind(ctx, entry.where)))
        .alias(_parent=parent)
        .filter(_parent__in=wanted)
        .annotate(
            _rn=Window(
                RowNumber(), partition_by=[parent], order_by=_child_order(entry.sort)
            ),
            _p=parent,
        )
        .filter(_rn__lte=entry.limit)
        .order_by()
    )
    # Ordered here: SQL ordering is lost around the window's wrapping query.
    raws = sorted(values(qs, entry.fields, (), "_p", "_rn"), key=_by_rank)
    children = build(ctx, child, raws, entry.fields)
    grouped: dict[str, list[Row]] = defaultdict(list)
    for raw, row in zip(raws, children, strict=True):
        grouped[str(UUID(str(raw["_p"])))].append(row)
    for row in rows:
        row[entry.key] = grouped.get(row["id"], [])


def _reader(spec: FieldSpec):
    """A function from a ``values()`` row to the field's JSON-ready value."""
    name = source_name(spec)
    if spec.storage is not Storage.COLUMN:
        kind = _json_kind(spec)
        if kind == "number":
            to_json = spec.type.to_json
            return lambda raw: None if raw[name] is None else to_json(raw[name])
        if kind == "bool":  # SQLite answers 1/0
            return lambda raw: None if raw[name] is None else bool(raw[name])
        if kind == "list":
            return lambda raw: list(raw[name] or ())
        return lambda raw: raw[name]
    if type(spec.type).to_json is FieldType.to_json:  # already JSON-ready
        return lambda raw: raw[name]
    to_json = spec.type.to_json
    return lambda raw: to_json(raw[name])


def build(
    ctx: Context,
    object_type: ObjectType,
    raws: list[dict[str, Any]],
    fields: Sequence[Path],
    expansions: Sequence[Expand] = (),
) -> list[Row]:
    """Rows from ``values()`` dicts (which hold at least ``needs(fields)``),
    keyed ``id``, then the fields and expansions in the order asked."""
    readers = [
        (path.name, _reader(path.leaf))
        for path in fields
        if not path.hops and path.name != "id"
    ]
    rows = []
    for raw in raws:
        row = Row(id=str(raw["id"]))
        for name, read in readers:
            row[name] = read(raw)
        rows.append(row)
    hops = _hops(fields, expansions)
    for hop in hops:
        _fill_hop(ctx, hop, raws, rows)
    children = [e for e in expansions if e.kind == "children"]
    if children and rows:
        parent_ids = [raw["id"] for raw in raws]
        for entry in children:
            _fill_children(ctx, entry, rows, parent_ids)
    if not hops and not children:
        return rows  # already in the order asked
    order = ["id", *(path.name for path in fields), *(e.key for e in expansions)]
    order = list(dict.fromkeys(order))
    return [Row((key, row.get(key)) for key in order) for row in rows]
