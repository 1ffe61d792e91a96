"""``GET /api/v1/events``: the workspace's change events the caller may read,
in commit order, for consumers that prefer pulling to webhooks.

JSON pages (``results``, ``next_cursor``, ``has_more``), optionally
long-polled (``?wait=25``: answer as soon as an event arrives, or empty when
the wait is over); or, with ``Accept: text/event-stream``, server-sent events
whose ``id`` is the cursor (reconnect with ``Last-Event-ID``). Either form
holds a worker while it waits, so both are capped
(``EVENT_STREAM_MAX_WAIT_SECONDS``, ``EVENT_STREAM_SSE_SECONDS``).

``events`` is also the plural of the Event (calendar) object: ``POST`` here
still creates one, and ``/api/v1/event`` (its api name) lists them.
"""

from __future__ import annotations

import time

import orjson
from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from accounts import errors
from api.v1 import records, schema
from crm.metadata import registry
from webhooks import services, stream

_PAGE = {
    "type": "object",
    "properties": {
        "results": {"type": "array", "items": {"type": "object"}},
        "next_cursor": {"type": "string"},
        "has_more": {"type": "boolean"},
    },
}


def _number(raw: str | None, name: str, default: float, high: float) -> float:
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= high:
        raise exceptions.ValidationError({name: f"Use a number from 0 to {high:g}."})
    return value


def _objects(ctx, raw: str | None) -> frozenset[str] | None:
    if not raw:
        return None
    names = set()
    for name in raw.split(","):
        try:
            names.add(registry.get(ctx, name.strip()).api_name)
        except errors.NotFound as exc:
            raise errors.ValidationFailed(exc.message, field="object") from None
    return frozenset(names)


class EventStream(records.RecordCollection):
    """The event stream (GET), and record creation for the Event object (POST)."""

    @extend_schema(
        operation_id="event_stream",
        parameters=[
            OpenApiParameter("cursor", str, description="next_cursor of a page."),
            OpenApiParameter("start", str, enum=["earliest", "latest"]),
            OpenApiParameter("limit", int, description="1 to 1000 (100)."),
            OpenApiParameter("wait", float, description="Seconds to long-poll."),
            OpenApiParameter("object", str, description="Comma-separated objects."),
            OpenApiParameter("events", str, description="created, updated, …"),
        ],
        responses={200: _PAGE, **schema.ERRORS},
    )
    def get(self, request, objects: str = "events"):
        ctx = self.ctx
        params = request.query_params
        limit = int(_number(params.get("limit"), "limit", 100, 1000)) or 1
        cursor = params.get("cursor") or request.headers.get("Last-Event-ID") or None
        if cursor is None and params.get("start") == "latest":
            cursor = stream.latest(ctx)
        options = {
            "limit": limit,
            "objects": _objects(ctx, params.get("object")),
            "kinds": (
                frozenset(services.parse_events(params["events"].split(",")))
                if params.get("events")
                else None
            ),
        }
        if cursor:
            stream.decode_cursor(ctx, cursor)  # a bad cursor is a 400 up front
        if "text/event-stream" in request.headers.get("Accept", ""):
            response = StreamingHttpResponse(
                self._sse(ctx, cursor, options), content_type="text/event-stream"
            )
            response["Cache-Control"] = "no-cache"
            response["X-Accel-Buffering"] = "no"
            return response
        wait = _number(
            params.get("wait"), "wait", 0, settings.EVENT_STREAM_MAX_WAIT_SECONDS
        )
        deadline = time.monotonic() + wait
        while True:
            batch = stream.read(ctx, cursor=cursor, **options)
            cursor = batch.cursor
            left = deadline - time.monotonic()
            if batch.events or batch.has_more or left <= 0:
                break
            time.sleep(min(settings.EVENT_STREAM_POLL_SECONDS, left))
        return Response(
            {
                "results": [payload for _, payload in batch.events],
                "next_cursor": batch.cursor,
                "has_more": batch.has_more,
            }
        )

    def _sse(self, ctx, cursor, options):
        deadline = time.monotonic() + settings.EVENT_STREAM_SSE_SECONDS
        last_sent = time.monotonic()
        position = cursor
        yield b"retry: 3000\n\n"
        while True:
            batch = stream.read(ctx, cursor=cursor, **options)
            for position, payload in batch.events:
                data = orjson.dumps(payload)
                yield b"id: %s\nevent: %s\ndata: %s\n\n" % (
                    position.encode(),
                    payload["event"].encode(),
                    data,
                )
                last_sent = time.monotonic()
            if batch.events:
                position = batch.events[-1][0]
            if batch.cursor != position:  # past events this caller may not see
                yield b"id: %s\n\n" % batch.cursor.encode()
                position = batch.cursor
            cursor = batch.cursor
            now = time.monotonic()
            if now >= deadline:
                return
            if not batch.has_more:
                if now - last_sent >= 15:
                    yield b": keep-alive\n\n"
                    last_sent = now
                time.sleep(min(settings.EVENT_STREAM_POLL_SECONDS, deadline - now))

    @extend_schema(
        operation_id="event_record_create",
        request={"application/json": schema.RECORD_IN},
        responses={201: schema.RECORD, **schema.ERRORS},
    )
    def post(self, request, objects: str = "events") -> Response:
        return super().post(request, "events")
