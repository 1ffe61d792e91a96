"""``/api/v1/{objects}`` and ``/api/v1/{objects}/{id}``: one record of any
object, standard or custom, through ``crm.records``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from api.common.views import ApiView
from api.v1 import ids, reads, schema
from api.v1.serializers import serializer_for
from crm import records
from crm.metadata import registry

_FIELDS = OpenApiParameter(
    "fields", str, description="Comma-separated field names to return."
)


class RecordCollection(ApiView):
    """Create a record. Listing joins with crm.query (``GET``, TODO(#3))."""

    @extend_schema(
        operation_id="record_create",
        request={"application/json": schema.RECORD_IN},
        responses={201: schema.RECORD, **schema.ERRORS},
        parameters=[schema.OBJECTS],
    )
    def post(self, request, objects: str) -> Response:
        ctx = self.ctx
        object_type = registry.get(ctx, objects)
        serializer = serializer_for(ctx, object_type)
        data = serializer.parse(request.data)
        record = records.create(ctx, object_type.api_name, data=data)
        body = serializer.render(record)
        location = f"/api/v1/{object_type.plural}/{body['id']}"
        return Response(body, status=201, headers={"Location": location})


class RecordDetail(ApiView):
    """Read, change, replace or delete one record."""

    def _resolve(self, objects: str, record_id: str):
        ctx = self.ctx
        object_type = registry.get(ctx, objects)
        return ctx, object_type, ids.parse(object_type, record_id)

    @extend_schema(
        operation_id="record_get",
        responses={200: schema.RECORD, **schema.ERRORS},
        parameters=[schema.OBJECTS, schema.RECORD_ID, _FIELDS],
    )
    def get(self, request, objects: str, record_id: str) -> Response:
        ctx, object_type, pk = self._resolve(objects, record_id)
        serializer = serializer_for(ctx, object_type)
        fields = serializer.fields(request.query_params.get("fields"))
        record = reads.get(ctx, object_type, pk)
        return Response(serializer.render(record, fields))

    @extend_schema(
        operation_id="record_update",
        request={"application/json": schema.RECORD_IN},
        responses={200: schema.RECORD, **schema.ERRORS},
        parameters=[schema.OBJECTS, schema.RECORD_ID],
    )
    def patch(self, request, objects: str, record_id: str) -> Response:
        ctx, object_type, pk = self._resolve(objects, record_id)
        serializer = serializer_for(ctx, object_type)
        data = serializer.parse(request.data)
        record = records.update(ctx, object_type.api_name, pk, data=data)
        return Response(serializer.render(record))

    @extend_schema(
        operation_id="record_replace",
        request={"application/json": schema.RECORD_IN},
        responses={200: schema.RECORD, **schema.ERRORS},
        parameters=[schema.OBJECTS, schema.RECORD_ID],
    )
    def put(self, request, objects: str, record_id: str) -> Response:
        ctx, object_type, pk = self._resolve(objects, record_id)
        serializer = serializer_for(ctx, object_type)
        data = serializer.parse(request.data)
        record = records.replace(ctx, object_type.api_name, pk, data=data)
        return Response(serializer.render(record))

    @extend_schema(
        operation_id="record_delete",
        request=None,
        responses={200: schema.SUCCESS, **schema.ERRORS},
        parameters=[schema.OBJECTS, schema.RECORD_ID],
    )
    def delete(self, request, objects: str, record_id: str) -> Response:
        ctx, object_type, pk = self._resolve(objects, record_id)
        records.delete(ctx, object_type.api_name, pk)
        return Response({"success": True, "message": "Record deleted successfully"})


class RecordRestore(ApiView):
    """Bring a record back from the recycle bin, with the batch it was deleted
    in (records that went to the bin with it come back too)."""

    @extend_schema(
        operation_id="record_restore",
        request=None,
        responses={200: schema.RECORD, **schema.ERRORS},
        parameters=[schema.OBJECTS, schema.RECORD_ID],
    )
    def post(self, request, objects: str, record_id: str) -> Response:
        ctx = self.ctx
        object_type = registry.get(ctx, objects)
        pk = ids.parse(object_type, record_id)
        records.restore(ctx, reads.deletion_of(ctx, object_type, pk))
        record = reads.get(ctx, object_type, pk)
        return Response(serializer_for(ctx, object_type).render(record))
