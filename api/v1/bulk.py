"""``POST /api/v1/{objects}/bulk``: up to 10,000 rows in one request, as a job.

The request is checked in full first: ``operation`` (create — the default —,
update, upsert or delete), the caller's right to do it, ``id_field`` for an
upsert (``id`` or a unique field), and every row's shape, field names and JSON
types, each bad row named (``records[3].amount``); a bad request is 400 and
stores nothing. A valid one becomes a job (``crm.jobs``) answered 202 with its
id and status URL; what depends on the database when a row is applied
(lookups that exist, unique values, validation rules) the job reports per row.
An ``Idempotency-Key`` makes a retry answer the same job: the API replays the
first answer, and the job itself is found again by the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts import errors
from accounts.access import Action, require
from accounts.errors import FieldError
from api.common import idempotency
from api.common.views import ApiView
from api.v1 import ids, schema, shapes
from api.v1 import jobs as api_jobs
from api.v1.serializers import RecordSerializer, serializer_for
from crm import collector, jobs
from crm.metadata import registry
from crm.metadata.types import ObjectType, normalize
from crm.records import validation

MAX_ROWS = 10_000
#: 10,000 rows of a few kilobytes each.
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Problems listed in one answer; the count says how many there were.
MAX_PROBLEMS = 100
ACTIONS = {
    "create": (Action.CREATE,),
    "update": (Action.EDIT,),
    "upsert": (Action.CREATE, Action.EDIT),
    "delete": (Action.DELETE,),
}
_IN = {
    "operation": (shapes.TEXT, False),
    "records": (shapes.LIST, True),
    "id_field": (shapes.TEXT, False),
}


def _id_field(object_type: ObjectType, operation: str, raw: str | None) -> str:
    if operation != "upsert":
        if raw is not None:
            raise errors.ValidationFailed(
                "'id_field' applies to upserts only.", field="id_field"
            )
        return "id"
    if raw is None:
        raise errors.ValidationFailed(
            "An upsert needs 'id_field': id or a unique field.", field="id_field"
        )
    spec = object_type.find_field(raw)
    if spec is None or not (spec.name == "id" or spec.unique):
        raise errors.ValidationFailed(
            f"'{raw[:80]}' is not id or a unique field of {object_type.label}.",
            field="id_field",
        )
    return spec.name


def _split(row: Mapping[str, Any], key: str) -> tuple[list[Any], dict[str, Any]]:
    given = [v for k, v in row.items() if normalize(str(k)) == key]
    rest = {k: v for k, v in row.items() if normalize(str(k)) != key}
    return given, rest


class _Rows:
    """Checks each row of one request and cleans it (``validation.prepare``:
    the job does not clean it again); collects the problems."""

    def __init__(self, object_type: ObjectType, serializer: RecordSerializer):
        self.object_type = object_type
        self.serializer = serializer
        self.problems: list[FieldError] = []

    def _add(self, index: int, field: str | None, message: str) -> None:
        where = f"records[{index}]" + (f".{field}" if field else "")
        self.problems.append(FieldError(where, message))

    def fields(self, index: int, row: Any, *, creating: bool) -> dict | None:
        if not isinstance(row, Mapping):
            self._add(index, None, "Each row is a JSON object of fields.")
            return None
        try:
            values = self.serializer.parse(row)
        except errors.ValidationFailed as exc:
            for detail in exc.details:
                self._add(index, detail.field, detail.message)
            return None
        cleaned, problems = validation.clean_input(self.object_type, values)
        for problem in problems:
            self._add(index, problem.field, problem.message)
        if creating:
            self._required(index, cleaned)
        return validation.prepare(cleaned)

    def _required(self, index: int, values: Mapping[str, Any]) -> None:
        object_type = self.object_type
        filled_later = {object_type.pipeline_field, "pipeline", "owner"}
        for spec in object_type.writable_fields:
            if (
                spec.required
                and spec.default is None
                and spec.name not in filled_later
                and spec.type.is_empty(values.get(spec.name))
            ):
                self._add(index, spec.name, f"{spec.label} is required.")

    def keyed(self, index: int, row: Any, key: str) -> dict | None:
        """A row that names its record by ``key`` (id or a unique field); an
        upsert's row may be a partial one, so no field is required."""
        if not isinstance(row, Mapping):
            self._add(index, None, f"Each row is a JSON object with '{key}'.")
            return None
        given, rest = _split(row, key)
        record_id = None
        if len(given) != 1 or given[0] in (None, ""):
            self._add(index, key, f"Each row needs one '{key}'.")
        elif key == "id":
            record_id = self.record_id(index, given[0], field="id")
        values = self.fields(index, rest if key == "id" else row, creating=False)
        if values is None or key != "id":
            return values
        return {"id": record_id, **values}

    def record_id(self, index: int, raw: Any, field: str | None = None) -> str | None:
        if isinstance(raw, Mapping):
            given, rest = _split(raw, "id")
            if len(given) != 1 or rest:
                self._add(index, None, 'Each row is an id, or {"id": …} alone.')
                return None
            raw, field = given[0], "id"
        try:
            return str(ids.parse(self.object_type, raw))
        except errors.NotFound:
            label = self.object_type.label
            self._add(index, field, f"'{str(raw)[:80]}' is not the id of any {label}.")
            return None


