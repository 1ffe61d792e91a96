"""Reads of v1 through crm.query: one record (with ``?fields=`` dot paths and
its version), and the recycle-bin batch of a deleted record."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils import dateparse

from accounts import errors
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
    row = query.get(ctx, object_type.api_name, record_id, fields=wanted)
    return plan.render(row), version_of(row)


def version_of(row: dict[str, Any]) -> str:
    """The version (ETag) of a crm.query row that holds ``updated_at``."""
    return records.version(dateparse.parse_datetime(row[STAMP]))


def deletion_of(ctx: Context, object_type: ObjectType, record_id: UUID) -> UUID:
    """The recycle-bin batch holding a deleted record; NotFound when the record
    is not in the bin of this workspace. (The one ORM read left in api/v1:
    ``crm.records.restore`` takes a batch id, and crm offers no lookup of the
    batch by record.)"""
    deletion_id = (
        object_type.queryset(ctx.workspace, deleted=True)
        .filter(pk=record_id)
        .values_list("deletion_id", flat=True)
        .first()
    )
    if deletion_id is None:
        raise errors.NotFound(
            f"No {object_type.label} with the id {record_id} is in the recycle bin."
        )
    return deletion_id
