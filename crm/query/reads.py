"""The reads: a page of records, one record, a count, and their SQL.

``page`` runs: visibility → filters (bound to the caller) → text search →
keyset (or offset) → order → the columns the fields need, then
``select.build`` fills paths and expansions. Nothing here writes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import F, QuerySet

from accounts import errors
from accounts.access import Context
from crm.metadata import field_types
from crm.metadata.types import Storage
from crm.query import (
    compile,
    fulltext,
    jsonsql,
    paging,
    people,
    prepared,
    select,
    visibility,
)
from crm.query.paging import Key, Page, Row
from crm.query.parse import Query
from crm.query.paths import Path


def base(ctx: Context, query: Query) -> QuerySet:
    """The rows ``query`` selects, unordered: visible, filtered, searched."""
    qs = visibility.readable(ctx, query.object_type, deleted=query.deleted)
    if query.where:
        qs = qs.filter(compile.where_q(ctx, people.bind(ctx, query.where)))
    if query.search:
        qs = qs.filter(fulltext.text_q(query.object_type, query.search))
    return qs


def _nullable(path: Path) -> bool:
    if path.hops or path.leaf.storage is not Storage.COLUMN:
        return True
    model_field = path.holder.model._meta.get_field(path.leaf.name)
    return model_field.null


def keys(ctx: Context, query: Query) -> list[Key]:
    """The keyset: the sort (newest first by default), then the id."""
    found = [
        Key(compile.operand(ctx, s.path).expr, s.descending, _nullable(s.path))
        for s in query.sort
    ] or [Key(F("created_at"), True, nullable=False)]
    found.append(paging.id_key(found[-1].descending))
    return found


#: JSON kinds whose selected value (``select.needs``) is the value compared.
_SAME_AS_SELECTED = frozenset({"number", "bool", "text", "uuid", "date"})


def _key_columns(ctx: Context, query: Query) -> tuple[list[str], dict[str, Any]]:
    """The ``values()`` name of each sort key's value, reusing a requested
    field's column when it is the very value compared, and the expressions
    to select for the others."""
    selected = select.needs(query.fields, query.expand)
    names: list[str] = []
    extra: dict[str, Any] = {}
    sorts = query.sort or ()
    for i, key in enumerate(keys(ctx, query)[:-1]):
        path = sorts[i].path if sorts else None
        if path is not None and path.is_local:
            name = select.source_name(path.leaf)
            same = path.leaf.storage is Storage.COLUMN or (
                jsonsql.kind_of(path.leaf.type) in _SAME_AS_SELECTED
            )
            if name in selected and same:
                names.append(name)
                continue
        names.append(f"_k{i}")
        extra[f"_k{i}"] = key.expr
    return names, extra


def _order(key: Key):
    if not key.nullable:
        return key.expr.desc() if key.descending else key.expr.asc()
    return (
        key.expr.desc(nulls_first=True)
        if key.descending
        else key.expr.asc(nulls_last=True)
    )


def _shape(ctx: Context, query: Query) -> str:
    where = [[(c.name, c.op, repr(c.value)) for c in group] for group in query.where]
    sort = [(s.path.name, s.descending) for s in query.sort]
    return paging.fingerprint(
        str(ctx.workspace_id),
        query.object_type.api_name,
        where,
        sort,
        query.deleted,
        query.search,
    )


def explain(qs: QuerySet, mode: str | None) -> dict[str, Any]:
    """The SQL of ``qs`` (parameters inlined where the database can) and its
    plan; ``mode="analyze"`` runs it to time each step (PostgreSQL)."""
    sql, params = qs.query.sql_with_params()
    if connection.vendor == "postgresql":
        sql = connection.ops.compose_sql(sql, params)
    else:
        sql = sql % tuple(repr(p) for p in params)
    options = {"analyze": True} if mode == "analyze" else {}
    if connection.vendor != "postgresql":
        options = {}
    return {"sql": sql, "plan": qs.explain(**options)}


def page(
    ctx: Context,
    query: Query,
    *,
    uuids: bool = False,
    rows_as: Callable[[list[select.Column]], Callable[[tuple], Any] | None]
    | None = None,
) -> Page:
    """One page of ``query``: rows of its fields, ``next_cursor`` and
    ``has_more``; with an ``offset``, ``total`` too. ValidationFailed for a
    bad cursor; PermissionDenied for ``explain`` unless admin. ``uuids``: see
    ``select.build``.

    ``rows_as`` lets a caller that renders rows its own way (the API) do it in
    the same pass: given a flat query's columns (``select.columns``) it
    returns a maker of its row from a fetched tuple, or None; the page's rows
    are then the maker's, and ``page.shaped`` says so."""
    if query.explain and not ctx.is_admin:
        raise errors.PermissionDenied("Only admins may explain queries.")
    qs = base(ctx, query)
    keyset = keys(ctx, query)
    shape = _shape(ctx, query)
    total = None
    if query.cursor:
        values = paging.decode(shape, query.cursor, len(keyset))
        qs = qs.filter(paging.after(keyset, values))
    elif query.offset is not None:
        total = qs.count()
    qs = qs.order_by(*(_order(k) for k in keyset))
    key_names, sort_values = _key_columns(ctx, query)
    start = query.offset or 0
    selected, index = select.values(qs, query.fields, query.expand, **sort_values)
    sliced = selected[start : start + query.limit + 1]
    raws = list(sliced)
    has_more = len(raws) > query.limit
    raws = raws[: query.limit]
    next_cursor = None
    if has_more and query.offset is None:
        last = raws[-1]
        values = [last[index[name]] for name in (*key_names, "id")]
        next_cursor = paging.encode(shape, values)
    make = None
    if rows_as is not None and select.is_flat(query.fields, query.expand):
        make = rows_as(select.columns(index, query.fields, uuids=uuids))
    if make is not None:
        rows = [make(raw) for raw in raws]
    else:
        rows = select.build(
            ctx, query.object_type, raws, index, query.fields, query.expand, uuids=uuids
        )
    return Page(
        rows=rows,
        next_cursor=next_cursor,
        has_more=has_more,
        limit=query.limit,
        fields=query.field_names,
        total=total,
        offset=query.offset,
        explain=explain(sliced, query.explain) if query.explain else None,
        shaped=make is not None,
    )


