"""The validated query model, built from JSON or a query string.

``Query.from_json(ctx, object_name, payload)`` accepts the ObjectQL body
(``filters``, ``filter_groups``, ``sort``, ``fields``, ``expand``, ``related``,
``limit``, ``cursor``, ``offset``) and HubSpot's search body (``filterGroups``,
``sorts``, ``properties``, ``after``, ``query``); keys are matched
CamelCase ≡ snake_case. Every problem raises ValidationFailed naming the key,
field, operator or value at fault; unknown keys are refused, not ignored.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accounts.access import Context
from crm.metadata.types import ObjectType, normalize
from crm.query import expand, filters, paths, shape
from crm.query.expand import Expand
from crm.query.filters import Where
from crm.query.shape import Sort, parse_fields, parse_sort
from crm.query.shape import fail as _fail
from crm.query.shape import limit as _limit

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
#: Internal callers (exports, reports) may page further than the API allows.
HARD_LIMIT = 10_000
#: Offset paging costs O(offset); past this, cursors page on.
MAX_OFFSET = 1_000_000

_KEYS = {
    "object": "object",
    "filters": "filters",
    "filter": "filters",
    "where": "filters",
    "filter_groups": "filter_groups",
    "sort": "sort",
    "sorts": "sort",
    "order_by": "sort",
    "fields": "fields",
    "properties": "fields",
    "expand": "expand",
    "related": "related",
    "limit": "limit",
    "cursor": "cursor",
    "after": "cursor",
    "offset": "offset",
    "include_deleted": "deleted",
    "deleted": "deleted",
    "archived": "deleted",
    "query": "search",
    "q": "search",
    "search": "search",
    "explain": "explain",
}


def _offset(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    if filters.is_ascii_number(raw):
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise _fail("'offset' must be a whole number, 0 or more.", "offset")
    if raw > MAX_OFFSET:
        raise _fail(
            f"'offset' is at most {MAX_OFFSET:,}; page further with cursors "
            "(next_cursor).",
            "offset",
        )
    return raw


def _flag(raw: Any, key: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("1", "true", "yes", ""):
        return True
    if isinstance(raw, str) and raw.strip().lower() in ("0", "false", "no"):
        return False
    raise _fail(f"'{key}' must be true or false.", key)


@dataclass(frozen=True)
class Query:
    """One validated read of one object; build with ``from_json``."""

    object_type: ObjectType
    where: Where = ()
    sort: tuple[Sort, ...] = ()
    fields: tuple[paths.Path, ...] = ()
    expand: tuple[Expand, ...] = ()
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    offset: int | None = None
    deleted: bool = False
    search: str = ""
    explain: str | None = None

    @classmethod
    def from_json(
        cls,
        ctx: Context,
        object_name: str,
        payload: Mapping[str, Any] | None,
        *,
        max_limit: int = MAX_LIMIT,
    ) -> Query:
        payload = payload or {}
        if not isinstance(payload, Mapping):
            raise _fail("A query is a JSON object.", None)
        given: dict[str, Any] = {}
        for key, value in payload.items():
            canonical = _KEYS.get(normalize(str(key)))
            if canonical is None:
                raise _fail(f"Unknown query key '{key}'.", str(key))
            given[canonical] = value
        object_type = shape.target(ctx, object_name, given.get("object"))
        where = filters.combine(
            filters.parse(object_type, given.get("filters"), ctx=ctx),
            filters.parse_groups(object_type, given.get("filter_groups"), ctx=ctx),
        )
        cursor = given.get("cursor")
        if cursor in (0, "0", "", None):
            cursor = None
        elif not isinstance(cursor, str):
            raise _fail("The cursor is the text of a previous next_cursor.", "cursor")
        offset = _offset(given.get("offset"))
        if cursor and offset is not None:
            raise _fail("Use either a cursor or an offset, not both.", "offset")
        search = given.get("search") or ""
        if not isinstance(search, str) or len(search) > 200:
            raise _fail("'query' is text of at most 200 characters.", "query")
        explain = given.get("explain")
        if explain not in (None, False):
            explain = "analyze" if explain == "analyze" else "plan"
        else:
            explain = None
        return cls(
            object_type=object_type,
            where=where,
            sort=parse_sort(ctx, object_type, given.get("sort")),
            fields=parse_fields(ctx, object_type, given.get("fields")),
            expand=expand.parse(
                ctx, object_type, given.get("expand"), given.get("related")
            ),
            limit=_limit(given.get("limit"), DEFAULT_LIMIT, max_limit),
            cursor=cursor,
            offset=offset,
            deleted=_flag(given["deleted"], "deleted") if "deleted" in given else False,
            search=search.strip(),
            explain=explain,
        )

    def replace(self, **changes: Any) -> Query:
        return dataclasses.replace(self, **changes)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(path.name for path in self.fields)


class ListQuery(Query):
    """A query from a list URL's parameters (``?filters=[…]&sort=-amount``)."""

    @classmethod
    def from_querydict(
        cls, ctx: Context, object_name: str, params: Mapping[str, Any]
    ) -> ListQuery:
        """Read ``fields``, ``filters`` (JSON), ``sort``, ``limit``, ``offset``,
        ``cursor``, ``expand``, ``q`` and ``deleted``; other parameters (page
        UI state) are ignored."""
        payload: dict[str, Any] = {}
        for key in ("fields", "sort", "limit", "offset", "cursor", "q", "deleted"):
            value = params.get(key)
            if value not in (None, ""):
                payload[key] = value
        for key in ("filters", "filter_groups", "expand"):
            value = params.get(key)
            if value in (None, ""):
                continue
            try:
                payload[key] = json.loads(value)
            except ValueError:
                if key == "expand":
                    payload[key] = value.split(",")
                    continue
                raise _fail(f"'{key}' must be JSON.", key) from None
        return cls.from_json(ctx, object_name, payload)
