"""CSV in and out as jobs: ``POST /api/v1/{objects}/import`` and
``POST /api/v1/{objects}/export``.

An import takes the file (multipart ``file``, or JSON ``csv`` text), an
optional ``mapping`` of column headers to fields (the others are matched by
name or label, ignoring case; null skips a column), ``operation`` (create,
update or upsert) and an upsert's ``id_field``. An export takes an ObjectQL
body (``filters``, ``filter_groups``, ``sort``, ``fields``, ``q``). Both
answer 202 with the job; its status shows the progress, an import's
``error_report_url`` the refused rows, an export's ``download_url`` the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts import errors
from api.common.parsers import OrjsonParser
from api.common.views import ApiView
from api.v1 import jobs as api_jobs
from api.v1 import schema
from crm import csv_io, jobs
from crm.metadata import registry

IMPORT_OPERATIONS = ("create", "update", "upsert")
IMPORT_IN = {
    "type": "object",
    "properties": {
        "csv": {
            "type": "string",
            "description": "The file's text (or multipart file).",
        },
        "mapping": {"type": "object", "additionalProperties": {"type": "string"}},
        "operation": {"type": "string", "enum": list(IMPORT_OPERATIONS)},
        "id_field": {"type": "string"},
    },
}


def _text(data: Mapping, key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise errors.ValidationFailed(f"Send '{key}' as a string.", field=key)
    return value.strip()


def _mapping_of(data: Mapping) -> dict[str, str | None]:
    raw = data.get("mapping") or {}
    if isinstance(raw, str):  # a multipart form sends it as JSON text
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise errors.ValidationFailed(
                "'mapping' is a JSON object.", field="mapping"
            ) from None
    if not isinstance(raw, Mapping) or not all(
        isinstance(v, str | None) for v in raw.values()
    ):
        raise errors.ValidationFailed(
            "'mapping' takes column headers to field names (or null).",
            field="mapping",
        )
    return {str(k).strip().lower(): v for k, v in raw.items()}


def mapping_for(object_type, header, given: dict[str, Any], operation: str):
    """Each column's field: as ``given`` (by header, any case), else matched."""
    chosen = csv_io.auto_map(object_type, header, operation)
    for i, title in enumerate(header):
        wanted = given.get(title.strip().lower(), ...)
        if wanted is ...:
            continue
        spec = object_type.find_field(wanted) if wanted else None
        chosen[i] = spec.name if spec is not None else (wanted or "")
    unknown = set(given) - {title.strip().lower() for title in header}
    if unknown:
        raise errors.ValidationFailed(
            f"The file has no column '{sorted(unknown)[0]}'.", field="mapping"
        )
    return chosen


class Import(ApiView):
    """Import a CSV file into one object as a job."""

    parser_classes = (OrjsonParser, MultiPartParser)

    @extend_schema(
        operation_id="record_import",
        request={"application/json": IMPORT_IN, "multipart/form-data": IMPORT_IN},
        responses={202: api_jobs.JOB_OUT, **schema.ERRORS},
        parameters=[schema.OBJECTS],
    )
    def post(self, request, objects: str) -> Response:
        ctx = self.ctx
        object_type = registry.get(ctx, objects)
        data = request.data
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        if upload is not None:
            raw, filename = csv_io.take(upload), upload.name
        else:
            raw, filename = _text(data, "csv").encode(), ""
        operation = _text(data, "operation", "create").lower() or "create"
        if operation not in IMPORT_OPERATIONS:
            raise errors.ValidationFailed(
                "'operation' is one of create, update or upsert.", field="operation"
            )
        key_field = ""
        if operation == "upsert":
            spec = object_type.find_field(_text(data, "id_field"))
            if spec is None or not (spec.name == "id" or spec.unique):
                raise errors.ValidationFailed(
                    "An upsert needs 'id_field': id or a unique field.",
                    field="id_field",
                )
            key_field = spec.name
        table = csv_io.read(raw)
        mapping = mapping_for(object_type, table.header, _mapping_of(data), operation)
        job = jobs.submit_import(
            ctx,
            object_type.api_name,
            table,
            mapping,
            operation=operation,
            key_field=key_field,
            filename=filename[:200],
        )
        return api_jobs.accepted(job)


class Export(ApiView):
    """Write the records an ObjectQL query selects to CSV, as a job."""

    @extend_schema(
        operation_id="record_export",
        request={"application/json": schema.QUERY_IN},
        responses={202: api_jobs.JOB_OUT, **schema.ERRORS},
        parameters=[schema.OBJECTS],
    )
    def post(self, request, objects: str) -> Response:
        body = request.data if isinstance(request.data, Mapping) else None
        if body is None:
            raise errors.ValidationFailed("Send the query as a JSON object.")
        job = jobs.submit_export(self.ctx, objects, dict(body))
        return api_jobs.accepted(job)
