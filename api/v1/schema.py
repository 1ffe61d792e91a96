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
from crm.query import parse

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

#: Writes of one record may also meet a blocking reference or a stale If-Match.
WRITE_ERRORS = {
    status: ErrorEnvelopeSerializer for status in (400, 401, 403, 404, 409, 412, 429)
}

# -- reads: parameters -------------------------------------------------------------

FIELD = OpenApiParameter(
    "field",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="A number, currency or percent field (Amount ≡ amount).",
)
FIELDS = OpenApiParameter(
    "fields",
    OpenApiTypes.STR,
    description="Comma-separated fields to return; dot paths follow lookups "
    "(Name,Amount,Account.Name). All fields when absent.",
)
FILTERS = OpenApiParameter(
    "filters",
    OpenApiTypes.STR,
    description='ObjectQL filters as JSON, ANDed: [["stage","in",["proposal"]],'
    '["amount",">",100000]].',
)
FILTER_GROUPS = OpenApiParameter(
    "filter_groups",
    OpenApiTypes.STR,
    description="Groups of filters as JSON: a record matches when all filters "
    "of any one group match (OR of ANDs).",
)
LIST_PARAMETERS = [
    FIELDS,
    FILTERS,
    FILTER_GROUPS,
    OpenApiParameter(
        "sort",
        OpenApiTypes.STR,
        description="Comma-separated fields, '-' for descending: -amount,name. "
        "Newest first by default.",
    ),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": 200},
        description="Records per page, 1 to 200 (default 50).",
    ),
    OpenApiParameter(
        "cursor",
        OpenApiTypes.STR,
        description="The next_cursor of the previous page, as it came.",
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": parse.MAX_OFFSET},
        description=f"Records to skip (0 to {parse.MAX_OFFSET:,}). Switches to "
        "offset paging: records, totalCount, hasMore, limit, offset. Costs O(n): "
        "prefer cursors.",
    ),
    OpenApiParameter(
        "expand",
        OpenApiTypes.STR,
        description="Comma-separated (or a JSON list of) lookups to inline "
        "(account, owner) or child objects to list (opportunities).",
    ),
    OpenApiParameter("q", OpenApiTypes.STR, description="Text to search for."),
]
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Apply only if the record's ETag is one of these (412 if not).",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Answer 304 without a body if the record's ETag is one of these.",
)

# -- reads: bodies -----------------------------------------------------------------

_FILTER_LIST = {
    "type": "array",
    "description": "[field, operator, value…] triples, ANDed.",
    "items": {"type": "array"},
}
_QUERY_PROPERTIES = {
    "filters": _FILTER_LIST,
    "filter_groups": {"type": "array", "items": _FILTER_LIST},
    "sort": {
        "description": "'-amount', ['-amount','name'], [['amount','desc']] or "
        "[{'field': 'amount', 'direction': 'desc'}].",
    },
    "fields": {"type": "array", "items": {"type": "string"}},
    "expand": {
        "type": "array",
        "description": "Lookups (account, owner, crm_account) or child objects "
        "(opportunities), each a name or {name, fields, filters, sort, limit, as}.",
    },
    "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    "cursor": {"type": "string", "nullable": True},
    "offset": {
        "type": "integer",
        "minimum": 0,
        "maximum": parse.MAX_OFFSET,
        "nullable": True,
    },
    "query": {"type": "string", "maxLength": 200, "description": "Text search."},
    "deleted": {"type": "boolean", "description": "Read the recycle bin."},
}
QUERY_IN = {"type": "object", "properties": _QUERY_PROPERTIES}
GLOBAL_QUERY_IN = {
    "type": "object",
    "required": ["object"],
    "properties": {
        "object": {"type": "string", "example": "Opportunity"},
        "related": {
            "type": "object",
            "description": "Child lists by name: {Opportunities: {fields, "
            "filters, sort, limit}}.",
            "additionalProperties": {"type": "object"},
        },
        **_QUERY_PROPERTIES,
    },
}
_RECORDS = {"type": "array", "items": RECORD}
CURSOR_PAGE = {
    "type": "object",
    "description": "A page by cursor (the default).",
    "properties": {
        "results": _RECORDS,
        "next_cursor": {"type": "string", "nullable": True},
        "has_more": {"type": "boolean"},
    },
    "required": ["results", "next_cursor", "has_more"],
}
OFFSET_PAGE = {
    "type": "object",
    "description": "A page by offset (when 'offset' is given).",
    "properties": {
        "records": _RECORDS,
        "totalCount": {"type": "integer"},
        "hasMore": {"type": "boolean"},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
    },
    "required": ["records", "totalCount", "hasMore", "limit", "offset"],
}
PAGE = {"oneOf": [CURSOR_PAGE, OFFSET_PAGE]}
RECORDS_PAGE = {
    "type": "object",
    "properties": {
        "records": _RECORDS,
        "totalCount": {"type": "integer"},
        "hasMore": {"type": "boolean"},
        "next_cursor": {"type": "string", "nullable": True},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
    },
    "required": ["records", "totalCount", "hasMore"],
}

