"""Expansions: inline a lookup's target record, or a list of child records.

``expand`` entries name a lookup field (``account``, ``owner``), the object a
lookup points at (``crm_account``), or an object whose records point here
(``opportunities``, ``crm_opportunity_line_item``). An entry may be an object
with its own ``fields``, ``filters``, ``sort``, ``limit``, ``via`` (which of
the child's lookups, when several point here) and ``as`` (the key in the row).
``related`` (``{"Opportunities": {"fields": …, "limit": 10}}``) is the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accounts import errors
from accounts.access import Action, Context
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType, normalize
from crm.query import filters, paths
from crm.query.filters import Where
from crm.query.shape import Sort, fail, limit, parse_fields, parse_sort

MAX_EXPANSIONS = 10
CHILD_LIMIT = 20
MAX_CHILD_LIMIT = 200
_ENTRY_KEYS = frozenset(
    {"name", "object", "field", "fields", "filters", "sort", "limit", "via", "as"}
)


@dataclass(frozen=True)
class Expand:
    """One expansion. ``via`` is the lookup: on the root object for a
    ``lookup`` expansion, on ``object_type`` (the child) for ``children``."""

    key: str
    kind: str  # "lookup" | "children"
    via: FieldSpec
    object_type: ObjectType
    fields: tuple[paths.Path, ...]
    where: Where = ()
    sort: tuple[Sort, ...] = ()
    limit: int = CHILD_LIMIT


def _children_via(
    child: ObjectType, parent: ObjectType, via: Any, name: str
) -> FieldSpec:
    candidates = [s for s in child.lookups if s.target == parent.api_name]
    if via:
        spec = child.find_field(str(via))
        if spec is None or spec not in candidates:
            raise fail(f"{child.label} has no lookup '{via}' to {parent.label}.", name)
        return spec
    if not candidates:
        raise fail(f"{child.label} records do not point at {parent.label}.", name)
    if len(candidates) > 1:
        options = ", ".join(s.name for s in candidates)
        raise fail(
            f"{child.label} points at {parent.label} through {options}; "
            "say which with 'via'.",
            name,
        )
    return candidates[0]


def _readable(ctx: Context, object_type: ObjectType, name: str) -> ObjectType:
    if not ctx.can(object_type.api_name, Action.READ):
        raise fail(f"You may not read {object_type.label} records.", name)
    return object_type


def _resolve(
    ctx: Context, root: ObjectType, name: str, via: Any
) -> tuple[str, FieldSpec, ObjectType]:
    """(kind, lookup, object) that ``name`` expands."""
    spec = None if via else root.find_field(name)
    if spec is not None and spec.is_lookup:
        return "lookup", spec, paths.target_of(ctx, spec, name=name)
    if spec is not None:
        raise fail(f"{spec.label} is not a lookup; it cannot be expanded.", name)
    other = registry.for_workspace(ctx.workspace).find(name)
    if other is None:
        raise fail(f"{root.label} has nothing called '{name}' to expand.", name)
    other = _readable(ctx, other, name)
    pointing = [s for s in root.lookups if s.target == other.api_name]
    is_plural = normalize(name) in (other.plural, normalize(other.label_plural))
    if pointing and not via and not is_plural:
        if len(pointing) > 1:
            options = ", ".join(s.name for s in pointing)
            raise fail(
                f"{root.label} points at {other.label} through {options}; "
                "expand one of those fields.",
                name,
            )
        return "lookup", pointing[0], other
    return "children", _children_via(other, root, via, name), other


def _entry(ctx: Context, root: ObjectType, raw: Any, key_hint: str | None) -> Expand:
    options: Mapping[str, Any] = {}
    if isinstance(raw, Mapping):
        options = raw
        unknown = set(options) - _ENTRY_KEYS
        if unknown:
            raise fail(f"Unknown expand key '{sorted(unknown)[0]}'.", "expand")
        name = key_hint or options.get("name", options.get("object"))
        name = name or options.get("field")
    else:
        name = raw
    if not isinstance(name, str) or not name.strip():
        raise fail("Each expansion names a lookup or a related object.", "expand")
    name = name.strip()
    kind, via, object_type = _resolve(ctx, root, name, options.get("via"))
    fields = parse_fields(ctx, object_type, options.get("fields"))
    if kind == "lookup":
        for key in ("filters", "sort", "limit"):
            if key in options:
                raise fail(f"'{key}' applies to child lists, not to {name}.", name)
        return Expand(options.get("as") or via.name, kind, via, object_type, fields)
    where = filters.combine(
        filters.parse(object_type, options.get("filters"), ctx=ctx), ()
    )
    return Expand(
        key=options.get("as")
        or (key_hint and normalize(key_hint))
        or object_type.plural,
        kind=kind,
        via=via,
        object_type=object_type,
        fields=fields,
        where=where,
        sort=parse_sort(ctx, object_type, options.get("sort")),
        limit=limit(options.get("limit"), CHILD_LIMIT, MAX_CHILD_LIMIT, "limit"),
    )


def parse(
    ctx: Context, root: ObjectType, raw: Any, related: Any = None
) -> tuple[Expand, ...]:
    """Every expansion of a query (``expand`` and ``related`` together)."""
    entries: list[Expand] = []
    if raw not in (None, "", []):
        if isinstance(raw, str | Mapping):
            raw = [raw]
        if not isinstance(raw, list | tuple):
            raise fail("'expand' is a list of names or objects.", "expand")
        entries += [_entry(ctx, root, item, None) for item in raw]
    if related not in (None, {}):
        if not isinstance(related, Mapping):
            raise fail("'related' maps names to {fields, filters, limit}.", "related")
        for name, options in related.items():
            if not isinstance(options, Mapping):
                raise fail(f"'related.{name}' must be an object.", "related")
            entries.append(_entry(ctx, root, dict(options), str(name)))
    if len(entries) > MAX_EXPANSIONS:
        raise fail(f"Expand at most {MAX_EXPANSIONS} relations.", "expand")
    keys = [e.key for e in entries]
    if len(keys) != len(set(keys)):
        raise fail("Two expansions have the same name; use 'as'.", "expand")
    return tuple(entries)


def check_no_clash(expansions: tuple[Expand, ...], names: tuple[str, ...]) -> None:
    """A child list may not take the key of a requested field."""
    for entry in expansions:
        if entry.kind == "children" and entry.key in names:
            raise errors.ValidationFailed(
                f"'{entry.key}' is both a field and an expansion; use 'as'.",
                field=entry.key,
            )