def check(
    object_type: ObjectType, serializer, operation: str, rows, id_field: str
) -> list:
    """The rows, cleaned for the job (ids as UUIDs); ValidationFailed listing
    (up to MAX_PROBLEMS) bad rows."""
    checker = _Rows(object_type, serializer)
    prepared = []
    for index, row in enumerate(rows):
        if operation == "create":
            prepared.append(checker.fields(index, row, creating=True))
        elif operation == "delete":
            prepared.append(checker.record_id(index, row))
        else:
            prepared.append(checker.keyed(index, row, id_field))
        if len(checker.problems) >= MAX_PROBLEMS:
            break
    if checker.problems:
        raise errors.ValidationFailed.from_errors(checker.problems[:MAX_PROBLEMS])
    return prepared


class Bulk(ApiView):
    """Create, update, upsert or delete up to 10,000 records as a job."""

    max_body_bytes = MAX_BODY_BYTES

    @extend_schema(
        operation_id="record_bulk",
        request={"application/json": schema.BULK_IN},
        description="Checks the whole request and answers 202 with a job; "
        "GET its status_url for progress and per-row errors.",
        responses={202: api_jobs.JOB_OUT, **schema.ERRORS},
        parameters=[schema.OBJECTS],
    )
    @collector.paused()
    def post(self, request, objects: str) -> Response:
        ctx = self.ctx
        object_type = registry.get(ctx, objects)
        data = shapes.take(request.data, _IN)
        operation = data.get("operation", "create").strip().lower()
        if operation not in ACTIONS:
            raise errors.ValidationFailed(
                "'operation' is one of create, update, upsert or delete.",
                field="operation",
            )
        for action in ACTIONS[operation]:
            require(ctx, object_type, action)
        rows = data["records"]
        if not rows or len(rows) > MAX_ROWS:
            raise errors.ValidationFailed(
                f"Send 1 to {MAX_ROWS:,} rows in 'records' (this has {len(rows):,}).",
                field="records",
            )
        id_field = _id_field(object_type, operation, data.get("id_field"))
        serializer = serializer_for(ctx, object_type)
        prepared = check(object_type, serializer, operation, rows, id_field)
        key = request.headers.get(idempotency.HEADER) or ""
        job = jobs.submit_bulk(
            ctx,
            object_type.api_name,
            operation,
            prepared,
            key_field=id_field if operation == "upsert" else "",
            idempotency_key=key,
            prepared=True,
        )
        return api_jobs.accepted(job)
