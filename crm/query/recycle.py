"""The recycle bin as a list: batches of deleted records (``Deletion`` rows).

A user sees the batches they deleted; an admin sees everyone's. Only batches
of objects the context may delete are listed, since only those can be
restored or purged by it. ``deletion_of`` finds the batch a deleted record
went to the bin with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from accounts import errors
from accounts.access import Action, Context
from crm.metadata import registry
from crm.metadata.types import ObjectType
from crm.models import Deletion

PAGE_SIZE = 50


@dataclass(frozen=True)
class Batch:
    deletion: Deletion
    object_type: ObjectType
    #: What went with the record: (object, how many), the record's own excluded.
    others: tuple[tuple[ObjectType, int], ...]


@dataclass(frozen=True)
class BinPage:
    batches: list[Batch]
    #: ``deleted_at`` and id of the last batch, when there are more.
    next_before: tuple[dt.datetime, UUID] | None


def batches(
    ctx: Context,
    *,
    before: tuple[dt.datetime, UUID] | None = None,
    limit: int = PAGE_SIZE,
) -> BinPage:
    """Newest first, ``limit`` at a time after ``before`` (one query)."""
    types = registry.for_workspace(ctx.workspace)
    allowed = [
        t.api_name
        for t in types.types
        if ctx.can(t.api_name, Action.DELETE) and ctx.can(t.api_name, Action.READ)
    ]
    qs = Deletion.objects.filter(
        workspace=ctx.workspace, object_name__in=allowed
    ).select_related("deleted_by")
    if not ctx.is_admin:
        qs = qs.filter(deleted_by_id=ctx.user_id)
    if before is not None:
        at, pk = before
        qs = qs.filter(deleted_at__lte=at).exclude(deleted_at=at, pk__gte=pk)
    rows = list(qs.order_by("-deleted_at", "-pk")[: limit + 1])
    found: list[Batch] = []
    for deletion in rows[:limit]:
        object_type = types.find(deletion.object_name)
        if object_type is None:
            continue
        counts = dict(deletion.counts)
        counts[object_type.api_name] = counts.get(object_type.api_name, 1) - 1
        others = tuple(
            (types.find(name), n)
            for name, n in counts.items()
            if n > 0 and types.find(name) is not None
        )
        found.append(Batch(deletion, object_type, others))
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return BinPage(found, (last.deleted_at, last.pk) if last else None)


def deletion_of(ctx: Context, object_type: ObjectType, record_id: UUID) -> UUID:
    """The id of the batch (``Deletion``) a deleted record of ``object_type``
    is in; NotFound when the record is not in this workspace's bin. Whether
    the context may restore the batch is ``crm.records.restore``'s to check."""
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
