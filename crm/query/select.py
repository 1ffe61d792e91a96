"""Rows of requested fields, with dot paths and expansions filled in.

The main query fetches only the columns the fields need, as tuples
(``values_list``: no dict per database row), and each row is made in one step
from the columns at known positions; only values whose JSON form differs
from what the database gives are converted. Fields behind a
lookup (``account.name``) and inlined lookup targets are fetched in one query
per distinct lookup (recursively, for deeper paths); each list of children in
one query for the whole page, limited per parent with a window function. So a
page costs the same number of queries whatever its size. Related records are
read through ``visibility.readable``: one the caller may not see reads as
empty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
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


#: ``values()`` name → position in a fetched tuple.
Index = dict[str, int]


def values(
    qs: QuerySet,
    fields: Iterable[Path],
    expansions: Iterable[Expand] = (),
    *names: str,
    **expressions: Any,
) -> tuple[QuerySet, Index]:
    """``qs.values_list()`` of what ``build`` needs, plus ``names`` (columns or
    annotations already on ``qs``) and ``expressions``; and the position of
    each name in a fetched tuple."""
    wanted = needs(fields, expansions)
    plain = [name for name, expr in wanted.items() if expr is None]
    typed = {name: expr for name, expr in wanted.items() if expr is not None}
    typed.update(expressions)
    if typed:
        qs = qs.annotate(**typed)
    order = list(dict.fromkeys([*plain, *names, *typed]))
    return qs.values_list(*order), {name: i for i, name in enumerate(order)}


def _target_id(position: int, raw: tuple) -> str | None:
    value = raw[position]
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


def _fill_hop(
    ctx: Context, hop: _Hop, raws: list[tuple], index: Index, rows: list[Row]
) -> None:
    position = index[source_name(hop.spec)]
    ids = {_target_id(position, raw) for raw in raws} - {None}
    sub_fields = hop.sub_fields()
    found: dict[str, Row] = {}
    if ids:
        wanted = [UUID(i) for i in ids]
        sub_qs, sub_index = values(
            visibility.readable(ctx, hop.target).filter(pk__in=wanted), sub_fields
        )
        for sub in build(ctx, hop.target, list(sub_qs), sub_index, sub_fields):
            found[sub["id"]] = sub
    for raw, row in zip(raws, rows, strict=True):
        target_id = _target_id(position, raw)
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


def _child_order(ctx: Context, sort: Sequence[Sort]) -> list:
    keys = [compile.order(compile.operand(ctx, s.path), s.descending) for s in sort]
    if not sort:
        keys.append(F("created_at").desc())
    last_desc = sort[-1].descending if sort else True
    keys.append(F("pk").desc() if last_desc else F("pk").asc())
    return keys


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
        .filter(compile.where_q(ctx, people.bind(ctx, entry.where)))
        .alias(_parent=parent)
        .filter(_parent__in=wanted)
        .annotate(
            _rn=Window(
                RowNumber(),
                partition_by=[parent],
                order_by=_child_order(ctx, entry.sort),
            ),
            _p=parent,
        )
        .filter(_rn__lte=entry.limit)
        .order_by()
    )
    fetched, index = values(qs, entry.fields, (), "_p", "_rn")
    # Ordered here: SQL ordering is lost around the window's wrapping query.
    raws = sorted(fetched, key=itemgetter(index["_rn"]))
    children = build(ctx, child, raws, index, entry.fields)
    grouped: dict[UUID, list[Row]] = defaultdict(list)
    parent_at = index["_p"]
    for raw, row in zip(raws, children, strict=True):
        parent_id = raw[parent_at]  # text when the lookup is stored in JSON
        if parent_id.__class__ is not UUID:
            parent_id = UUID(str(parent_id))
        grouped[parent_id].append(row)
    for row, parent_id in zip(rows, parent_ids, strict=True):
        row[entry.key] = grouped.get(parent_id, [])


def _converter(spec: FieldSpec, uuids: bool) -> Callable[[Any], Any] | None:
    """A function from the value the database gives to the field's JSON-ready
    value; None when they are the same (or, with ``uuids``, when it is a
    lookup column's UUID)."""
    if uuids and spec.is_lookup and spec.storage is Storage.COLUMN:
        return None
    if spec.storage is not Storage.COLUMN:
        kind = _json_kind(spec)
        if kind == "number":
            to_json = spec.type.to_json
            return lambda value: None if value is None else to_json(value)
        if kind == "bool":  # SQLite answers 1/0
            return lambda value: None if value is None else bool(value)
        if kind == "list":
            return lambda value: list(value or ())
        return None
    if type(spec.type).to_json is FieldType.to_json:  # already JSON-ready
        return None
    return spec.type.to_json


def picker(keys: Sequence) -> Callable[[Any], tuple]:
    """The values at ``keys`` (positions of a tuple, or keys of a mapping) as
    a tuple, in one C-level call; one key too (``itemgetter`` of one key
    gives the bare value)."""
    if len(keys) == 1:
        (only,) = keys
        return lambda row: (row[only],)
    return itemgetter(*keys)


#: How a row key is read from a fetched tuple: (key, position, conversion or
#: None).
Column = tuple[str, int, Callable[[Any], Any] | None]


def columns(index: Index, fields: Sequence[Path], *, uuids: bool) -> list[Column]:
    """The row keys ``build`` reads straight from a fetched tuple (``id`` and
    every field without hops), each with its position and conversion."""
    found: list[Column] = [("id", index["id"], None if uuids else str)]
    for path in fields:
        if path.hops or path.name == "id":
            continue
        convert = _converter(path.leaf, uuids)
        found.append((path.name, index[source_name(path.leaf)], convert))
    return found


def is_flat(fields: Sequence[Path], expansions: Sequence[Expand]) -> bool:
    """Whether ``build``'s rows are ``columns`` alone: no dot path, no
    expansion."""
    return not expansions and not any(path.hops for path in fields)


def build(
    ctx: Context,
    object_type: ObjectType,
    raws: list[tuple],
    index: Index,
    fields: Sequence[Path],
    expansions: Sequence[Expand] = (),
    *,
    uuids: bool = False,
) -> list[Row]:
    """Rows from fetched tuples (``values``: they hold at least
    ``needs(fields)``, at ``index``), keyed ``id``, then the fields and
    expansions in the order asked. With ``uuids`` the row's own ``id`` and
    its lookup columns stay ``UUID`` objects (for callers that render ids
    themselves); otherwise every value is JSON-ready."""
    plain = columns(index, fields, uuids=uuids)
    keys = [key for key, _, _ in plain]
    pick = picker([position for _, position, _ in plain])
    rows = [Row(zip(keys, pick(raw), strict=True)) for raw in raws]
    for key, _, convert in plain:
        if convert is None:
            continue
        for row in rows:
            row[key] = convert(row[key])
    hops = _hops(fields, expansions)
    for hop in hops:
        _fill_hop(ctx, hop, raws, index, rows)
    children = [e for e in expansions if e.kind == "children"]
    if children and rows:
        at = index["id"]
        parent_ids = [raw[at] for raw in raws]
        for entry in children:
            _fill_children(ctx, entry, rows, parent_ids)
    if not hops and not children:
        return rows  # already in the order asked
    order = ["id", *(path.name for path in fields), *(e.key for e in expansions)]
    order = list(dict.fromkeys(order))
    return [Row((key, row.get(key)) for key in order) for row in rows]
