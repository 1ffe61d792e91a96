"""Pipeline boards: a column per stage with its count and amount (one
aggregate), cards read lazily a page per column, a drag to another stage
written through the lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from accounts import access, errors
from accounts.access import Action
from crm import query, records
from crm.metadata import registry
from crm.metadata.types import ObjectType, PipelineSpec, StageSpec
from crm.views import display, lists, state

CARDS_PER_PAGE = 25


@dataclass(frozen=True)
class BoardColumn:
    stage: StageSpec
    count: int
    amount: object
    amount_text: str


def _board_type(ctx, object_name: str) -> ObjectType:
    object_type = registry.get(ctx, object_name)
    if not object_type.pipeline_field or not object_type.pipelines:
        raise errors.NotFound(f"{object_type.label_plural} have no pipeline board.")
    return object_type


def _pipeline(object_type: ObjectType, key: str) -> PipelineSpec:
    pipeline = object_type.pipeline(key or None)
    if pipeline is None:
        raise errors.NotFound(f"There is no pipeline called '{key[:60]}'.")
    return pipeline


def _amount_field(object_type: ObjectType):
    """The object's amount (whose totals ``StageTotal`` keeps), else its first
    currency field."""
    if object_type.amount_field:
        return object_type.fields[object_type.amount_field]
    return next(
        (s for s in object_type.fields.values() if s.type.key == "currency"), None
    )


def _filters(object_type, list_: state.ListState, pipeline: PipelineSpec) -> list:
    found = list(list_.filters)
    if "pipeline" in object_type.fields:
        found.append(["pipeline", "=", pipeline.key])
    return found


def _card_columns(ctx, object_type: ObjectType) -> list[display.Column]:
    names = [object_type.name_field]
    amount = _amount_field(object_type)
    if amount:
        names.append(amount.name)
    for wanted in (
        lambda s: s.type.key == "date",
        lambda s: s.is_lookup and s.target not in ("user", None),
    ):
        found = next((s.name for s in object_type.writable_fields if wanted(s)), None)
        if found:
            names.append(found)
    if "owner" in object_type.fields:
        names.append("owner")
    return display.columns(ctx, object_type, names)


@require_GET
def board(request: HttpRequest, object_name: str) -> HttpResponse:
    ctx = access.context_for(request)
    object_type = _board_type(ctx, object_name)
    list_ = lists.list_state(ctx, object_type, request.GET)
    pipeline = _pipeline(object_type, list_.pipeline)
    amount = _amount_field(object_type)
    metrics = [{"op": "count", "as": "count"}]
    if amount:
        metrics.append({"field": amount.name, "op": "sum", "as": "amount"})
    error, totals = None, {}
    try:
        result = query.aggregate(
            ctx,
            object_type.api_name,
            {
                "filters": _filters(object_type, list_, pipeline),
                "group_by": [object_type.pipeline_field],
                "metrics": metrics,
            },
        )
        totals = {r[object_type.pipeline_field]: r for r in result.rows}
    except errors.ValidationFailed as exc:
        error = exc.message
    currency = ctx.workspace.currency
    columns = []
    for stage in pipeline.stages:
        found = totals.get(stage.key, {})
        value = found.get("amount") or 0
        columns.append(
            BoardColumn(
                stage,
                found.get("count", 0),
                value,
                display.number(amount, value, currency) if amount else "",
            )
        )
    return render(
        request,
        "crm/board.html",
        {
            "object_type": object_type,
            "object_name": object_type.api_name,
            "pipeline": pipeline,
            "columns": columns,
            "state": list_,
            "error": error,
            "filter_rows": state.filter_rows(
                object_type, list_.filters, display.People(ctx)
            ),
            "filter_fields": [
                s for s in object_type.fields.values() if s.type.key != "id"
            ],
            "amount_field": amount,
            "can_edit": ctx.can(object_type.api_name, Action.EDIT),
            "can_create": ctx.can(object_type.api_name, Action.CREATE),
            # The pipeline switcher keeps the filters, search, sort and view.
            "switch_pairs": [(k, v) for k, v in list_.pairs() if k != "pipeline"],
            "column_params": list_.params(pipeline=pipeline.key),
        },
        status=422 if error else 200,
    )


def _card(card: display.RowView, amount: object) -> SafeString:
    """One card as an ``<li>``: built here, not by the template, because a
    board shows 25 a column (the same markup as a template loop would give)."""
    h = display.escape
    lines = "".join(
        f'<p class="card-line card-{h(cell.column.spec.type.key)}">'
        f'<span class="visually-hidden">{h(cell.column.label)}: </span>'
        f"{h(cell.html)}</p>"
        for cell in card.cells[1:]
        if cell.value is not None and cell.value != ""
    )
    shown = h(formats.localize(0 if amount is None else amount))
    return mark_safe(
        f'\n<li class="board-card" tabindex="0" data-id="{h(card.id)}" '
        f'data-amount="{shown}" data-move-url="{h(card.url)}move/" '
        f'aria-label="{h(card.title)}">\n  <a class="card-title" '
        f'href="{h(card.url)}">{h(card.title)}</a>\n  {lines}\n</li>\n'
    )


@require_GET
def board_column(request: HttpRequest, object_name: str) -> HttpResponse:
    """One page of one stage's cards, and the trigger for the next page."""
    ctx = access.context_for(request)
    object_type = _board_type(ctx, object_name)
    list_ = lists.list_state(ctx, object_type, request.GET)
    pipeline = _pipeline(object_type, list_.pipeline)
    stage = pipeline.stage(request.GET.get("stage", ""))
    if stage is None:
        raise errors.NotFound("There is no such stage.")
    cols = _card_columns(ctx, object_type)
    amount = _amount_field(object_type)
    filters = _filters(object_type, list_, pipeline)
    filters.append([object_type.pipeline_field, "=", stage.key])
    body = {
        "filters": filters,
        "fields": display.query_fields(cols),
        "sort": list_.sort or (f"-{amount.name}" if amount else None),
        "q": list_.q or None,
        "limit": CARDS_PER_PAGE,
        "cursor": request.GET.get("cursor") or None,
    }
    page = query.page(ctx, query.Query.from_json(ctx, object_type.api_name, body))
    views = display.rows(object_type, cols, page.rows, ctx.workspace.currency)
    amounts = [row.get(amount.name) if amount else None for row in page.rows]
    return render(
        request,
        "crm/board.html#cards",
        {
            "object_type": object_type,
            "cards": [_card(v, a) for v, a in zip(views, amounts, strict=True)],
            "amount_field": amount,
            "stage": stage,
            "next_params": list_.params(
                pipeline=pipeline.key, stage=stage.key, cursor=page.next_cursor
            )
            if page.has_more
            else "",
        },
    )


@require_POST
def board_move(request: HttpRequest, object_name: str, record_id: UUID) -> HttpResponse:
    """Move a card to another stage: 204 when the lifecycle accepts it; a
    refusal (a validation rule, a permission) is answered with its message
    and the page puts the card back."""
    ctx = access.context_for(request)
    object_type = _board_type(ctx, object_name)
    stage = request.POST.get("stage", "")
    records.update(
        ctx, object_type.api_name, record_id, data={object_type.pipeline_field: stage}
    )
    return HttpResponse(status=204)
