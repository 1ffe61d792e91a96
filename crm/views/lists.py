"""List views of any object: columns, sort, filters, saved views, cursor
pages, the bulk bar's inputs (its actions: ``crm.views.bulk``) and CSV
export. Every read goes through ``crm.query``."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import access, errors
from accounts.access import Action
from crm import forms as crm_forms
from crm import query
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType
from crm.query import parse, saved_views
from crm.views import display, state

PAGE_SIZE = 50
EXPORT_PAGE = 1000
#: The most rows a download holds; the export job (the API's
#: ``POST /api/v1/<plural>/export``) writes more.
EXPORT_MAX = parse.HARD_LIMIT
#: The prefix of the bulk bar's value input (``bulk-<field>``).
BULK_PREFIX = "bulk"
#: A CSV cell starting with one of these is a formula to a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def list_state(ctx, object_type, params) -> state.ListState:
    view = None
    if params.get("view"):
        view = saved_views.get(ctx, object_type, params["view"])
    return state.from_request(
        object_type, params, view, display.default_columns(object_type)
    )


def payload(state_: state.ListState, cols, **extra) -> dict:
    body = {
        "filters": state_.filters,
        "fields": display.query_fields(cols),
        "sort": state_.sort or None,
        "q": state_.q or None,
    }
    body.update(extra)
    return body


@require_GET
def record_list(request: HttpRequest, object_name: str) -> HttpResponse:
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    cursor = request.GET.get("cursor") or None
    template = "crm/record_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#rows" if cursor else "#results"
    context = list_context(
        ctx,
        object_type,
        request.GET,
        list_url=request.get_full_path(),
        full="#" not in template,
    )
    return render(request, template, context, status=422 if context["error"] else 200)


def list_context(
    ctx,
    object_type: ObjectType,
    params: QueryDict,
    *,
    list_url: str,
    full: bool = True,
) -> dict:
    """What the list page (or, not ``full``, one of its partials) shows for
    the state in ``params``; ``list_url`` is where the page is, for the bulk
    form to come back to. ``error`` holds a refused filter's message."""
    list_ = list_state(ctx, object_type, params)
    cols = display.columns(ctx, object_type, list_.columns)
    people = display.People(ctx)
    cursor = params.get("cursor") or None
    try:
        before = max(int(params.get("shown", "0")), 0) if cursor else 0
    except ValueError:
        before = 0
    error, page, rows = None, None, []
    try:
        q = query.Query.from_json(
            ctx,
            object_type.api_name,
            payload(list_, cols, limit=PAGE_SIZE, cursor=cursor),
        )
        page = query.page(ctx, q)
        rows = display.rows(object_type, cols, page.rows, ctx.workspace.currency)
    except errors.ValidationFailed as exc:
        error = exc.message
    context = {
        "object_type": object_type,
        "object_name": object_type.api_name,
        "state": list_,
        "list_url": list_url,
        "columns": cols,
        "headers": [
            {
                "col": c,
                "params": list_.sort_params(c.name),
                "aria": list_.sorted_by(c.name),
            }
            for c in cols
        ],
        "rows": rows,
        "table": display.table(
            object_type, rows, can_edit=ctx.can(object_type.api_name, Action.EDIT)
        ),
        "name_field": object_type.name_field,
        "page": page,
        "error": error,
        # Rows shown so far (with the pages loaded before this one): the
        # "N shown" counter, updated out of band by "Load more".
        "shown": before + len(rows),
        "more": bool(cursor),
        "next_params": list_.params(cursor=page.next_cursor, shown=before + len(rows))
        if page and page.has_more
        else "",
        "filter_rows": state.filter_rows(object_type, list_.filters, people),
        "filter_fields": [s for s in object_type.fields.values() if s.type.key != "id"],
        "choosable": _column_choices(object_type, list_.columns),
        "saved_views": saved_views.usable(ctx, object_type),
        "members": people,
        "can_create": ctx.can(object_type.api_name, Action.CREATE),
        "can_edit": ctx.can(object_type.api_name, Action.EDIT),
        "can_delete": ctx.can(object_type.api_name, Action.DELETE),
        "can_change_owner": has_owner(object_type),
        "bulk_fields": bulk_fields(object_type),
        "export_max": f"{EXPORT_MAX:,}",
    }
    if full and context["can_edit"] and context["bulk_fields"]:
        spec = context["bulk_fields"][0]
        context["bulk_form"] = bulk_form(ctx, object_type, spec, people=people)
    return context


def has_owner(object_type: ObjectType) -> bool:
    """Whether the object's records have an owner the bulk bar may change."""
    spec = object_type.find_field("owner")
    return spec is not None and spec.target == "user" and not spec.read_only


