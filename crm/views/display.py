"""How field values look on screen: columns, cells and key fields, drawn from
the registry for any object. Every user value is escaped (``escape``, as
``format_html`` does it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from html import escape as _escape
from typing import Any

from django.urls import reverse
from django.utils import dateparse, formats, timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.access import Action, Context
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType
from crm.query import members

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
#: Fields the system fills; shown on record pages, not offered as columns first.
AUDIT = ("created_at", "updated_at", "created_by", "updated_by")
EMPTY = mark_safe('<span class="empty" aria-label="empty">—</span>')


@dataclass(frozen=True)
class Column:
    """One field as a list column; lookups carry the path of their target's
    name (``account.name``) so a page reads names in one query per lookup."""

    spec: FieldSpec
    target: ObjectType | None = None
    name_path: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def sortable(self) -> bool:
        return not self.spec.is_lookup and self.spec.type.key not in (
            "multi_picklist",
            "long_text",
        )

    @property
    def is_numeric(self) -> bool:
        return self.spec.type.key in ("number", "currency", "percent")


def lookup_target(ctx: Context, spec: FieldSpec) -> ObjectType | None:
    """The object a lookup points at, when the context may read it."""
    if not spec.is_lookup or spec.target == "user":
        return None
    target = registry.for_workspace(ctx.workspace).find(spec.target or "")
    if target is None or not ctx.can(target.api_name, Action.READ):
        return None
    return target


def column(ctx: Context, spec: FieldSpec) -> Column:
    if spec.target == "user":
        return Column(spec, None, f"{spec.name}.name")
    target = lookup_target(ctx, spec)
    if target is not None:
        return Column(spec, target, f"{spec.name}.{target.name_field}")
    return Column(spec)


def columns(ctx: Context, object_type: ObjectType, names: list[str]) -> list[Column]:
    found = []
    for name in names:
        spec = object_type.find_field(name)
        if spec is not None and spec.name != "id":
            found.append(column(ctx, spec))
    return found


def default_columns(object_type: ObjectType) -> list[str]:
    """The name, the pipeline field, then the first few simple fields, the
    owner: a sensible list for any object before the user picks."""
    names = [object_type.name_field]
    if object_type.pipeline_field:
        names.append(object_type.pipeline_field)
    for spec in object_type.writable_fields:
        if len(names) >= 6:
            break
        if spec.type.key in ("long_text", "multi_picklist") or spec.name in (
            "owner",
            "pipeline",
        ):
            continue
        if any(part in spec.name for part in ("street", "postal", "state")):
            continue
        names.append(spec.name)
    if "owner" in object_type.fields:
        names.append("owner")
    return list(dict.fromkeys(names))


def choosable(object_type: ObjectType) -> list[FieldSpec]:
    """Fields a user may add as columns (all but the id)."""
    return [s for s in object_type.fields.values() if s.name != "id"]


def query_fields(cols: list[Column], *extra: str) -> list[str]:
    names = [*extra]
    for col in cols:
        names.append(col.name)
        if col.name_path:
            names.append(col.name_path)
    return list(dict.fromkeys(names))


@lru_cache(maxsize=1024)
def _list_url(object_name: str) -> str:
    return reverse("crm:record_list", args=[object_name])


def record_url(object_name: str, record_id: Any) -> str:
    """``/o/<object>/<id>/`` without a ``reverse`` per row (lists are hot)."""
    return f"{_list_url(object_name)}{record_id}/"


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    return dateparse.parse_datetime(value) if isinstance(value, str) else None


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    return dateparse.parse_date(value[:10]) if isinstance(value, str) else None


def number(spec: FieldSpec, value: Any, currency: str = "USD") -> str:
    amount = Decimal(str(value))
    places = spec.type.places(spec) if hasattr(spec.type, "places") else 2
    if spec.type.key == "currency":
        places = 0 if amount == amount.to_integral_value() else 2
        symbol = SYMBOLS.get(currency, f"{currency} ")
        sign = "-" if amount < 0 else ""
        return f"{sign}{symbol}{abs(amount):,.{places}f}"
    if amount == amount.to_integral_value():
        places = 0
    text = f"{amount:,.{places}f}"
    return f"{text}%" if spec.type.key == "percent" else text


def text(spec: FieldSpec, value: Any, *, label: Any = None, currency="USD") -> str:
    """A value as plain text (CSV, titles, history)."""
    if value is None or value == "" or value == []:
        return ""
    key = spec.type.key
    if key in ("number", "currency", "percent"):
        return number(spec, value, currency)
    if key == "boolean":
        return "Yes" if value else "No"
    if key == "picklist":
        choice = spec.choice(str(value))
        return choice.label if choice else str(value)
    if key == "multi_picklist":
        return "; ".join(
            (spec.choice(v).label if spec.choice(v) else v) for v in value or ()
        )
    if key == "date":
        day = _day(value)
        return formats.date_format(day, "M j, Y") if day else str(value)
    if key == "datetime":
        moment = _moment(value)
        if moment is None:
            return str(value)
        return formats.date_format(timezone.localtime(moment), "M j, Y H:i")
    if spec.is_lookup:
        return str(label) if label else str(value)
    return str(value)


def escape(value: Any) -> str:
    """``value`` escaped for HTML unless already safe: what ``format_html``
    does to each argument, without its cost per call (a list page renders
    hundreds of cells)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape(str(value))


