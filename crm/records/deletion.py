"""Delete to the recycle bin and restore from it (purge for good is
``crm.records.purging``).

A delete walks the registry's lookups (``crm.records.cascade``): records whose
lookup to a deleted record says CASCADE go with it under the same
``Deletion``; one that says RESTRICT stops the delete. Restore brings the
whole batch back. ``delete`` is ``delete_many`` of one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from accounts import errors
from accounts.access import Action, Context, require
from accounts.errors import FieldError
from crm.metadata import registry
from crm.metadata.types import ObjectType, OnDelete, normalize
from crm.models import Deletion
from crm.records import cascade, declared, outbox, updating, validation
from crm.records.results import RowResult
from crm.records.steps import check_version, lock_many


def _row_id(object_type: ObjectType, row: Any) -> UUID | errors.DomainError:
    """The id a delete row names: an id, or ``{"id": …}``."""
    if isinstance(row, Mapping):
        given = [v for k, v in row.items() if normalize(str(k)) == "id"]
        if len(given) != 1 or len(row) != 1:
            return errors.ValidationFailed('Each row is an id, or {"id": …} alone.')
        row = given[0]
    spec = object_type.fields["id"]
    try:
        return spec.type.clean(spec, row)
    except ValueError:
        return errors.NotFound(
            f"No {object_type.label} has the id '{str(row)[:80]}'.", field="id"
        )


def delete_many(
    ctx: Context,
    object_name: str,
    rows: Sequence[Any],
    *,
    expected_versions: Sequence[str | Collection[str] | None] | None = None,
) -> list[RowResult]:
    """Move each named record, and what cascades from it, to the recycle bin
    as its own batch (a ``Deletion``, the result's ``record``), as if one
    after another: a record already gone with an earlier row is not found.
    Writes a ``deleted`` event per record. Atomic."""
    object_type = registry.get(ctx, object_name)
    require(ctx, object_type, Action.DELETE)
    versions = expected_versions or [None] * len(rows)
    results: dict[int, RowResult] = {}
    wanted: list[tuple[int, UUID, Any]] = []
    for index, row in enumerate(rows):
        parsed = _row_id(object_type, row)
        if isinstance(parsed, errors.DomainError):
            results[index] = RowResult(index, error=parsed)
        else:
            wanted.append((index, parsed, versions[index]))
    with transaction.atomic():
        results.update(_delete_rows(ctx, object_type, wanted))
    return [results[i] for i in range(len(rows))]


def _delete_rows(
    ctx: Context, object_type: ObjectType, wanted: list[tuple[int, UUID, Any]]
) -> dict[int, RowResult]:
    found, refused = lock_many(ctx, object_type, {pk for _, pk, _ in wanted})
    results: dict[int, RowResult] = {}
    roots: list[tuple[int, UUID]] = []
    for index, pk, expected in wanted:
        try:
            if pk not in found:
                raise refused[pk]
            check_version(object_type, found[pk], expected)
        except errors.DomainError as exc:
            results[index] = RowResult(index, pk, exc)
            continue
        roots.append((index, pk))
    plan = cascade.plan(ctx, object_type, [pk for _, pk in roots])
    now = timezone.now()
    deletions: dict[int, Deletion] = {}
    for pos, (index, pk) in enumerate(roots):
        members = plan.members.get(pos, {})
        if pos in plan.refusals:
            results[index] = RowResult(index, pk, plan.refusals[pos])
        elif pk not in members.get(object_type.api_name, ()):
            gone = errors.NotFound(f"No {object_type.label} with id {pk}.")
            results[index] = RowResult(index, pk, gone)
        else:
            deletions[pos] = Deletion(
                workspace=ctx.workspace,
                object_name=object_type.api_name,
                record_id=pk,
                record_label=object_type.display_name(found[pk])[:255],
                counts={name: len(ids) for name, ids in members.items()},
                deleted_by=ctx.user,
                deleted_at=now,
            )
            results[index] = RowResult(index, pk, action="deleted")
    Deletion.objects.bulk_create(deletions.values())
    for pos, deletion in deletions.items():
        index = roots[pos][0]
        results[index] = RowResult(index, deletion.record_id, None, "deleted", deletion)
    events = _bin(ctx, plan, deletions, now)
    outbox.emit(events)
    updating.follow(ctx, events)
    return results


def _bin(ctx: Context, plan: cascade.Plan, deletions: dict[int, Deletion], now):
    """Move the planned members of ``deletions`` to the bin; their events."""
    types = registry.for_workspace(ctx.workspace)
    going: dict[str, dict[UUID, Deletion]] = {}
    for pos, deletion in deletions.items():
        for name, ids in plan.members[pos].items():
            going.setdefault(name, {}).update(dict.fromkeys(ids, deletion))
    events = []
    for name, ids in going.items():
        member_type = types.find(name)
        rows = list(member_type.queryset(ctx.workspace).filter(pk__in=list(ids)))
        event = outbox.maker(ctx, member_type)
        for row in rows:
            events.append(
                event(
                    row.pk,
                    outbox.Event.DELETED,
                    before=member_type.snapshot(row),
                    after=None,
                )
            )
            row.deleted_at, row.deletion = now, ids[row.pk]
        member_type.model.objects.bulk_update(
            rows, ["deleted_at", "deletion"], batch_size=1000
        )
    return events


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
    [result] = delete_many(
        ctx, object_name, [record_id], expected_versions=[expected_version]
    )
    return result.unwrap()


def get_deletion(ctx: Context, deletion_id: UUID) -> Deletion:
    """The batch, locked; NotFound outside the workspace, PermissionDenied
    unless the context is its deleter or an admin (and may delete)."""
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


def members_of(ctx: Context, deletion: Deletion) -> list[tuple[ObjectType, object]]:
    """(object, queryset of its records in the batch) per object of the batch."""
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


def _taken(ctx: Context, members) -> list[FieldError]:
    """The unique values (alone or together) of the batch that live records
    hold now."""
    problems: list[FieldError] = []
    for object_type, rows in members:
        if not (
            any(spec.unique for spec in object_type.fields.values())
            or declared.unique_together(object_type)
        ):
            continue
        items = [
            validation.Pending(
                validation.state_of(object_type, row), object_type.fields, row.pk
            )
            for row in rows
        ]
        validation.check_unique(ctx, object_type, items)
        for item in items:
            if item.error is not None:
                problems.extend(item.error.details)
    return problems


@transaction.atomic
def restore(ctx: Context, deletion_id: UUID) -> Deletion:
    """Bring a whole batch back from the bin. Refused, changing nothing,
    while a record it depends on (a CASCADE lookup) is itself in the bin
    (ValidationFailed), or when a live record now holds one of its unique
    values (DuplicateValue naming the field). Atomic."""
    deletion = get_deletion(ctx, deletion_id)
    members = members_of(ctx, deletion)
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
    duplicates = _taken(ctx, members)
    if duplicates:
        raise errors.DuplicateValue.from_errors(duplicates)
    events = []
    for object_type, rows in members:
        restored = list(rows)
        rows.update(deleted_at=None, deletion=None)
        event = outbox.maker(ctx, object_type)
        for row in restored:
            row.deleted_at, row.deletion = None, None
            events.append(
                event(
                    row.pk,
                    outbox.Event.RESTORED,
                    before=None,
                    after=object_type.snapshot(row),
                )
            )
    outbox.emit(events)
    updating.follow(ctx, events)
    deletion.delete()
    return deletion
