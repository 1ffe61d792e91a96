"""Figures over records through crm.query: ``POST {objects}/aggregate`` (the
first document), ``GET {objects}/count``, ``GET {objects}/sum/{field}``,
``GET {objects}/avg/{field}`` and ``POST {objects}/groupby`` (the second).

Group keys are field names as the engine spells them (``stage``,
``month(close_date)``); a group on a lookup holds the target's prefixed id;
picklist groups hold the stored value (``closed_won``), as records do. With
``"explain": true`` (admins; others get 403 ``permission_denied``) the answer
carries ``explain``: ``source`` (``records``, or ``stage_totals`` when the
pipeline totals answered), ``sql`` and ``plan``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.access import Context
from api.common.views import ApiView
from api.v1 import rows, schema
from api.v1.lists import json_param
from api.v1.serializers import serializer_for
from crm import query
from crm.query import AggregateQuery


def _run(ctx: Context, objects: str, body: Any) -> query.Aggregation:
    """The groups ``body`` asks for (lookups as prefixed ids), whether there
    are more than its ``limit``, and its explanation when asked."""
    found = AggregateQuery.from_json(ctx, objects, body)
    result = query.aggregate(ctx, found)
    prefixes = serializer_for(ctx, found.object_type).prefixes
    converts = {
        group.key: rows.prefixer(prefixes.get(group.path.leaf.target or "", ""))
        for group in found.groups
        if group.bucket is None and group.path.leaf.is_lookup
    }
    if converts:
        for row in result.rows:
            for key, convert in converts.items():
                row[key] = convert(row[key])
    return result


def _body(key: str, result: query.Aggregation) -> dict[str, Any]:
    body = {key: result.rows, "has_more": result.has_more}
    if result.explain is not None:
        body["explain"] = result.explain
    return body


class Aggregate(ApiView):
    """``POST /api/v1/{objects}/aggregate``: ``group_by`` fields and date
    buckets (``month(close_date)``), ``metrics`` with ``op`` and ``as``."""

    @extend_schema(
        operation_id="record_aggregate",
        request={"application/json": schema.AGGREGATE_IN},
        responses={200: schema.AGGREGATE_OUT, **schema.ERRORS},
        parameters=[schema.OBJECTS],
    )
    def post(self, request, objects: str) -> Response:
        return Response(_body("results", _run(self.ctx, objects, request.data)))


class GroupBy(ApiView):
    """``POST /api/v1/{objects}/groupby``: ``groupBy`` and ``aggregations``
    (``{alias: {function, field}}``), answered as ``{"groups": [...]}``."""

    @extend_schema(
        operation_id="record_groupby",
        request={"application/json": schema.GROUPBY_IN},
        responses={200: schema.GROUPBY_OUT, **schema.ERRORS},
        parameters=[schema.OBJECTS],
    )
    def post(self, request, objects: str) -> Response:
        return Response(_body("groups", _run(self.ctx, objects, request.data)))


class Count(ApiView):
    """``GET /api/v1/{objects}/count?filters=[...]``."""

    @extend_schema(
        operation_id="record_count",
        responses={200: schema.COUNT_OUT, **schema.ERRORS},
        parameters=[schema.OBJECTS, schema.FILTERS, schema.FILTER_GROUPS],
    )
    def get(self, request, objects: str) -> Response:
        params = request.query_params
        number = query.count(
            self.ctx,
            objects,
            json_param(params, "filters"),
            filter_groups=json_param(params, "filter_groups"),
        )
        return Response({"count": number})


class Sum(ApiView):
    """``GET /api/v1/{objects}/sum/{field}?filters=[...]``: ``{"sum", "count"}``."""

    @extend_schema(
        operation_id="record_sum",
        responses={200: schema.SUM_OUT, **schema.ERRORS},
        parameters=[schema.OBJECTS, schema.FIELD, schema.FILTERS],
    )
    def get(self, request, objects: str, field: str) -> Response:
        filters = json_param(request.query_params, "filters")
        return Response(query.total(self.ctx, objects, field, filters))


class Average(ApiView):
    """``GET /api/v1/{objects}/avg/{field}?filters=[...]``: ``{"average",
    "count"}`` (``average`` is null when no record has a value)."""

    @extend_schema(
        operation_id="record_average",
        responses={200: schema.AVERAGE_OUT, **schema.ERRORS},
        parameters=[schema.OBJECTS, schema.FIELD, schema.FILTERS],
    )
    def get(self, request, objects: str, field: str) -> Response:
        filters = json_param(request.query_params, "filters")
        return Response(query.average(self.ctx, objects, field, filters))