def html(
    spec: FieldSpec,
    value: Any,
    *,
    label: Any = None,
    target: ObjectType | None = None,
    currency: str = "USD",
) -> SafeString:
    """A value as escaped HTML: links for lookups, mail, phones and URLs."""
    if value is None or value == "" or value == []:
        return EMPTY
    key = spec.type.key
    shown = escape(text(spec, value, label=label, currency=currency))
    if spec.is_lookup:
        if target is not None:
            url = record_url(target.api_name, value)
            if not label:
                shown = escape(f"{target.label} {str(value)[:8]}…")
            return mark_safe(f'<a href="{escape(url)}">{shown}</a>')
        return mark_safe(shown if label else "—")
    if key == "email":
        return mark_safe(f'<a href="mailto:{escape(value)}">{shown}</a>')
    if key == "phone":
        return mark_safe(f'<a href="tel:{escape(value)}">{shown}</a>')
    if key == "url":
        return mark_safe(
            f'<a href="{escape(value)}" rel="noopener noreferrer" target="_blank">'
            f"{shown}</a>"
        )
    if key == "picklist":
        return mark_safe(f'<span class="pill">{shown}</span>')
    if key == "boolean":
        return mark_safe(
            f'<span class="bool bool-{"yes" if value else "no"}">{shown}</span>'
        )
    if key == "long_text":
        return mark_safe(f'<span class="long-text">{shown}</span>')
    return mark_safe(shown)


@dataclass(frozen=True)
class Cell:
    column: Column
    value: Any
    html: SafeString


@dataclass(frozen=True)
class RowView:
    id: str
    url: str
    title: str
    cells: list[Cell]


def cell(col: Column, row: dict, currency: str) -> Cell:
    value = row.get(col.name)
    label = row.get(col.name_path) if col.name_path else None
    return Cell(
        col,
        value,
        html(col.spec, value, label=label, target=col.target, currency=currency),
    )


def rows(
    object_type: ObjectType, cols: list[Column], raw_rows: list, currency: str
) -> list[RowView]:
    name_spec = object_type.fields[object_type.name_field]
    return [
        RowView(
            id=row["id"],
            url=record_url(object_type.api_name, row["id"]),
            title=text(name_spec, row.get(name_spec.name))
            or f"{object_type.label} {row['id'][:8]}",
            cells=[cell(col, row, currency) for col in cols],
        )
        for row in raw_rows
    ]


def td(
    object_type: ObjectType,
    row: RowView,
    cell_: Cell,
    *,
    can_edit: bool,
    refocus: bool = False,
) -> SafeString:
    """One list cell as a ``<td>``, with its inline-edit button: built here,
    not by a template include per cell, because a page has hundreds."""
    col = cell_.column
    if col.name == object_type.name_field:
        inner = f'<a class="row-title" href="{escape(row.url)}">{escape(row.title)}</a>'
    else:
        inner = escape(cell_.html)
    button = ""
    if can_edit and not col.spec.read_only:
        button = (
            f'<button type="button" class="cell-edit" hx-get="{escape(row.url)}field/'
            f'{escape(col.name)}/?at=cell&amp;edit=1" hx-target="closest td" '
            f'hx-swap="outerHTML" aria-label="Edit {escape(col.label)} of '
            f'{escape(row.title)}"{" autofocus" if refocus else ""}>✎</button>'
        )
    return mark_safe(
        f'<td class="cell{" num" if col.is_numeric else ""}" '
        f'id="cell-{escape(row.id)}-{escape(col.name)}">{inner}{button}</td>'
    )


def table(
    object_type: ObjectType, rows_: list[RowView], *, can_edit: bool
) -> list[tuple[RowView, list[SafeString]]]:
    return [
        (row, [td(object_type, row, c, can_edit=can_edit) for c in row.cells])
        for row in rows_
    ]


def key_fields(object_type: ObjectType) -> list[str]:
    """What a record's header shows: the first money field, the first date,
    the first lookup to another record, and the owner."""
    picks: list[str] = []
    for wanted in (
        lambda s: s.type.key == "currency",
        lambda s: s.type.key == "date",
        lambda s: s.is_lookup and s.target not in ("user", None),
        lambda s: s.type.key in ("email", "phone"),
    ):
        found = next((s.name for s in object_type.writable_fields if wanted(s)), None)
        if found:
            picks.append(found)
    if "owner" in object_type.fields:
        picks.append("owner")
    return picks


def member_options(
    people: Collection[members.Member], chosen: Collection[str] = ()
) -> SafeString:
    """People as ``<option>``s, those in ``chosen`` (ids) selected."""
    chosen = set(chosen)
    return mark_safe(
        "".join(
            f'<option value="{escape(m.id)}"'
            f"{' selected' if str(m.id) in chosen else ''}>{escape(m.label)}</option>"
            for m in people
        )
    )


class People:
    """The workspace's members for people pickers: read once, when a page
    first uses them, and rendered in one pass (a team can have hundreds, and a
    template loop over them costs tens of milliseconds)."""

    def __init__(self, ctx: Context) -> None:
        self._read = members.lazy(ctx)

    def __iter__(self) -> Iterator[members.Member]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())

    @property
    def options(self) -> SafeString:
        return member_options(self._read())
