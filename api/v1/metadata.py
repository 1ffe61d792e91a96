"""``/api/v1/metadata/objects…``: what objects and fields a workspace has, and
(admins) new custom objects and fields through ``crm.metadata.services``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from accounts.access import Action, Context
from api.common.views import ApiView
from api.v1 import schema, shapes
from api.v1.shapes import ANY, FLAG, LIST, NUMBER, TEXT
from crm.metadata import registry
from crm.metadata import services as metadata
from crm.metadata.types import FieldSpec, ObjectType

_NAME = OpenApiParameter(
    "name", OpenApiTypes.STR, OpenApiParameter.PATH, description="The object."
)
_FIELD = OpenApiParameter(
    "field", OpenApiTypes.STR, OpenApiParameter.PATH, description="The field."
)
_OBJECT_IN = {
    "api_name": (TEXT, True),
    "label": (TEXT, True),
    "plural": (TEXT, False),
    "label_plural": (TEXT, False),
    "prefix": (TEXT, False),
    "name_label": (TEXT, False),
    "description": (TEXT, False),
}
_FIELD_IN = {
    "name": (TEXT, True),
    "label": (TEXT, True),
    "type": (TEXT, True),
    "required": (FLAG, False),
    "unique": (FLAG, False),
    "indexed": (FLAG, False),
    "track_history": (FLAG, False),
    "choices": (LIST, False),
    "target": (TEXT, False),
    "on_delete": (TEXT, False),
    "default": (ANY, False),
    "max_length": (NUMBER, False),
    "decimal_places": (NUMBER, False),
    "help_text": (TEXT, False),
}


def summary(object_type: ObjectType) -> dict[str, Any]:
    return {
        "name": object_type.api_name,
        "label": object_type.label,
        "label_plural": object_type.label_plural,
        "plural": object_type.plural,
        "prefix": object_type.prefix,
        "is_custom": object_type.is_custom,
        "hubspot_type_id": object_type.hubspot_type_id,
    }


def field(spec: FieldSpec) -> dict[str, Any]:
    return {
        "name": f"{spec.name}_id" if spec.is_lookup else spec.name,
        "field": spec.name,
        "type": spec.type.key,
        "label": spec.label,
        "required": spec.required,
        "unique": spec.unique,
        "read_only": spec.read_only,
        "is_custom": spec.is_custom,
        "length": spec.max_length,
        "decimal_places": spec.decimal_places,
        "choices": [{"value": c.value, "label": c.label} for c in spec.choices],
        "target": spec.target,
        "default": spec.default,
        "help_text": spec.help_text,
    }


def describe(ctx: Context, object_type: ObjectType) -> dict[str, Any]:
    relationships = [
        {
            "kind": "lookup",
            "name": spec.name,
            "field": f"{spec.name}_id",
            "object": spec.target,
            "on_delete": spec.on_delete.value,
        }
        for spec in object_type.lookups
    ]
    relationships += [
        {
            "kind": "child",
            "name": child.plural,
            "field": f"{spec.name}_id",
            "object": child.api_name,
            "on_delete": spec.on_delete.value,
        }
        for child, spec in registry.referrers(ctx.workspace, object_type.api_name)
        if ctx.can(child.api_name, Action.READ)
    ]
    return {
        **summary(object_type),
        "description": object_type.description,
        "name_field": object_type.name_field,
        "fields": [field(spec) for spec in object_type.fields.values()],
        "relationships": relationships,
        "validationRules": [
            {
                "name": rule.name,
                "condition": list(rule.condition),
                "message": rule.message,
                "field": rule.field,
            }
            for rule in object_type.rules
        ],
        "pipelines": [
            {
                "key": p.key,
                "label": p.label,
                "is_default": p.is_default,
                "stages": [
                    {
                        "key": s.key,
                        "label": s.label,
                        "kind": s.kind,
                        "probability": s.probability,
                        "order": s.order,
                    }
                    for s in p.stages
                ],
            }
            for p in object_type.pipelines
        ],
    }


class ObjectList(ApiView):
    """Every object the caller may read; admins add custom objects."""

    @extend_schema(operation_id="metadata_objects", responses={200: dict})
    def get(self, request) -> Response:
        return Response({"objects": [summary(t) for t in registry.all_types(self.ctx)]})

    @extend_schema(
        operation_id="metadata_object_create",
        request=dict,
        responses={201: dict, **schema.ERRORS},
    )
    def post(self, request) -> Response:
        ctx = self.ctx
        data = shapes.take(request.data, _OBJECT_IN)
        definition = metadata.create_object(ctx, **data)
        object_type = registry.get(ctx, definition.api_name)
        return Response(describe(ctx, object_type), status=201)


class ObjectDetail(ApiView):
    @extend_schema(
        operation_id="metadata_object",
        parameters=[_NAME],
        responses={200: dict, **schema.ERRORS},
    )
    def get(self, request, name: str) -> Response:
        ctx = self.ctx
        return Response(describe(ctx, registry.get(ctx, name)))


class FieldList(ApiView):
    @extend_schema(
        operation_id="metadata_field_create",
        parameters=[_NAME],
        request=dict,
        responses={201: dict, **schema.ERRORS},
    )
    def post(self, request, name: str) -> Response:
        ctx = self.ctx
        data = shapes.take(request.data, _FIELD_IN)
        definition = metadata.create_field(ctx, name, **data)
        object_type = registry.get(ctx, definition.object_name)
        return Response(field(object_type.fields[definition.name]), status=201)


class FieldDetail(ApiView):
    @extend_schema(
        operation_id="metadata_field_delete",
        parameters=[_NAME, _FIELD],
        request=None,
        responses={200: schema.SUCCESS, **schema.ERRORS},
    )
    def delete(self, request, name: str, field: str) -> Response:
        metadata.delete_field(self.ctx, name, field)
        return Response({"success": True, "message": "Field deleted successfully"})
