"""``/api/v1/{objects}`` and ``/api/v1/{objects}/{id}``: records of any
object, standard or custom. Reads go through ``crm.query``, writes through
``crm.records``.

One record carries an ``ETag`` (its version); ``If-Match`` makes PATCH, PUT
and DELETE conditional (412 ``precondition_failed`` when the record changed),
and ``If-None-Match`` makes GET answer 304 when it did not.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from api.common.views import ApiView
from api.v1 import ids, lists, reads, schema, versions
from api.v1.serializers import serializer_for
from crm import records
from crm.metadata import registry
from crm.query import recycle


def _written(serializer, record, status: int = 200, **headers) -> Response:
    version = records.version(record.updated_at)
    headers["ETag"] = versions.etag(version)
    return Response(serializer.render(record), status=status, headers=headers)


class RecordCollection(ApiView):
    """List records (cursor or offset pages) or create one."""

    @extend_schema(
        operation_id="record_list",
        responses={200: schema.PAGE, **schema.ERRORS},
        parameters=[schema.OBJECTS, *schema.LIST_PARAMETERS],
    )
    def get(self, request, objects: str) -> Response:
        ctx = self.ctx
        found = lists.list_query(ctx, objects, request.query_params)
        return Response(lists.page_body(ctx, found))

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
        location = f"/api/v1/{object_type.plural}/{object_type.public_id(record.pk)}"
        return _written(serializer, record, 201, Location=location)


class RecordDetail(ApiView):
    """Read, change, replace or delete one record."""

    def _resolve(self, objects: str, record_id: str):
        ctx = self.ctx
        object_type = registry.get(ctx, objects)
        return ctx, object_type, ids.parse(object_type, record_id)

    @extend_schema(
        operation_id="record_get",
        responses={200: schema.RECORD, 304: None, **schema.ERRORS},
        parameters=[
            schema.OBJECTS,
            schema.RECORD_ID,
            schema.FIELDS,
            schema.IF_NONE_MATCH,
        ],
    )
    def get(self, request, objects: str, record_id: str) -> Response:
        ctx, object_type, pk = self._resolve(objects, record_id)
        fields = request.query_params.get("fields")
        body, version = reads.get(ctx, object_type, pk, fields)
        unchanged = versions.not_modified(request, version)
        if unchanged is not None:
            return unchanged
        return Response(body, headers={"ETag": versions.etag(version)})

    @extend_schema(
        operation_id="record_update",
        request={"application/json": schema.RECORD_IN},
        responses={200: schema.RECORD, **schema.WRITE_ERRORS},
        parameters=[schema.OBJECTS, schema.RECORD_ID, schema.IF_MATCH],
    )
    def patch(self, request, objects: str, record_id: str) -> Response:
        ctx, object_type, pk = self._resolve(objects, record_id)
        serializer = serializer_for(ctx, object_type)
        data = serializer.parse(request.data)
        record = records.update(
            ctx,
            object_type.api_name,
            pk,
            data=data,
            expected_version=versions.expected(request),
        )
        return _written(serializer, record)

    @extend_schema(
        operation_id="record_replace",
        request={"application/json": schema.RECORD_IN},
        responses={200: schema.RECORD, **schema.WRITE_ERRORS},
        parameters=[schema.OBJECTS, schema.RECORD_ID, schema.IF_MATCH],
    )
    def put(self, request, objects: str, record_id: str) -> Response:
        ctx, object_type, pk = self._resolve(objects, record_id)
        serializer = serializer_for(ctx, object_type)
        data = serializer.parse(request.data)
        record = records.replace(
            ctx,
            object_type.api_name,
            pk,
            data=data,
            expected_version=versions.expected(request),
        )
        return _written(serializer, record)

    @extend_schema(
        operation_id="record_delete",
        request=None,
        responses={200: schema.SUCCESS, **schema.WRITE_ERRORS},
        parameters=[schema.OBJECTS, schema.RECORD_ID, schema.IF_MATCH],
    )
    def delete(self, request, objects: str, record_id: str) -> Response:
        ctx, object_type, pk = self._resolve(objects, record_id)
        records.delete(
            ctx, object_type.api_name, pk, expected_version=versions.expected(request)
        )
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
        records.restore(ctx, recycle.deletion_of(ctx, object_type, pk))
        body, version = reads.get(ctx, object_type, pk, None)
        return Response(body, headers={"ETag": versions.etag(version)})
