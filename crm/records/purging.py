"""Purge: remove a recycle-bin batch for good, and nothing outside it.

Before a row goes, every lookup elsewhere that points into the batch is
looked at (``registry.referrers``: columns and custom JSON lookups alike),
whoever holds it: a live record, or one in another batch of the bin.

- A lookup that would take its record along or forbids the delete (CASCADE,
  RESTRICT) refuses the purge: ReferenceConflict naming the records (and the
  batches they are in), nothing written.
- A lookup that keeps its link (SET_NULL) is emptied through the lifecycle's
  batch update path (``batch.clear_lookups``): a FieldChange and an
  ``updated`` event per record, as any change.

Then the batch's rows, their history and their links go (the records linked
to them get an ``updated`` event naming ``associations``), and a ``purged``
event is written per record, ``before`` its last state. One transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from accounts import errors
from accounts.access import Context, system_context
from accounts.errors import FieldError
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType, OnDelete
from crm.models import Association, Deletion, FieldChange
from crm.records import associations, batch, cascade, deletion, outbox, updating

logger = logging.getLogger("crm")


def _plural(n: int, object_type: ObjectType) -> str:
    return f"{n} {object_type.label_plural if n > 1 else object_type.label}"


def _refer(n: int) -> str:
    return "refers" if n == 1 else "refer"


def _live_conflict(
    n: int, child: ObjectType, target: ObjectType, spec: FieldSpec
) -> FieldError:
    return FieldError(
        spec.name,
        f"{_plural(n, child)} still {_refer(n)} to this batch's {target.label} "
        f"through {spec.label}; delete or change {'it' if n == 1 else 'them'} "
        "first.",
    )


def _binned_conflict(
    n: int, child: ObjectType, target: ObjectType, spec: FieldSpec, labels: list
) -> FieldError:
    named = ", ".join(f"'{label}'" for label in labels)
    batches = f"batch {named}" if len(labels) == 1 else f"batches {named}"
    return FieldError(
        spec.name,
        f"{_plural(n, child)} in the recycle bin ({batches}) still {_refer(n)} "
        f"to this batch's {target.label} through {spec.label}; purge "
        f"{'that batch' if len(labels) == 1 else 'those batches'} first.",
    )


def _holding(
    ctx: Context, batch_row: Deletion, child: ObjectType, spec: FieldSpec, ids
) -> list[tuple[UUID, dt.datetime | None, UUID | None]]:
    """(id, deleted_at, deletion id) of the ``child`` records outside the
    batch, live or binned, whose ``spec`` points at any of ``ids``."""
    qs = child.model.objects.filter(workspace=ctx.workspace).filter(
        cascade.lookup_in(spec, ids)
    )
    if child.is_custom:
        qs = qs.filter(definition_id=child.definition_id)
    return list(
        qs.exclude(deletion=batch_row).values_list("pk", "deleted_at", "deletion_id")
    )


def _referrers(
    ctx: Context, batch_row: Deletion, going: dict[str, set[UUID]]
) -> tuple[list[FieldError], dict[str, dict[UUID, set[str]]]]:
    """What refuses the purge, and per object the lookups to empty per record."""
    types = registry.for_workspace(ctx.workspace)
    conflicts: list[FieldError] = []
    cleared: dict[str, dict[UUID, set[str]]] = {}
    labels: dict[UUID, str] = {}
    for name, ids in going.items():
        target = types.find(name)
        for child, spec in registry.referrers(ctx.workspace, name):
            held = _holding(ctx, batch_row, child, spec, ids)
            if not held:
                continue
            if spec.on_delete is OnDelete.SET_NULL:
                mine = cleared.setdefault(child.api_name, {})
                for pk, _, _ in held:
                    mine.setdefault(pk, set()).add(spec.name)
                continue
            live = [pk for pk, deleted_at, _ in held if deleted_at is None]
            if live:
                conflicts.append(_live_conflict(len(live), child, target, spec))
            binned = [(pk, d) for pk, deleted_at, d in held if deleted_at is not None]
            if binned:
                unknown = {d for _, d in binned if d is not None} - labels.keys()
                labels.update(
                    Deletion.objects.filter(pk__in=unknown).values_list(
                        "pk", "record_label"
                    )
                )
                named = sorted({labels.get(d, "?") for _, d in binned})
                conflicts.append(
                    _binned_conflict(len(binned), child, target, spec, named)
                )
    return conflicts, cleared


@transaction.atomic
def purge(ctx: Context, deletion_id: UUID) -> None:
    """Remove a batch for good, with its history and links, writing a
    ``purged`` event per record; lookups elsewhere that keep their link are
    emptied first (history, ``updated`` events). ReferenceConflict, nothing
    written, while a record outside the batch points into it through a lookup
    that would take it along or forbids the delete. Atomic."""
    batch_row = deletion.get_deletion(ctx, deletion_id)
    members = [
        (object_type, rows, list(rows.select_for_update().order_by("pk")))
        for object_type, rows in deletion.members_of(ctx, batch_row)
    ]
    going = {t.api_name: {row.pk for row in found} for t, _, found in members if found}
    conflicts, cleared = _referrers(ctx, batch_row, going)
    if conflicts:
        first = conflicts[0]
        raise errors.ReferenceConflict(
            first.message, field=first.field, details=conflicts
        )
    types = registry.for_workspace(ctx.workspace)
    for name, lookups in cleared.items():
        batch.clear_lookups(ctx, types.find(name), lookups)
    ids = {pk for found in going.values() for pk in found}
    events = []
    for object_type, _, found in members:
        event = outbox.maker(ctx, object_type)
        events += [
            event(
                row.pk,
                outbox.Event.PURGED,
                before=object_type.snapshot(row),
                after=None,
            )
            for row in found
        ]
    links = Association.objects.filter(
        Q(from_id__in=list(ids)) | Q(to_id__in=list(ids)), workspace=ctx.workspace
    )
    linked = {
        (name, pk)
        for name, pk in links.values_list("from_object", "from_id")
        if pk not in ids
    }
    try:
        for _, rows, _ in members:
            rows.delete()
    except ProtectedError as exc:  # a protected link between two of its rows
        raise errors.ReferenceConflict(
            "Records still refer to this batch through a protected link; "
            "change them first."
        ) from exc
    FieldChange.objects.filter(
        workspace=ctx.workspace, record_id__in=list(ids)
    ).delete()
    links.delete()
    events += associations.link_events(ctx, linked)
    outbox.emit(events)
    updating.follow(ctx, events)
    batch_row.delete()


def _sweep(pending: Collection[Deletion]) -> tuple[int, list[tuple[Deletion, str]]]:
    """One pass over ``pending``: how many were purged, and those refused
    because of references (with the reason)."""
    purged, blocked = 0, []
    for batch_row in pending:
        try:
            purge(system_context(batch_row.workspace), batch_row.pk)
        except errors.ReferenceConflict as exc:
            blocked.append((batch_row, exc.message))
            continue
        except errors.NotFound:
            continue  # restored or purged since the sweep began
        except Exception:
            logger.exception("Purging recycle-bin batch %s failed.", batch_row.pk)
            continue
        purged += 1
    return purged, blocked


def purge_expired(now: dt.datetime | None = None) -> int:
    """Purge every batch older than the retention period, oldest first;
    returns how many. Each batch commits on its own: one that fails is logged
    and the sweep goes on. One refused because records in another expired
    batch still refer to it is tried again once a pass has purged others, so
    batches that refer to each other go in whatever order they allow."""
    cutoff = (now or timezone.now()) - dt.timedelta(
        days=settings.RECYCLE_BIN_RETENTION_DAYS
    )
    pending = list(
        Deletion.objects.filter(deleted_at__lt=cutoff)
        .select_related("workspace")
        .order_by("deleted_at", "pk")
    )
    total = 0
    while pending:
        purged, blocked = _sweep(pending)
        total += purged
        if not purged:
            for batch_row, reason in blocked:
                logger.warning(
                    "Recycle-bin batch %s is past retention but kept: %s",
                    batch_row.pk,
                    reason,
                )
            break
        pending = [batch_row for batch_row, _ in blocked]
    return total
