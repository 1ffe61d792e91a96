"""orjson in and out of the API, and JSON whatever the client's Accept says."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from django.utils.encoding import force_str
from django.utils.functional import Promise
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Promise):
        return force_str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default, option=_OPTIONS)


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None  # JSON is UTF-8 by definition (RFC 8259)

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return dumps(data)


class JsonOnlyNegotiation(BaseContentNegotiation):
    """The API speaks JSON only: a browser's ``Accept: text/html`` still gets JSON
    rather than a 406."""

    def select_parser(self, request, parsers):
        media_type = request.content_type.split(";")[0].strip().lower()
        if media_type.startswith("application/") and media_type.endswith("+json"):
            media_type = "application/json"  # merge-patch+json and the like
        for parser in parsers:
            if media_type == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
