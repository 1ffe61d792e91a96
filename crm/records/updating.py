"""Writing checked changes of existing records, and what any write moves in
other records.

``write`` is the lifecycle's batch update path: the stamped rows, their
history and their events, in bulk. ``follow`` applies what a batch of events
moves in other records — the figures parents keep over their children
(``crm.records.rollups``) — through ``write`` again, once per touched parent.
Every path that writes records calls it with the events it wrote (creates,
updates, deletes to the bin, restores, purges), inside its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils import timezone

from accounts.access import Context
from crm.metadata.types import ObjectType
from crm.models import OutboxEvent
from crm.records import history, outbox, rollups, steps, writes


def write(
    ctx: Context, object_type: ObjectType, changed_records: Sequence[tuple]
) -> None:
    """Write checked changes, each (record, before, after, changed fields):
    the stamped rows, their history and their events, then what they move."""
    if not changed_records:
        return
    now = timezone.now()
    event, changes_of = outbox.maker(ctx, object_type), history.maker(ctx, object_type)
    fields = object_type.fields
    written, changes_made, rows, events = [], set(), [], []
    stamps = [object_type.fields[name] for name in steps.STAMPS & fields.keys()]
    for record, before, after, changed in changed_records:
        steps.stamp(ctx, record, creating=False, now=now)
        for spec in stamps:
            after[spec.name] = spec.type.to_json(object_type.value(record, spec))
        written.append(record)
        changes_made.update(changed)
        rows += changes_of(record.pk, before, after, changed)
        events.append(
            event(
                record.pk,
                outbox.Event.UPDATED,
                before=before,
                after=after,
                changed=changed,
            )
        )
        if object_type.pipeline_field in changed:
            events.append(
                event(
                    record.pk,
                    outbox.Event.STAGE_CHANGED,
                    before=before,
                    after=after,
                    changed=changed,
                )
            )
    writes.update(object_type, written, changes_made | steps.STAMPS)
    history.write(rows)
    outbox.emit(events)
    follow(ctx, events)


def follow(ctx: Context, events: Iterable[OutboxEvent]) -> None:
    """Bring the parents' kept figures in line with written ``events``."""
    for parent_type, changed_records in rollups.recompute(ctx, events):
        write(ctx, parent_type, changed_records)
