"""The state of a list or board in its URL, and the filter builder.

The builder posts rows as ``f0``/``o0``/``v0``, ``f1``/… (field, operator,
values); they become an ObjectQL filter list (``[["amount", ">", "1000"]]``)
that ``crm.query`` parses, types and checks. ``c`` lists the chosen columns in
order, ``sort`` is ``name`` or ``-name``, ``q`` is a text search and ``view``
the saved view the state started from.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString

from crm.metadata.types import FieldSpec, ObjectType
from crm.models import SavedView
from crm.query import operators
from crm.query.members import Member
from crm.views import display

MAX_FILTERS = 20
#: The operators the builder offers, in this order, with their wording.
OPERATORS: dict[str, str] = {
    "=": "is",
    "!=": "is not",
    "in": "is any of",
    "not_in": "is none of",
    "contains": "contains",
    "starts_with": "starts with",
    "ends_with": "ends with",
    ">": "is greater than",
    ">=": "is at least",
    "<": "is less than",
    "<=": "is at most",
    "between": "is between",
    "today": "is today",
    "yesterday": "was yesterday",
    "tomorrow": "is tomorrow",
    "this_week": "is this week",
    "last_week": "was last week",
    "next_week": "is next week",
    "this_month": "is this month",
    "last_month": "was last month",
    "next_month": "is next month",
    "this_quarter": "is this quarter",
    "last_quarter": "was last quarter",
    "next_quarter": "is next quarter",
    "this_year": "is this year",
    "last_year": "was last year",
    "next_year": "is next year",
    "in_year": "is in the year",
    "last_n_days": "is in the last N days",
    "next_n_days": "is in the next N days",
    "is_null": "is empty",
    "is_not_null": "is not empty",
}
#: State keys: present in a URL, they replace the saved view's state.
STATE_KEYS = ("c", "sort", "q", "fs")


def operators_for(spec: FieldSpec) -> list[tuple[str, str]]:
    return [(op, label) for op, label in OPERATORS.items() if op in spec.type.operators]


def value_kind(spec: FieldSpec, op: str) -> str:
    """Which value input the builder shows for ``op`` on ``spec``."""
    if op in operators.UNARY:
        return "none"
    if op in operators.COUNTED_DATES:
        return "count"
    if spec.type.key == "boolean":
        return "boolean"
    if spec.target == "user":
        return "user"
    if spec.type.key in ("picklist", "multi_picklist"):
        return "choices" if op in ("in", "not_in") else "choice"
    if spec.is_lookup:
        return "lookup"
    if op == "between":
        return "between"
    return {"date": "date", "datetime": "date"}.get(spec.type.key) or (
        "number" if spec.type.key in ("number", "currency", "percent") else "text"
    )


@dataclass
class FilterRow:
    """One row of the builder, as shown; ``people`` are offered by a row on a
    person (``display.People``)."""

    index: int
    spec: FieldSpec | None
    op: str = ""
    values: list[str] = field(default_factory=list)
    people: Collection[Member] = field(default=(), compare=False, repr=False)

    @property
    def operators(self) -> list[tuple[str, str]]:
        return operators_for(self.spec) if self.spec else []

    @property
    def kind(self) -> str:
        return value_kind(self.spec, self.op) if self.spec and self.op else "none"

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""

    @property
    def high(self) -> str:
        return self.values[1] if len(self.values) > 1 else ""

    @property
    def people_options(self) -> SafeString:
        """The members as ``<option>``s, the chosen ones selected."""
        return display.member_options(self.people, self.values)


def _as_values(rest: list[Any]) -> list[str]:
    if not rest:
        return []
    value = rest[0] if len(rest) == 1 else rest
    if isinstance(value, list | tuple):
        return ["" if v is None else str(v) for v in value]
    return ["" if value is None else str(value)]


def filter_rows(
    object_type: ObjectType, filters: list, people: Collection[Member] = ()
) -> list[FilterRow]:
    rows = []
    for i, item in enumerate(filters):
        if not isinstance(item, list | tuple) or len(item) < 2:
            continue
        spec = object_type.find_field(str(item[0]))
        op = operators.canonical(str(item[1])) or ""
        rows.append(FilterRow(i, spec, op, _as_values(list(item[2:])), people))
    return rows


def _condition(name: str, op: str, values: list[str]) -> list[Any]:
    canonical = operators.canonical(op) or op
    if canonical in operators.UNARY:
        return [name, canonical]
    if canonical in operators.LISTS:
        if len(values) == 1:
            values = [v.strip() for v in values[0].split(",") if v.strip()]
        return [name, canonical, values]
    if canonical == "between":
        if len(values) == 1:
            values = [v.strip() for v in values[0].split(",")]
        return [name, canonical, values]
    return [name, canonical, values[0] if values else ""]


def filters_from(params: Mapping[str, Any]) -> list[list[Any]]:
    """The ObjectQL filter list of the builder's rows (unchecked: the query
    engine refuses what is wrong, naming the field)."""
    found = []
    for i in range(MAX_FILTERS):
        name, op = params.get(f"f{i}"), params.get(f"o{i}")
        if not name or not op:
            continue
        getlist = getattr(params, "getlist", None)
        raw = getlist(f"v{i}") if getlist else [params.get(f"v{i}", "")]
        values = [v for v in raw if v is not None and v != ""]
        found.append(_condition(name, op, values))
    return found


@dataclass
class ListState:
    filters: list[list[Any]]
    columns: list[str]
    sort: str = ""
    q: str = ""
    view: SavedView | None = None
    pipeline: str = ""

    def params(self, *, with_view: bool = True, **extra: Any) -> str:
        """The URL query of this state (plus ``extra``), for links."""
        return urlencode(self.pairs(with_view=with_view, **extra))

    def pairs(self, *, with_view: bool = True, **extra: Any) -> list[tuple[str, Any]]:
        """The state as (name, value) pairs: URL parameters, hidden inputs."""
        pairs: list[tuple[str, Any]] = [("fs", "1")]
        for i, item in enumerate(self.filters):
            pairs += [(f"f{i}", item[0]), (f"o{i}", item[1])]
            pairs += [(f"v{i}", v) for v in _as_values(list(item[2:]))]
        pairs += [("c", name) for name in self.columns]
        if self.sort:
            pairs.append(("sort", self.sort))
        if self.q:
            pairs.append(("q", self.q))
        if self.pipeline:
            pairs.append(("pipeline", self.pipeline))
        if with_view and self.view is not None:
            pairs.append(("view", str(self.view.pk)))
        pairs += [(k, v) for k, v in extra.items() if v not in (None, "")]
        return pairs

    def sort_params(self, name: str) -> str:
        """The state sorted by ``name``: ascending first, then descending."""
        sort = f"-{name}" if self.sort == name else name
        return ListState(
            self.filters, self.columns, sort, self.q, self.view, self.pipeline
        ).params()

    def sorted_by(self, name: str) -> str:
        """``ascending``, ``descending`` or ``none`` (for aria-sort)."""
        if self.sort == name:
            return "ascending"
        if self.sort == f"-{name}":
            return "descending"
        return "none"


def from_request(
    object_type: ObjectType,
    params: QueryDict,
    view: SavedView | None,
    default_columns: list[str],
) -> ListState:
    """The state a URL asks for; a saved view's own state when the URL names
    only the view."""
    explicit = any(key in params for key in STATE_KEYS) or "f0" in params
    if view is not None and not explicit:
        return ListState(
            filters=list(view.filters),
            columns=list(view.columns) or default_columns,
            sort=view.sort,
            view=view,
            pipeline=params.get("pipeline", ""),
        )
    wanted = [c for c in params.getlist("c") if object_type.find_field(c)]
    return ListState(
        filters=filters_from(params),
        columns=list(dict.fromkeys(wanted)) or default_columns,
        sort=params.get("sort", "").strip(),
        q=params.get("q", "").strip()[:200],
        view=view,
        pipeline=params.get("pipeline", ""),
    )


def next_url(request, fallback: str) -> str:
    """Where ``?next=`` (or a posted ``next``) points, when it is a URL of
    this site; ``fallback`` otherwise (never another host, never a
    ``javascript:`` link)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
