"""Delete to the recycle bin, restore from it, purge for good.

A delete walks the registry's lookups: records whose lookup to a deleted record
says CASCADE go with it under the same ``Deletion``; one that says RESTRICT
stops the delete. Restore brings the whole batch back; purge removes it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from accounts import errors
from accounts.access import Action, Context, require, system_context
from accounts.errors import FieldError
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType, OnDelete, Storage
from crm.models import Association, Deletion, FieldChange
from crm.records import outbox
from crm.records.lifecycle import check_version, get_locked


def lookup_in(spec: FieldSpec, ids) -> Q:
    """Records whose lookup ``spec`` points at any of ``ids``."""
    if spec.storage is Storage.COLUMN:
        return Q(**{f"{spec.column}__in": list(ids)})
    bag = "custom" if spec.storage is Storage.CUSTOM_JSON else "data"
    return Q(**{f"{bag}__{spec.name}__in": [str(i) for i in ids]})


def _cascade(
    ctx: Context, object_type: ObjectType, root_id: UUID
) -> dict[str, set[UUID]]:
    """The ids that go to the bin with the root, per object; ReferenceConflict
    when a RESTRICT lookup from a record outside the batch points into it."""
    types = {t.api_name: t for t in registry.for_workspace(ctx.workspace).types}
    batch: dict[str, set[UUID]] = defaultdict(set)
    batch[object_type.api_name].add(root_id)
    frontier = [(object_type.api_name, {root_id})]
    while frontier:
        name, ids = frontier.pop()
        for child, spec in registry.referrers(ctx.workspace, name):
            if spec.on_delete is not OnDelete.CASCADE:
                continue
            found = set(
                child.queryset(ctx.workspace)
                .filter(lookup_in(spec, ids))
                .values_list("pk", flat=True)
            )
            new = found - batch[child.api_name]
            if new:
                batch[child.api_name] |= new
                frontier.append((child.api_name, new))
    for name, ids in batch.items():
        for child, spec in registry.referrers(ctx.workspace, name):
            if spec.on_delete is not OnDelete.RESTRICT:
                continue
            blocking = (
                child.queryset(ctx.workspace)
                .filter(lookup_in(spec, ids))
                .exclude(pk__in=batch.get(child.api_name, ()))
                .count()
            )
            if blocking:
                target = types[name]
                raise errors.ReferenceConflict(
                    f"{blocking} {child.label_plural if blocking > 1 else child.label} "
                    f"still refer{'s' if blocking == 1 else ''} to this {target.label} "
                    f"through {spec.label}; delete or change "
                    f"{'them' if blocking > 1 else 'it'} first.",
                    field=spec.name,
                )
    return {name: ids for name, ids in batch.items() if ids}


@transaction.atomic
def delete(
    ctx: Context,
    object_name: str,
    record_id: UUID,
    *,
    expected_version: str | Collection[str] | None = None,
) -> Deletion:
    """Move a record and what cascades from it to the recycle bin, as one
    batch. Writes a ``deleted`` event per record. With ``expected_version``,
    PreconditionFailed when the record is at another version. Atomic."""
    object_type = registry.get(ctx, object_name)
    require(ctx, object_type, Action.DELETE)
    record = get_locked(ctx, object_type, record_id)
    check_version(object_type, record, expected_version)
    batch = _cascade(ctx, object_type, record.pk)
    types = registry.for_workspace(ctx.workspace)
    now = timezone.now()
    deletion = Deletion.objects.create(
        workspace=ctx.workspace,
        object_name=object_type.api_name,
        record_id=record.pk,
        record_label=object_type.display_name(record)[:255],
        counts={name: len(ids) for name, ids in batch.items()},
        deleted_by=ctx.user,
        deleted_at=now,
    )
    events = []
    for name, ids in batch.items():
        member_type = types.find(name)
        rows = member_type.queryset(ctx.workspace).filter(pk__in=ids)
        for row in rows:
            events.append(
                outbox.event(
                    ctx,
                    member_type,
                    row.pk,
                    outbox.Event.DELETED,
                    before=member_type.snapshot(row),
                    after=None,
                )
            )
        rows.update(deleted_at=now, deletion=deletion)
    outbox.emit(events)
    return deletion


def _get_deletion(ctx: Context, deletion_id: UUID) -> Deletion:
    deletion = (
        Deletion.objects.select_for_update()
        .filter(workspace=ctx.workspace, pk=deletion_id)
        .first()
    )
    if deletion is None:
        raise errors.NotFound("Nothing in the recycle bin has that id.")
    object_type = registry.get(ctx, deletion.object_name)
    require(ctx, object_type, Action.DELETE)
    if not ctx.is_admin and deletion.deleted_by_id != ctx.user_id:
        raise errors.PermissionDenied("Only its deleter or an admin may do that.")
    return deletion


def _members(ctx: Context, deletion: Deletion) -> list[tuple[ObjectType, object]]:
    types = registry.for_workspace(ctx.workspace)
    return [
        (
            types.find(name),
            types.find(name)
            .queryset(ctx.workspace, deleted=True)
            .filter(deletion=deletion),
        )
        for name in deletion.counts
        if types.find(name) is not None
    ]


@transaction.atomic
def restore(ctx: Context, deletion_id: UUID) -> Deletion:
    """Bring a whole batch back from the bin. Refused while a record it
    depends on (a CASCADE lookup) is itself in the bin. Atomic."""
    deletion = _get_deletion(ctx, deletion_id)
    members = _members(ctx, deletion)
    problems: list[FieldError] = []
    for object_type, rows in members:
        for spec in object_type.lookups:
            if spec.on_delete is not OnDelete.CASCADE:
                continue
            target = registry.for_workspace(ctx.workspace).find(spec.target)
            parent_ids = {object_type.value(row, spec) for row in rows} - {None}
            if not parent_ids or target is None:
                continue
            gone = target.queryset(ctx.workspace, deleted=True).filter(
                pk__in=parent_ids
            )
            gone = gone.exclude(deletion=deletion)
            for parent in gone[:1]:
                problems.append(
                    FieldError(
                        spec.name,
                        f"Restore the {target.label} "
                        f"'{target.display_name(parent)}' first.",
                    )
                )
    if problems:
        raise errors.ValidationFailed.from_errors(problems)
    events = []
    for object_type, rows in members:
        restored = list(rows)
        rows.update(deleted_at=None, deletion=None)
        for row in restored:
            row.deleted_at, row.deletion = None, None
            events.append(
                outbox.event(
                    ctx,
                    object_type,
                    row.pk,
                    outbox.Event.RESTORED,
                    before=None,
                    after=object_type.snapshot(row),
                )
            )
    outbox.emit(events)
    deletion.delete()
    return deletion


@transaction.atomic
def purge(ctx: Context, deletion_id: UUID) -> None:
    """Remove a batch for good, with its history and associations. Atomic."""
    deletion = _get_deletion(ctx, deletion_id)
    ids: list[UUID] = []
    try:
        for _object_type, rows in _members(ctx, deletion):
            ids.extend(rows.values_list("pk", flat=True))
            rows.delete()
    except ProtectedError as exc:
        raise errors.ReferenceConflict(
            "Records elsewhere in the recycle bin still refer to this batch; "
            "purge them first."
        ) from exc
    FieldChange.objects.filter(workspace=ctx.workspace, record_id__in=ids).delete()
    Association.objects.filter(
        Q(from_id__in=ids) | Q(to_id__in=ids), workspace=ctx.workspace
    ).delete()
    deletion.delete()


def purge_expired(now: dt.datetime | None = None) -> int:
    """Purge every batch older than the retention period; returns how many.
    Each batch commits on its own, so one failure does not hold back the rest."""
    cutoff = (now or timezone.now()) - dt.timedelta(
        days=settings.RECYCLE_BIN_RETENTION_DAYS
    )
    purged = 0
    for deletion in Deletion.objects.filter(deleted_at__lt=cutoff).select_related(
        "workspace"
    ):
        try:
            purge(system_context(deletion.workspace), deletion.pk)
        except errors.ReferenceConflict:
            continue
        purged += 1
    return purged
