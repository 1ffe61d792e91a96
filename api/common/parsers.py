"""The API's body parser: orjson, a size cap, and no NUL characters anywhere."""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from api.common import errors


def has_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            for key, inner in item.items():
                if "\x00" in key:
                    return True
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
    return False


def read_body(stream, meta, limit: int | None = None) -> bytes:
    """At most ``limit`` (default ``API_MAX_BODY_BYTES``) bytes of the body;
    PayloadTooLarge beyond."""
    limit = limit or settings.API_MAX_BODY_BYTES
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise errors.PayloadTooLarge(limit)
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise errors.PayloadTooLarge(limit)
    return body


class OrjsonParser(BaseParser):
    """JSON bodies. A view may raise the size cap with ``max_body_bytes``
    (bulk loads); every other view has ``API_MAX_BODY_BYTES``."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        context = parser_context or {}
        request = context.get("request")
        meta = request.META if request is not None else {}
        limit = getattr(context.get("view"), "max_body_bytes", None)
        body = read_body(stream, meta, limit)
        if not body.strip():
            return {}
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"The body is not valid JSON: {exc}.") from None
        # JSON can only spell NUL as the escape \u0000 (a raw one is invalid
        # JSON): a body without that text needs no walk through its values.
        if b"\\u0000" in body and has_nul(data):
            raise ParseError("The body may not contain NUL characters (\\u0000).")
        return data
