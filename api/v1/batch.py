"""``/api/v1/batch/{object}``: synchronous create, update and delete of many
records. Each row is its own transaction: a bad row is reported and the others
still apply. The answer lists a result per row, in order, with
``successCount`` and ``errorCount`` (the second document's shape)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts import errors
from accounts.access import Action, require
from api.common.views import ApiView
from api.v1 import ids, schema
from api.v1.serializers import serializer_for
from crm import records
from crm.metadata import registry
from crm.metadata.types import normalize

_BATCH_IN = {
    "type": "object",
    "properties": {
        "records": {"type": "array", "items": schema.RECORD_IN},
        "updates": {"type": "array", "items": schema.RECORD},
        "ids": {"type": "array", "items": {"type": "string"}},
    },
}
_BATCH_OUT = {
    "type": "object",
    "properties": {
        "results": {"type": "array", "items": {"type": "object"}},
        "successCount": {"type": "integer"},
        "errorCount": {"type": "integer"},
    },
}


def _rows(data: Any, key: str) -> list:
    """The body's one list, ``key``; ValidationFailed naming any other key."""
    if isinstance(data, dict):
        for other in data:
            if other != key:
                raise errors.ValidationFailed(
                    f"Unknown key '{str(other)[:80]}': this batch takes only '{key}'.",
                    field=str(other),
                )
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise errors.ValidationFailed(f"Send '{key}' as a list.", field=key)
    rows = data[key]
    limit = settings.API_BATCH_MAX_ROWS
    if not rows:
        raise errors.ValidationFailed(f"'{key}' is empty.", field=key)
    if len(rows) > limit:
        raise errors.ValidationFailed(
            f"Send at most {limit} rows in one batch (this has {len(rows)}); "
            "use the bulk endpoint for more.",
            field=key,
        )
    return rows


def _failure(exc: errors.DomainError) -> dict[str, Any]:
    return {
        "success": False,
        "error": {
            "code": exc.code,
            "message": exc.message,
            "field": exc.field,
            "details": [{"field": d.field, "message": d.message} for d in exc.details],
        },
    }


def _run(rows: list, one: Callable[[Any], dict[str, Any]]) -> Response:
    results = []
    for row in rows:
        try:
            results.append({**one(row), "success": True})
        except errors.DomainError as exc:
            results.append(_failure(exc))
    succeeded = sum(1 for r in results if r["success"])
    return Response(
        {
            "results": results,
            "successCount": succeeded,
            "errorCount": len(results) - succeeded,
        }
    )


def _split_id(row: Any) -> tuple[Any, dict[str, Any]]:
    if not isinstance(row, dict):
        raise errors.ValidationFailed("Each update is a JSON object with an id.")
    rest = {k: v for k, v in row.items() if normalize(str(k)) != "id"}
    given = [v for k, v in row.items() if normalize(str(k)) == "id"]
    if len(given) != 1:
        raise errors.ValidationFailed("Each update needs one 'id'.", field="id")
    return given[0], rest


class Batch(ApiView):
    """Create, update or delete up to ``API_BATCH_MAX_ROWS`` records at once."""

    def _setup(self, object_name: str, action: Action):
        ctx = self.ctx
        object_type = registry.get(ctx, object_name)
        require(ctx, object_type, action)
        return ctx, object_type, serializer_for(ctx, object_type)

    @extend_schema(
        operation_id="batch_create",
        request={"application/json": _BATCH_IN},
        responses={200: _BATCH_OUT, **schema.ERRORS},
        parameters=[schema.OBJECT],
    )
    def post(self, request, object_name: str) -> Response:
        ctx, object_type, serializer = self._setup(object_name, Action.CREATE)
        rows = _rows(request.data, "records")

        def create(row):
            data = serializer.parse(row)
            record = records.create(ctx, object_type.api_name, data=data)
            return {"id": object_type.public_id(record.pk)}

        return _run(rows, create)

    @extend_schema(
        operation_id="batch_update",
        request={"application/json": _BATCH_IN},
        responses={200: _BATCH_OUT, **schema.ERRORS},
        parameters=[schema.OBJECT],
    )
    def patch(self, request, object_name: str) -> Response:
        ctx, object_type, serializer = self._setup(object_name, Action.EDIT)
        rows = _rows(request.data, "updates")

        def update(row):
            raw_id, rest = _split_id(row)
            pk = ids.parse(object_type, raw_id)
            data = serializer.parse(rest)
            records.update(ctx, object_type.api_name, pk, data=data)
            return {"id": object_type.public_id(pk)}

        return _run(rows, update)

    @extend_schema(
        operation_id="batch_delete",
        request={"application/json": _BATCH_IN},
        responses={200: _BATCH_OUT, **schema.ERRORS},
        parameters=[schema.OBJECT],
    )
    def delete(self, request, object_name: str) -> Response:
        ctx, object_type, _ = self._setup(object_name, Action.DELETE)
        rows = _rows(request.data, "ids")

        def delete(raw_id):
            pk = ids.parse(object_type, raw_id)
            records.delete(ctx, object_type.api_name, pk)
            return {"id": object_type.public_id(pk)}

        return _run(rows, delete)
