"""Reads of v1 through crm.query: one record, with ``?fields=`` dot paths and
its version."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils import dateparse

from accounts.access import Context
from api.v1.serializers import serializer_for
from crm import query, records
from crm.metadata.types import ObjectType

#: The field every read carries for its ETag.
STAMP = "updated_at"


def _fields(raw: str | None) -> tuple[str, ...] | None:
    if raw is None or not raw.strip():
        return None
    return tuple(part for part in raw.split(",") if part.strip())


def get(
    ctx: Context, object_type: ObjectType, record_id: UUID, fields: str | None
) -> tuple[dict[str, Any], str]:
    """The record as v1 JSON (``fields``: ``Name,Account.Name``; all when
    empty) and its version. NotFound when it does not exist, is in another
    workspace or is not visible; ValidationFailed naming a bad field."""
    names = _fields(fields)
    plan = serializer_for(ctx, object_type).plan_named(ctx, names)
    wanted = None
    if names is not None:  # the stamp is read for the ETag, shown if asked
        wanted = [*names, STAMP] if STAMP not in plan.keys else list(names)
    row = query.get(ctx, object_type.api_name, record_id, fields=wanted, uuids=True)
    return plan.render(row), version_of(row)


def version_of(row: dict[str, Any]) -> str:
    """The version (ETag) of a crm.query row that holds ``updated_at``."""
    return records.version(dateparse.parse_datetime(row[STAMP]))
