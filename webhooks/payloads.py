"""What an event looks like on the wire, for webhooks and the event stream.

``{"event": "contract.updated", "event_id": "ev_…", "occurred_at":
"2026-03-12T14:23:11Z", "tenant_id": "ten_…", "record_id": "ctr_…", "before":
{…}, "after": {…}, "user_id": "usr_…"}``. ``before``/``after`` are the record
as the v1 API shows it (prefixed ``id``, lookups as ``<name>_id`` holding the
target's prefixed id); ``before`` is null on create and restore, ``after`` on
delete. ``event_id`` is stable and unique per event: receivers de-duplicate on
it (it is also the ``webhook-id`` header).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import orjson
from django.utils.crypto import salted_hmac

from crm.metadata.registry import Registry
from crm.metadata.types import ObjectType
from crm.models import OutboxEvent

TENANT_PREFIX = "ten"
USER_PREFIX = "usr"
EVENT_PREFIX = "ev"


def event_id(event_pk: int) -> str:
    """An opaque, stable id for an outbox event (reveals no sequence)."""
    digest = salted_hmac("webhooks.event_id", str(event_pk)).hexdigest()
    return f"{EVENT_PREFIX}_{digest[:32]}"


def _public(prefix: str, value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        return f"{prefix}_{UUID(str(value)).hex}"
    except ValueError:
        return str(value)


def _prefix_of(types: Registry, target: str | None) -> str:
    if target == "user":
        return USER_PREFIX
    found = types.find(target or "")
    return found.prefix if found is not None else (target or "")


def render(
    types: Registry, object_type: ObjectType | None, snapshot: dict | None
) -> dict[str, Any] | None:
    """A snapshot (field name → JSON value) as a v1 record body."""
    if snapshot is None:
        return None
    if object_type is None:
        return dict(snapshot)
    out: dict[str, Any] = {"id": _public(object_type.prefix, snapshot.get("id"))}
    for name, value in snapshot.items():
        spec = object_type.fields.get(name)
        if name == "id":
            continue
        if spec is not None and spec.is_lookup:
            out[f"{name}_id"] = _public(_prefix_of(types, spec.target), value)
        else:
            out[name] = value
    return out


def state(object_type: ObjectType, snapshot: dict | None) -> dict[str, Any]:
    """A snapshot as typed values (what the ObjectQL evaluator compares)."""
    snapshot = snapshot or {}
    return {
        name: spec.type.from_json(snapshot.get(name))
        for name, spec in object_type.fields.items()
        if name in snapshot
    }


def moment(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(types: Registry, event: OutboxEvent) -> dict[str, Any]:
    """The payload of one event."""
    object_type = types.find(event.object_name)
    record_prefix = object_type.prefix if object_type else event.object_name
    return {
        "event": f"{event.object_name}.{event.event}",
        "event_id": event_id(event.pk),
        "occurred_at": moment(event.occurred_at),
        "tenant_id": _public(TENANT_PREFIX, event.workspace_id),
        "record_id": _public(record_prefix, event.record_id),
        "before": render(types, object_type, event.before),
        "after": render(types, object_type, event.after),
        "user_id": _public(USER_PREFIX, event.user_id),
    }


def encode(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload)
