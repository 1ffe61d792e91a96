"""ETags and conditional requests on one record.

A record's ETag is its version (``crm.records.version``: ``updated_at`` in
microseconds), strong and quoted. ``If-Match`` on PATCH, PUT and DELETE is
checked by the lifecycle under the row lock (412 ``precondition_failed`` when
it does not match); ``If-None-Match`` on GET answers 304 when it does.
"""

from __future__ import annotations

import re

from rest_framework.response import Response

#: An entity tag, weak or strong (RFC 9110 §8.8.3), or a bare token.
_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*|\s*([^\s",]+)\s*')


def etag(version: str) -> str:
    return f'"{version}"'


def _tags(header: str) -> list[tuple[bool, str]]:
    """(weak, opaque tag) of each entity tag in a list header."""
    found = []
    for part in header.split(","):
        match = _TAG.fullmatch(part)
        if match is None:
            continue
        weak, quoted, bare = match.groups()
        found.append((bool(weak), quoted if quoted is not None else bare))
    return found


def expected(request) -> tuple[str, ...] | None:
    """The versions ``If-Match`` allows: None without the header or with
    ``*``; otherwise its strong tags (weak ones never match, RFC 9110 §13.1.1),
    possibly none, which no record matches."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    return tuple(tag for weak, tag in _tags(header) if not weak)


def not_modified(request, version: str) -> Response | None:
    """304 when ``If-None-Match`` names the current version (weak comparison)
    or is ``*``."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return None
    if header.strip() != "*" and version not in {tag for _, tag in _tags(header)}:
        return None
    return Response(status=304, headers={"ETag": etag(version)})
