"""Single-record reads for v1 until crm.query lands.

TODO(#3): ``query.get(ctx, object_name, record_id, fields=…)`` replaces
``get`` (and applies record-level sharing); ``deletion_of`` stays a recycle-bin
lookup.
"""

from __future__ import annotations

from uuid import UUID

from accounts import errors
from accounts.access import Context
from crm.metadata.types import ObjectType


def get(ctx: Context, object_type: ObjectType, record_id: UUID):
    """The live record of the workspace; NotFound otherwise (another
    workspace's id included)."""
    # TODO(#3): return query.get(ctx, object_type.api_name, record_id)
    record = object_type.queryset(ctx.workspace).filter(pk=record_id).first()
    if record is None:
        raise errors.NotFound(f"No {object_type.label} has the id {record_id}.")
    return record


def deletion_of(ctx: Context, object_type: ObjectType, record_id: UUID) -> UUID:
    """The recycle-bin batch holding a deleted record; NotFound when the record
    is not in the bin of this workspace."""
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
