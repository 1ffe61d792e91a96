"""Labelled many-to-many links between any two records.

A link belongs to its 'from' record: making or removing one needs the right
to edit that record and to read the other, and is told as an ``updated``
event of the 'from' record whose ``changed`` names ``associations`` (its
fields stay as they were, so ``before`` and ``after`` are equal). Links are
not field history: they have no FieldChange rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction

from accounts import errors
from accounts.access import Action, Context, require
from crm.metadata import registry
from crm.metadata.types import ObjectType
from crm.models import Association, OutboxEvent
from crm.query import visibility
from crm.records import outbox

#: What a link event's ``changed`` names.
CHANGED = "associations"


def _source(ctx: Context, object_name: str, record_id: UUID) -> ObjectType:
    """The 'from' object; its record must be live and editable by ``ctx``
    (locked for the rest of the transaction), else NotFound."""
    object_type = registry.get(ctx, object_name)
    require(ctx, object_type, Action.EDIT)
    found = (
        visibility.editable(ctx, object_type)
        .select_for_update()
        .filter(pk=record_id)
        .exists()
    )
    if not found:
        raise errors.NotFound(f"No {object_type.label} with id {record_id}.")
    return object_type


def _target(
    ctx: Context, object_name: str, record_id: UUID, *, binned: bool = False
) -> ObjectType:
    """The 'to' object; its record must be readable by ``ctx`` (live, or in
    the recycle bin too with ``binned``), else NotFound."""
    object_type = registry.get(ctx, object_name)
    require(ctx, object_type, Action.READ)
    states = (False, True) if binned else (False,)
    if not any(
        visibility.readable(ctx, object_type, deleted=deleted)
        .filter(pk=record_id)
        .exists()
        for deleted in states
    ):
        raise errors.NotFound(f"No {object_type.label} with id {record_id}.")
    return object_type


def link_events(ctx: Context, records: Iterable[tuple[str, UUID]]) -> list[OutboxEvent]:
    """Unsaved ``updated`` events telling that links of the named live
    records changed (records gone from the live set are skipped)."""
    wanted: dict[str, set[UUID]] = {}
    for object_name, record_id in records:
        wanted.setdefault(object_name, set()).add(record_id)
    types = registry.for_workspace(ctx.workspace)
    events = []
    for object_name, ids in sorted(wanted.items()):
        object_type = types.find(object_name)
        if object_type is None:
            continue
        event = outbox.maker(ctx, object_type)
        rows = object_type.queryset(ctx.workspace).filter(pk__in=list(ids))
        for row in rows.order_by("pk"):
            snapshot = object_type.snapshot(row)
            events.append(
                event(
                    row.pk,
                    outbox.Event.UPDATED,
                    before=snapshot,
                    after=snapshot,
                    changed=[CHANGED],
                )
            )
    return events


@transaction.atomic
def associate(
    ctx: Context,
    from_object: str,
    from_id: UUID,
    to_object: str,
    to_id: UUID,
    *,
    label: str = "",
) -> Association:
    """Link a record the context may edit to one it may read (NotFound
    otherwise); linking twice is a no-op and writes no event. Atomic."""
    source = _source(ctx, from_object, from_id)
    target = _target(ctx, to_object, to_id)
    link, created = Association.objects.get_or_create(
        workspace=ctx.workspace,
        from_object=source.api_name,
        from_id=from_id,
        to_object=target.api_name,
        to_id=to_id,
        label=label,
        defaults={"created_by": ctx.user},
    )
    if created:
        outbox.emit(link_events(ctx, [(source.api_name, from_id)]))
    return link


@transaction.atomic
def dissociate(
    ctx: Context,
    from_object: str,
    from_id: UUID,
    to_object: str,
    to_id: UUID,
    *,
    label: str = "",
) -> int:
    """Remove a link from a record the context may edit to one it may read,
    live or in the recycle bin (NotFound otherwise); returns how many were
    removed (0 or 1). Atomic."""
    source = _source(ctx, from_object, from_id)
    target = _target(ctx, to_object, to_id, binned=True)
    removed, _ = Association.objects.filter(
        workspace=ctx.workspace,
        from_object=source.api_name,
        from_id=from_id,
        to_object=target.api_name,
        to_id=to_id,
        label=label,
    ).delete()
    if removed:
        outbox.emit(link_events(ctx, [(source.api_name, from_id)]))
    return removed
