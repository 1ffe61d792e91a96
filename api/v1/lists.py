"""Lists of records through crm.query: ``GET /api/v1/{objects}``, ``POST
/api/v1/{objects}/query`` (ObjectQL) and ``POST /api/v1/query`` (the second
document's query with ``object`` and ``related``).

Two page shapes, one per document, chosen by how the caller pages:

- by cursor (the default, canonical): ``{"results", "next_cursor",
  "has_more"}`` as hotcrm-api-reference.txt shows;
- by ``offset``: ``{"records", "totalCount", "hasMore", "limit", "offset"}``
  as hotcrm-rest-api-reference.txt shows.

``POST /api/v1/query`` answers the second document's ``{"records",
"totalCount", "hasMore"}``, with ``next_cursor`` to go on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts import errors
from accounts.access import Context
from api.common import parsers
from api.common.views import ApiView
from api.v1 import schema
from api.v1.serializers import serializer_for
from crm import query
from crm.metadata.types import normalize
from crm.query import ListQuery, Query

#: Query-string parameters that hold JSON.
JSON_PARAMS = ("filters", "filter_groups", "expand")


def json_param(params: Mapping[str, Any], key: str) -> Any:
    """The JSON value of a query-string parameter (None when absent);
    ValidationFailed naming ``key`` when it is not JSON or holds NUL."""
    raw = params.get(key)
    if raw in (None, ""):
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise errors.ValidationFailed(
            f'\'{key}\' must be JSON, e.g. {key}=[["name","=","Acme"]].',
            field=key,
        ) from None
    if parsers.has_nul(value):
        raise errors.ValidationFailed(
            f"'{key}' may not contain NUL characters (\\u0000).", field=key
        )
    return value


def list_query(ctx: Context, objects: str, params: Mapping[str, Any]) -> Query:
    """The query of a list URL (``?fields=&filters=&sort=&limit=&cursor=``)."""
    for key in JSON_PARAMS:
        if key != "expand":  # ``expand`` may also be a comma-separated list
            json_param(params, key)
    return ListQuery.from_querydict(ctx, objects, params)


def named_object(body: Any) -> str | None:
    """The ``object`` a query body names (None when it names none);
    ValidationFailed when the body is no JSON object or the name no text."""
    if not isinstance(body, Mapping):
        raise errors.ValidationFailed("Send the query as a JSON object.")
    for key, value in body.items():
        if normalize(str(key)) == "object":
            if not isinstance(value, str) or not value.strip():
                raise errors.ValidationFailed(
                    "'object' is the name of an object, as text.", field="object"
                )
            return value
    return None


def body_query(ctx: Context, objects: str, body: Any) -> Query:
    named_object(body)
    return Query.from_json(ctx, objects, body)


def page_body(ctx: Context, found: Query) -> dict[str, Any]:
    """One page of ``found`` in the shape of its paging (see the module)."""
    plan = serializer_for(ctx, found.object_type).plan(ctx, found.fields, found.expand)
    page = query.page(ctx, found, uuids=True, rows_as=plan.maker)
    rows = page.rows if page.shaped else plan.render_all(page.rows)
    if page.offset is not None:
        body = {
            "records": rows,
            "totalCount": page.total,
            "hasMore": page.has_more,
            "limit": page.limit,
            "offset": page.offset,
        }
    else:
        body = {
            "results": rows,
            "next_cursor": page.next_cursor,
            "has_more": page.has_more,
        }
    if page.explain is not None:
        body["explain"] = page.explain
    return body


class RecordQuery(ApiView):
    """``POST /api/v1/{objects}/query``: an ObjectQL query of one object."""

    @extend_schema(
        operation_id="record_query",
        request={"application/json": schema.QUERY_IN},
        responses={200: schema.PAGE, **schema.ERRORS},
        parameters=[schema.OBJECTS],
    )
    def post(self, request, objects: str) -> Response:
        ctx = self.ctx
        return Response(page_body(ctx, body_query(ctx, objects, request.data)))


class GlobalQuery(ApiView):
    """``POST /api/v1/query``: the second document's query, which names its
    object in the body and may add ``related`` lists."""

    @extend_schema(
        operation_id="query",
        request={"application/json": schema.GLOBAL_QUERY_IN},
        responses={200: schema.RECORDS_PAGE, **schema.ERRORS},
    )
    def post(self, request) -> Response:
        ctx = self.ctx
        if named_object(request.data) is None:
            raise errors.ValidationFailed(
                "Name the object to query in 'object'.", field="object"
            )
        found = body_query(ctx, "", request.data)
        body = page_body(ctx, found)
        if "results" in body:
            body = {
                "records": body.pop("results"),
                "totalCount": query.count(ctx, found),
                "hasMore": body.pop("has_more"),
                **body,
            }
        return Response(body)
