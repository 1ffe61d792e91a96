"""Shapes shared by queries and their expansions: sort keys, field lists,
limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accounts import errors
from accounts.access import Context
from crm.metadata import registry
from crm.metadata.types import ObjectType
from crm.query import compile, filters, paths

MAX_FIELDS = 200


@dataclass(frozen=True)
class Sort:
    path: paths.Path
    descending: bool


def fail(message: str, field: str | None) -> errors.ValidationFailed:
    return errors.ValidationFailed(message, field=field)


def target(ctx: Context, object_name: str, named: Any) -> ObjectType:
    """The object a body asks about: the one it names in ``object`` (text),
    else ``object_name`` (the URL's). ValidationFailed naming ``object`` when
    the name is no text or differs from the URL's; NotFound for an unknown
    or unreadable object."""
    if named in (None, ""):
        return registry.get(ctx, object_name)
    if not isinstance(named, str) or not named.strip():
        raise fail("'object' is the name of an object, as text.", "object")
    object_type = registry.get(ctx, named)
    if object_name:
        url = registry.get(ctx, object_name)
        if url.api_name != object_type.api_name:
            raise fail(
                f"The body names {object_type.label}, the URL {url.label}.", "object"
            )
    return object_type


def parse_sort(ctx: Context | None, object_type: ObjectType, raw: Any) -> tuple:
    """``"-amount"``, ``["-amount", "name"]``, ``[["amount", "desc"]]``,
    ``[{"field"|"propertyName": …, "direction": "desc"|"DESCENDING"}]``."""
    if raw in (None, "", []):
        return ()
    if isinstance(raw, str):
        raw = raw.split(",")
        if any(not part.strip() for part in raw):
            raise fail(
                "Sort is a comma-separated list of fields, each with an optional "
                "'-' for descending (-amount,name); an entry is empty.",
                "sort",
            )
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list | tuple):
        raise fail("Sort is a list of fields with directions.", "sort")
    if len(raw) > 5:
        raise fail("Sort by at most 5 fields.", "sort")
    keys: list[Sort] = []
    for item in raw:
        if isinstance(item, str):
            name = item.strip()
            direction = "desc" if name.startswith("-") else "asc"
            name = name[1:] if name[:1] in ("-", "+") else name
            if not name.strip() or name[:1] in ("-", "+"):
                raise fail(
                    f"Cannot read the sort entry '{item.strip()[:80]}': a field "
                    "with an optional '-' for descending (-amount).",
                    "sort",
                )
        elif isinstance(item, list | tuple) and 1 <= len(item) <= 2:
            name, direction = item[0], (item[1] if len(item) == 2 else "asc")
        elif isinstance(item, Mapping):
            name = item.get("field", item.get("propertyName"))
            direction = item.get("direction", item.get("order", "asc"))
        else:
            raise fail(f"Cannot read the sort entry {str(item)[:80]}.", "sort")
        if not isinstance(direction, str) or direction.strip().lower() not in (
            "asc",
            "desc",
            "ascending",
            "descending",
        ):
            raise fail(f"Sort direction '{direction}' is not asc or desc.", "sort")
        path = paths.resolve(ctx, object_type, name)
        compile.sortable(path)
        keys.append(Sort(path, direction.strip().lower().startswith("desc")))
    return tuple(keys)


def parse_fields(
    ctx: Context | None, object_type: ObjectType, raw: Any
) -> tuple[paths.Path, ...]:
    """Requested fields (dot paths allowed); every field when none are named."""
    if raw in (None, "", []):
        return tuple(
            paths.local(object_type, spec) for spec in object_type.fields.values()
        )
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list | tuple):
        raise fail("Fields are a list of field names.", "fields")
    if len(raw) > MAX_FIELDS:
        raise fail(f"Ask for at most {MAX_FIELDS} fields.", "fields")
    found: dict[str, paths.Path] = {}
    for name in raw:
        if isinstance(name, str) and not name.strip():
            continue
        path = paths.resolve(ctx, object_type, name)
        found.setdefault(path.name, path)
    return tuple(found.values())


def limit(raw: Any, default: int, maximum: int, key: str = "limit") -> int:
    if raw in (None, ""):
        return default
    if filters.is_ascii_number(raw):
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= maximum:
        raise fail(f"'{key}' must be a whole number from 1 to {maximum}.", key)
    return raw
