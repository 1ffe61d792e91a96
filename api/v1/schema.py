"""OpenAPI pieces shared by the v1 views (drf-spectacular).

Record bodies depend on the workspace's metadata, so the schema describes them
as objects with an ``id`` and any further fields; ``GET
/api/v1/metadata/objects/{name}`` tells a workspace's actual fields.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

from api.common.errors import STATUS

OBJECTS = OpenApiParameter(
    "objects",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The object: plural (opportunities), api name (opportunity) or "
    "crm_ name (crm_opportunity); custom objects too.",
)
OBJECT = OpenApiParameter(
    "object_name", OpenApiTypes.STR, OpenApiParameter.PATH, description="The object."
)
RECORD_ID = OpenApiParameter(
    "record_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The record's id, prefixed (acc_…) or as a plain UUID.",
)

RECORD = {
    "type": "object",
    "properties": {"id": {"type": "string", "example": "acc_0193f7a1b2c34d5e"}},
    "required": ["id"],
    "additionalProperties": True,
}
RECORD_IN = {"type": "object", "additionalProperties": True}


class ErrorDetailSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=sorted(STATUS))
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    details = ErrorDetailSerializer(many=True)
    request_id = serializers.CharField()


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorSerializer()


ERRORS = {status: ErrorEnvelopeSerializer for status in (400, 401, 403, 404, 429)}

SUCCESS = inline_serializer(
    "Success",
    {"success": serializers.BooleanField(), "message": serializers.CharField()},
)