def bulk_fields(object_type: ObjectType) -> list[FieldSpec]:
    """The fields the bulk bar can set (the owner has its own action)."""
    return [s for s in object_type.writable_fields if s.name != "owner"]


def bulk_form(
    ctx, object_type: ObjectType, spec: FieldSpec, *, data=None, people=None
) -> crm_forms.RecordForm:
    """The form of the bulk bar's value: the field's own widget (a select for
    a picklist, a date input, a checkbox, the typeahead of a lookup, the
    members of a user field), its input named ``bulk-<field>``."""
    if spec.target != "user":
        people = ()
    elif people is None:
        people = display.People(ctx)
    return crm_forms.record_form(
        object_type, [spec], members=people, data=data, prefix=BULK_PREFIX
    )


def bulk_spec(object_type: ObjectType, name: str) -> FieldSpec:
    spec = object_type.field(name)
    if spec not in bulk_fields(object_type):
        raise errors.ValidationFailed(
            f"{spec.label} cannot be set on many records at once.", field=name
        )
    return spec


def _column_choices(object_type, chosen: list[str]) -> list[tuple[object, bool]]:
    """Every field, the chosen ones first in their order: (spec, is_chosen)."""
    specs = display.choosable(object_type)
    by_name = {s.name: s for s in specs}
    picked = [by_name[n] for n in chosen if n in by_name]
    rest = [s for s in specs if s.name not in chosen]
    return [(s, True) for s in picked] + [(s, False) for s in rest]


@require_GET
def filter_row(request: HttpRequest, object_name: str) -> HttpResponse:
    """One row of the filter builder, for the field and operator chosen."""
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    try:
        index = min(int(request.GET.get("i", "0")), state.MAX_FILTERS - 1)
    except ValueError:
        index = 0
    spec = object_type.find_field(request.GET.get(f"f{index}", ""))
    op = request.GET.get(f"o{index}", "")
    if spec is not None and op not in dict(state.operators_for(spec)):
        op = state.operators_for(spec)[0][0]
    row = state.FilterRow(
        index, spec, op, request.GET.getlist(f"v{index}"), display.People(ctx)
    )
    return render(
        request,
        "components/filter_builder.html#filter-row",
        {
            "row": row,
            "object_type": object_type,
            "filter_fields": [
                s for s in object_type.fields.values() if s.type.key != "id"
            ],
        },
    )


def _csv_safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_value(col: display.Column, row: dict, currency: str) -> object:
    value = row.get(col.name)
    if value is None:
        return ""
    if col.is_numeric or col.spec.type.key in ("date", "datetime"):
        return value
    label = row.get(col.name_path) if col.name_path else None
    return display.text(col.spec, value, label=label, currency=currency)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _export_is_cut(ctx, object_type: ObjectType, body: dict) -> bool:
    """Whether the view holds more rows than a download does (one query for
    the id of the row after the last one exported)."""
    beyond = {**body, "fields": ["id"], "limit": 1, "offset": EXPORT_MAX}
    q = query.Query.from_json(
        ctx, object_type.api_name, beyond, max_limit=parse.HARD_LIMIT
    )
    return bool(query.page(ctx, q).rows)


@require_GET
def record_export(request: HttpRequest, object_name: str) -> StreamingHttpResponse:
    """The current view (filters, sort, columns) as CSV, up to ``EXPORT_MAX``
    rows, read a page at a time. A view with more says so: the file is named
    ``<plural>-first-<n>.csv`` and a message points to the export job. Text
    that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    list_ = list_state(ctx, object_type, request.GET)
    cols = display.columns(ctx, object_type, list_.columns)
    body = payload(list_, cols, limit=min(EXPORT_PAGE, EXPORT_MAX))
    first = query.Query.from_json(
        ctx, object_type.api_name, body, max_limit=parse.HARD_LIMIT
    )
    currency = ctx.workspace.currency
    cut = _export_is_cut(ctx, object_type, body)

    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow(["id", *(c.label for c in cols)])
        q, sent = first, 0
        while True:
            page = query.page(ctx, q)
            for row in page.rows[: EXPORT_MAX - sent]:
                values = [_csv_value(c, row, currency) for c in cols]
                yield writer.writerow([row["id"], *map(_csv_safe, values)])
            sent += len(page.rows)
            if not page.has_more or sent >= EXPORT_MAX:
                return
            q = q.replace(cursor=page.next_cursor)

    name = object_type.plural
    if cut:
        name = f"{name}-first-{EXPORT_MAX}"
        messages.warning(
            request,
            f"The download holds the first {EXPORT_MAX:,} "
            f"{object_type.label_plural.lower()} of this view only. For all of "
            f"them, run an export job: POST /api/v1/{object_type.plural}/export "
            "(it reports its progress and gives a file when done).",
        )
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