def _record_id(object_type, record_id: Any) -> UUID:
    try:
        return field_types.get("id").clean(object_type.fields["id"], record_id)
    except ValueError:
        raise errors.NotFound(
            f"No {object_type.label} with id {str(record_id)[:80]}."
        ) from None


_GETS: OrderedDict[tuple, tuple[prepared.PreparedRow, select.Index]] = OrderedDict()
_GETS_SIZE = 1024
_GETS_LOCK = threading.Lock()


def _prepared_get(ctx: Context, query: Query):
    """The compiled lookup by id of ``query`` (its fields and expansions), for
    contexts that see every record: the SQL is the same for all of them."""
    object_type = query.object_type
    key = (
        ctx.workspace_id,
        ctx.workspace.metadata_version,
        object_type.api_name,
        query.field_names,
        tuple(
            (e.key, e.kind, e.via.name, tuple(p.name for p in e.fields))
            for e in query.expand
        ),
        query.deleted,
    )
    found = _GETS.get(key)
    if found is None:
        _, index = select.values(
            base(ctx, query).filter(pk=prepared.UUID_MARKER),
            query.fields,
            query.expand,
        )
        lookup = prepared.PreparedRow(
            lambda pk: select.values(
                base(ctx, query).filter(pk=pk), query.fields, query.expand
            )[0]
        )
        found = (lookup, index)
        with _GETS_LOCK:
            _GETS[key] = found
            while len(_GETS) > _GETS_SIZE:
                _GETS.popitem(last=False)
    return found


def get(
    ctx: Context,
    object_name: str,
    record_id: Any,
    *,
    fields: Any = None,
    expand: Any = None,
    deleted: bool = False,
    uuids: bool = False,
) -> Row:
    """One record as a row of ``fields`` (all by default); NotFound when it
    does not exist, is in another workspace or is not visible to ``ctx``.
    ``uuids``: see ``select.build``."""
    query = Query.from_json(
        ctx, object_name, {"fields": fields, "expand": expand, "deleted": deleted}
    )
    pk = _record_id(query.object_type, record_id)
    if visibility.sees_all(ctx, query.object_type):
        lookup, index = _prepared_get(ctx, query)
        row = lookup.first(pk)
        raws = [] if row is None else [row]
    else:  # the owner filter is the user's own: compiled each time
        selected, index = select.values(
            base(ctx, query).filter(pk=pk), query.fields, query.expand
        )
        raws = list(selected[:1])
    if not raws:
        raise errors.NotFound(f"No {query.object_type.label} with id {record_id}.")
    found = select.build(
        ctx, query.object_type, raws, index, query.fields, query.expand, uuids=uuids
    )
    return found[0]


def count(
    ctx: Context,
    target: Query | str,
    filters: Any = None,
    *,
    filter_groups: Any = None,
    deleted: bool = False,
) -> int:
    """How many records a query (or an object with ``filters``) selects."""
    if not isinstance(target, Query):
        payload: Mapping[str, Any] = {
            "filters": filters,
            "filter_groups": filter_groups,
            "deleted": deleted,
            "fields": ["id"],
        }
        target = Query.from_json(ctx, target, payload)
    return base(ctx, target).count()
