"""The home page: my open deals by stage, my pipeline by month, my tasks
due, the records I opened last. Figures come from ``crm.query`` aggregates."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import access, errors
from accounts.access import Action
from crm import query
from crm.metadata import registry
from crm.views import display, records

MINE_OPEN = [["owner", "=", "$currentUser"], ["is_closed", "=", False]]
TASK_DAYS = 7


def _deals(ctx) -> dict | None:
    if not ctx.can("opportunity", Action.READ):
        return None
    deals = registry.get(ctx, "opportunity")
    by_stage = query.aggregate(
        ctx,
        "opportunity",
        {
            "filters": MINE_OPEN,
            "group_by": ["stage"],
            "metrics": [
                {"op": "count", "as": "count"},
                {"field": "amount", "op": "sum", "as": "amount"},
            ],
        },
    ).rows
    by_month = query.aggregate(
        ctx,
        "opportunity",
        {
            "filters": MINE_OPEN,
            "group_by": ["month(close_date)"],
            "metrics": [{"field": "amount", "op": "sum", "as": "amount"}],
        },
    ).rows
    pipeline = deals.pipeline(None)
    order = [s.key for s in pipeline.stages] if pipeline else []
    labels = {s.key: s.label for s in pipeline.stages} if pipeline else {}
    colours = {s.key: s.colour for s in pipeline.stages} if pipeline else {}
    by_stage.sort(key=lambda r: order.index(r["stage"]) if r["stage"] in order else 99)
    amount_spec = deals.fields["amount"]
    currency = ctx.workspace.currency
    return {
        "stages": [
            {
                "label": labels.get(r["stage"], r["stage"]),
                "count": r["count"],
                "amount": r["amount"] or 0,
                "amount_text": display.number(amount_spec, r["amount"] or 0, currency),
                "colour": colours.get(r["stage"], "#64748b"),
            }
            for r in by_stage
        ],
        "months": [
            {
                "label": r["month(close_date)"] or "No date",
                "amount": r["amount"] or 0,
                "amount_text": display.number(amount_spec, r["amount"] or 0, currency),
            }
            for r in by_month
        ],
        "open_count": sum(r["count"] for r in by_stage),
        "open_amount": display.number(
            amount_spec, sum((r["amount"] or 0) for r in by_stage), currency
        ),
    }


def _tasks(ctx) -> list:
    if not ctx.can("task", Action.READ):
        return []
    until = timezone.localdate() + dt.timedelta(days=TASK_DAYS)
    tasks = registry.get(ctx, "task")
    cols = display.columns(ctx, tasks, ["subject", "due_date", "priority", "status"])
    page = query.page(
        ctx,
        query.Query.from_json(
            ctx,
            "task",
            {
                "filters": [
                    ["owner", "=", "$currentUser"],
                    ["status", "!=", "completed"],
                    ["due_date", "<=", until.isoformat()],
                ],
                "sort": ["due_date"],
                "fields": display.query_fields(cols),
                "limit": 10,
            },
        ),
    )
    today = timezone.localdate().isoformat()
    views = display.rows(tasks, cols, page.rows, ctx.workspace.currency)
    return [
        (view, (row.get("due_date") or "") < today)
        for view, row in zip(views, page.rows, strict=True)
    ]


def _recent(request: HttpRequest, ctx) -> list[list[str]]:
    """The records opened last (kept in the session by the record page) that
    still exist and that the context may read, with their names as they are
    now: one query per object at most. The others leave the session's list."""
    remembered = [
        e
        for e in request.session.get(records.RECENT_KEY, [])
        if isinstance(e, list) and len(e) == 4
    ]
    ids: dict[str, list[str]] = {}
    for name, pk, *_ in remembered:
        ids.setdefault(name, []).append(pk)
    types = registry.for_workspace(ctx.workspace)
    found: dict[tuple[str, str], list[str]] = {}
    for name, wanted in ids.items():
        object_type = types.find(name)
        if object_type is None or not ctx.can(object_type.api_name, Action.READ):
            continue
        try:
            page = query.page(
                ctx,
                query.Query.from_json(
                    ctx,
                    object_type.api_name,
                    {
                        "filters": [["id", "in", wanted]],
                        "fields": [object_type.name_field],
                        "limit": len(wanted),
                    },
                ),
            )
        except errors.ValidationFailed:  # not ids (any more): forgotten
            continue
        for view in display.rows(object_type, [], page.rows, ctx.workspace.currency):
            found[(name, view.id)] = [
                name,
                view.id,
                view.title[:120],
                object_type.label,
            ]
    kept = [found[(name, pk)] for name, pk, *_ in remembered if (name, pk) in found]
    if kept != request.session.get(records.RECENT_KEY, []):
        request.session[records.RECENT_KEY] = kept
    return kept


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    ctx = access.context_for(request)
    try:
        deals = _deals(ctx)
    except errors.NotFound:
        deals = None
    return render(
        request,
        "crm/home.html",
        {
            "deals": deals,
            "chart_data": {
                "stages": deals["stages"] if deals else [],
                "months": deals["months"] if deals else [],
                "currency": display.SYMBOLS.get(ctx.workspace.currency, ""),
            },
            "tasks": _tasks(ctx),
            "recent": _recent(request, ctx),
        },
    )
