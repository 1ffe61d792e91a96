"""A record's activity timeline: the tasks, events, calls, emails and notes
that point at it, merged with its field history (``FieldChange`` rows).

Activities are found through the registry: every lookup of an activity
object whose target is the record's object. Each activity object costs one
``reads.page`` (so visibility applies), the history one query, plus the owner
names: a fixed number of queries whatever the record holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.utils import dateparse, timezone

from accounts import errors
from accounts.access import Action, Context
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType
from crm.models import FieldChange
from crm.query import reads, visibility
from crm.query.paging import Row
from crm.query.parse import Query

#: The activity objects, in the order the composer offers them.
ACTIVITIES = ("call", "task", "note", "event", "email")
#: The field that dates each activity on the timeline (else ``created_at``).
WHEN = {"task": "due_date", "event": "start_at", "call": "call_at", "email": "sent_at"}


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    object_type: ObjectType
    row: Row | None = None
    change: FieldChange | None = None
    field: FieldSpec | None = None

    @property
    def is_change(self) -> bool:
        return self.change is not None


def links(ctx: Context, object_type: ObjectType) -> list[tuple[ObjectType, FieldSpec]]:
    """(activity object, its lookup to ``object_type``) the context may read."""
    found = []
    for name in ACTIVITIES:
        activity = registry.for_workspace(ctx.workspace).find(name)
        if activity is None or not ctx.can(activity.api_name, Action.READ):
            continue
        for spec in activity.lookups:
            if spec.target == object_type.api_name:
                found.append((activity, spec))
                break
    return found


def _moment(value: Any) -> dt.datetime | None:
    if not value:
        return None
    parsed = dateparse.parse_datetime(value)
    if parsed is None:
        day = dateparse.parse_date(value)
        if day is None:
            return None
        parsed = dt.datetime.combine(day, dt.time.min)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def fields_for(activity: ObjectType) -> list[str]:
    """The activity's fields a timeline entry shows."""
    names = [activity.name_field, WHEN.get(activity.api_name, "created_at")]
    names += ["created_at", "owner", "owner.name"]
    names += [
        s.name
        for s in activity.fields.values()
        if s.type.key in ("picklist", "long_text") and not s.read_only
    ]
    return list(dict.fromkeys(n for n in names if n.split(".")[0] in activity.fields))


def timeline(
    ctx: Context, object_name: str, record_id: UUID, *, limit: int = 30
) -> list[Entry]:
    """The newest ``limit`` entries about one record, newest first. NotFound
    when the record is not visible to the context."""
    object_type = registry.get(ctx, object_name)
    if not visibility.readable(ctx, object_type).filter(pk=record_id).exists():
        raise errors.NotFound(f"No {object_type.label} with id {record_id}.")
    entries: list[Entry] = []
    for activity, via in links(ctx, object_type):
        when = WHEN.get(activity.api_name, "created_at")
        query = Query.from_json(
            ctx,
            activity.api_name,
            {
                "filters": [[via.name, "=", str(record_id)]],
                "sort": "-created_at",
                "fields": fields_for(activity),
                "limit": limit,
            },
        )
        for row in reads.page(ctx, query).rows:
            at = _moment(row.get(when)) or _moment(row.get("created_at"))
            entries.append(Entry(at=at, object_type=activity, row=row))
    changes = (
        FieldChange.objects.filter(
            workspace=ctx.workspace,
            object_name=object_type.api_name,
            record_id=record_id,
        )
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")[:limit]
    )
    for change in changes:
        spec = object_type.find_field(change.field)
        if spec is None:
            continue
        entries.append(
            Entry(
                at=change.changed_at, object_type=object_type, change=change, field=spec
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
