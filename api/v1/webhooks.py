"""``/api/v1/webhooks…``: subscriptions, their delivery log, replays and
secret rotation, through ``webhooks.services``. The secret is in the answer
that creates or rotates it, and nowhere else. A workspace's admins manage all
its webhooks, anyone else those they created; changes need a credential that
may write."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from api.common import scopes
from api.common.views import ApiView
from api.v1 import ids, schema, shapes
from api.v1.shapes import FLAG, NUMBER, TEXT
from crm.query import shape
from webhooks import selectors, services
from webhooks.models import Delivery, Subscription

_FILTER = (list, dict)
_CREATE_IN = {
    "name": (TEXT, True),
    "object": (TEXT, True),
    "events": ((list, str), False),
    "filter": (_FILTER, False),
    "url": (TEXT, True),
    "secret": (TEXT, False),
    "auth": ((dict,), False),
    "is_active": (FLAG, False),
}
_CHANGE_IN = {
    key: (types, False) for key, (types, _) in _CREATE_IN.items() if key != "secret"
}
_ROTATE_IN = {"secret": (TEXT, False), "overlap_seconds": (NUMBER, False)}
_REPLAY_IN = {"since": (TEXT, True)}

WEBHOOK_ID = OpenApiParameter(
    "webhook_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The webhook's id (whk_…).",
)
DELIVERY_ID = OpenApiParameter(
    "delivery_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The delivery's id (dlv_…).",
)
_WEBHOOK = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "example": "whk_0193f7a1b2c34d5e8f90a1b2c3d4e5f6"},
        "name": {"type": "string"},
        "object": {"type": "string", "example": "contract"},
        "events": {"type": "array", "items": {"type": "string"}},
        "filter": {"type": "array", "items": {}},
        "url": {"type": "string", "format": "uri"},
        "auth": {"type": "object"},
        "is_active": {"type": "boolean"},
        "disabled_reason": {"type": "string", "nullable": True},
        "secret": {
            "type": "string",
            "description": "Only in the answer that creates or rotates it.",
        },
    },
}
_WEBHOOK_IN = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "object": {"type": "string", "example": "crm_contract"},
        "events": {"type": "array", "items": {"type": "string"}},
        "filter": {"type": "array", "items": {}},
        "url": {"type": "string", "format": "uri"},
        "secret": {"type": "string"},
        "auth": {"type": "object", "example": {"type": "hmac_sha256"}},
        "is_active": {"type": "boolean"},
    },
}
_DELIVERY = {"type": "object", "additionalProperties": True}
_PAGE = {
    "type": "object",
    "properties": {
        "results": {"type": "array", "items": _DELIVERY},
        "next_cursor": {"type": "string", "nullable": True},
        "has_more": {"type": "boolean"},
    },
}


def described(subscription: Subscription, secret: str | None = None) -> dict[str, Any]:
    out = {
        "id": selectors.public_id(selectors.SUBSCRIPTION_PREFIX, subscription.pk),
        "name": subscription.name,
        "object": subscription.object_name,
        "events": list(subscription.events),
        "filter": subscription.filter,
        "url": subscription.url,
        "auth": {"type": "hmac_sha256", "header": subscription.signature_header},
        "is_active": subscription.is_active,
        "disabled_reason": subscription.disabled_reason or None,
        "disabled_at": subscription.disabled_at,
        "failing_since": subscription.failing_since,
        "last_success_at": subscription.last_success_at,
        "secret_rotated_at": subscription.secret_rotated_at,
        "previous_secret_expires_at": subscription.previous_secret_expires_at,
        "created_by": ids.public(ids.USER_PREFIX, subscription.created_by_id),
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }
    if secret is not None:
        out["secret"] = secret
    return out


def delivery(row: Delivery) -> dict[str, Any]:
    return {
        "id": selectors.public_id(selectors.DELIVERY_PREFIX, row.pk),
        "webhook_id": selectors.public_id(
            selectors.SUBSCRIPTION_PREFIX, row.subscription_id
        ),
        "event": row.event_type,
        "event_id": row.message_id,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "last_attempt_at": row.last_attempt_at,
        "response_status": row.response_status,
        "duration_ms": row.duration_ms,
        "response_excerpt": row.response_excerpt,
        "error": row.error or None,
        "completed_at": row.completed_at,
        "created_at": row.created_at,
    }


class _Writes(ApiView):
    def _may_write(self) -> None:
        if not scopes.allows_writes(self.credential.scopes):
            raise exceptions.PermissionDenied(
                "This credential may only read; webhooks need a write scope."
            )


class WebhookList(_Writes):
    @extend_schema(
        operation_id="webhook_list",
        parameters=[
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 200},
                description="The oldest this many webhooks (default: all).",
            )
        ],
        responses={
            200: {"type": "object", "properties": {"results": _WEBHOOK}},
            **schema.ERRORS,
        },
    )
    def get(self, request) -> Response:
        rows = selectors.subscriptions(self.ctx).order_by("created_at")
        if request.query_params.get("limit") not in (None, ""):
            rows = rows[: shape.limit(request.query_params["limit"], 200, 200)]
        return Response({"results": [described(s) for s in rows]})

    @extend_schema(
        operation_id="webhook_create",
        request={"application/json": _WEBHOOK_IN},
        responses={201: _WEBHOOK, **schema.ERRORS},
    )
    def post(self, request) -> Response:
        self._may_write()
        data = shapes.take(request.data, _CREATE_IN)
        subscription, secret = services.create(
            self.ctx,
            name=data["name"],
            object_name=data["object"],
            url=data["url"],
            events=data.get("events"),
            filter=data.get("filter"),
            secret=data.get("secret"),
            auth=data.get("auth"),
            is_active=data.get("is_active", True),
        )
        body = described(subscription, secret)
        return Response(
            body, status=201, headers={"Location": f"/api/v1/webhooks/{body['id']}"}
        )


class WebhookDetail(_Writes):
    @extend_schema(
        operation_id="webhook_get",
        parameters=[WEBHOOK_ID],
        responses={200: _WEBHOOK, **schema.ERRORS},
    )
    def get(self, request, webhook_id: str) -> Response:
        return Response(described(selectors.subscription_get(self.ctx, webhook_id)))

    @extend_schema(
        operation_id="webhook_update",
        parameters=[WEBHOOK_ID],
        request={"application/json": _WEBHOOK_IN},
        responses={200: _WEBHOOK, **schema.ERRORS},
    )
    def patch(self, request, webhook_id: str) -> Response:
        self._may_write()
        data = shapes.take(request.data, _CHANGE_IN)
        return Response(described(services.update(self.ctx, webhook_id, data)))

    @extend_schema(
        operation_id="webhook_delete",
        parameters=[WEBHOOK_ID],
        request=None,
        responses={200: schema.SUCCESS, **schema.ERRORS},
    )
    def delete(self, request, webhook_id: str) -> Response:
        self._may_write()
        services.delete(self.ctx, webhook_id)
        return Response({"success": True, "message": "Webhook deleted successfully"})


class WebhookRotateSecret(_Writes):
    @extend_schema(
        operation_id="webhook_rotate_secret",
        parameters=[WEBHOOK_ID],
        request=dict,
        responses={200: _WEBHOOK, **schema.ERRORS},
    )
    def post(self, request, webhook_id: str) -> Response:
        self._may_write()
        data = shapes.take(request.data or {}, _ROTATE_IN)
        subscription, secret = services.rotate_secret(
            self.ctx,
            webhook_id,
            secret=data.get("secret"),
            overlap_seconds=data.get("overlap_seconds"),
        )
        return Response(described(subscription, secret))


class WebhookDeliveries(ApiView):
    @extend_schema(
        operation_id="webhook_deliveries",
        parameters=[
            WEBHOOK_ID,
            OpenApiParameter("cursor", str),
            OpenApiParameter("limit", int),
            OpenApiParameter("status", str, enum=Delivery.Status.values),
        ],
        responses={200: _PAGE, **schema.ERRORS},
    )
    def get(self, request, webhook_id: str) -> Response:
        subscription = selectors.subscription_get(self.ctx, webhook_id)
        params = request.query_params
        page = selectors.delivery_log(
            subscription,
            cursor=params.get("cursor") or None,
            limit=shape.limit(params.get("limit"), 50, 200),
            status=params.get("status") or None,
        )
        return Response(
            {
                "results": [delivery(row) for row in page.rows],
                "next_cursor": page.next_cursor,
                "has_more": page.has_more,
            }
        )


class DeliveryReplay(_Writes):
    @extend_schema(
        operation_id="webhook_delivery_replay",
        parameters=[DELIVERY_ID],
        request=None,
        responses={202: _DELIVERY, **schema.ERRORS},
    )
    def post(self, request, delivery_id: str) -> Response:
        self._may_write()
        return Response(delivery(services.replay(self.ctx, delivery_id)), status=202)


class WebhookReplay(_Writes):
    @extend_schema(
        operation_id="webhook_replay_failed",
        parameters=[WEBHOOK_ID],
        request={
            "application/json": {
                "type": "object",
                "properties": {"since": {"type": "string", "format": "date-time"}},
                "required": ["since"],
            }
        },
        responses={202: dict, **schema.ERRORS},
    )
    def post(self, request, webhook_id: str) -> Response:
        self._may_write()
        data = shapes.take(request.data, _REPLAY_IN)
        since = shapes.moment(data["since"], "since")
        count = services.replay_failed(self.ctx, webhook_id, since=since)
        return Response({"replayed": count}, status=202)