# -- figures -----------------------------------------------------------------------

_GROUPS = {
    "type": "array",
    "items": {"type": "object", "additionalProperties": True},
}
AGGREGATE_IN = {
    "type": "object",
    "properties": {
        "filters": _FILTER_LIST,
        "filter_groups": {"type": "array", "items": _FILTER_LIST},
        "group_by": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Fields or date buckets: day(f), week(f), month(f), "
            "quarter(f), year(f).",
        },
        "metrics": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "op": {
                        "type": "string",
                        "enum": ["count", "count_distinct", "sum", "avg", "min", "max"],
                    },
                    "as": {"type": "string"},
                },
            },
        },
        "sort": {"description": "Group or metric names, '-' for descending."},
        "limit": {"type": "integer", "minimum": 1, "maximum": 10000},
        "explain": {
            "description": "Admins only (others get 403): true, or 'analyze' to "
            "time each step (PostgreSQL), adds 'explain' to the answer.",
        },
    },
}
AGGREGATE_OUT = {
    "type": "object",
    "properties": {
        "results": _GROUPS,
        "has_more": {"type": "boolean"},
        "explain": {
            "type": "object",
            "description": "With 'explain': where the figures were read from "
            "('records', or 'stage_totals' when the pipeline totals hold "
            "them), the SQL and its plan.",
            "properties": {
                "source": {"type": "string", "enum": ["records", "stage_totals"]},
                "sql": {"type": "string"},
                "plan": {"type": "string"},
            },
        },
    },
    "required": ["results", "has_more"],
}
GROUPBY_IN = {
    "type": "object",
    "properties": {
        "groupBy": {"description": "A field, or a list of fields."},
        "aggregations": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "function": {
                        "type": "string",
                        "description": "COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX.",
                    },
                    "field": {"type": "string"},
                },
            },
        },
        "filters": _FILTER_LIST,
    },
}
GROUPBY_OUT = {
    "type": "object",
    "properties": {"groups": _GROUPS, "has_more": {"type": "boolean"}},
    "required": ["groups", "has_more"],
}
COUNT_OUT = {
    "type": "object",
    "properties": {"count": {"type": "integer"}},
    "required": ["count"],
}
SUM_OUT = {
    "type": "object",
    "properties": {"sum": {"type": "number"}, "count": {"type": "integer"}},
    "required": ["sum", "count"],
}
AVERAGE_OUT = {
    "type": "object",
    "properties": {
        "average": {"type": "number", "nullable": True},
        "count": {"type": "integer"},
    },
    "required": ["average", "count"],
}

# -- bulk --------------------------------------------------------------------------

BULK_IN = {
    "type": "object",
    "required": ["records"],
    "properties": {
        "operation": {
            "type": "string",
            "enum": ["create", "update", "upsert", "delete"],
            "default": "create",
        },
        "records": {
            "type": "array",
            "maxItems": 10000,
            "description": "Field objects; with 'id' to update; ids to delete.",
            "items": {},
        },
        "id_field": {
            "type": "string",
            "description": "Upserts: 'id' or a unique field that names the record.",
        },
    },
}
