"""A record's activity timeline: the tasks, events, calls, emails and notes
about it, merged with its field history (``FieldChange`` rows).

An activity is about a record in one of two ways: through a lookup of the
activity object whose target is the record's object (the registry says which:
contacts, leads, accounts, opportunities, cases), or, for every other object
(custom ones, products, quotes, contracts, campaigns, …), through an
``Association`` between the activity and the record, in either direction.
The associations cost one query; each activity object one ``reads.page`` (so
visibility applies) for both ways at once, the history one query, plus the
owner names: a fixed number of queries whatever the record holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Q
from django.utils import dateparse, timezone

from accounts import errors
from accounts.access import Action, Context
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType
from crm.models import Association, FieldChange
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


def links(
    ctx: Context, object_type: ObjectType
) -> list[tuple[ObjectType, FieldSpec | None]]:
    """(activity object, its lookup to ``object_type``) the context may read;
    the lookup is None when the activity object has none to ``object_type``
    and its activities are linked to the record by an association instead.
    Activities are not about other activities: an activity object gets none."""
    found = []
    if object_type.api_name in ACTIVITIES:
        return found
    for name in ACTIVITIES:
        activity = registry.for_workspace(ctx.workspace).find(name)
        if activity is None or not ctx.can(activity.api_name, Action.READ):
            continue
        via = next(
            (s for s in activity.lookups if s.target == object_type.api_name), None
        )
        found.append((activity, via))
    return found


def _associated(
    ctx: Context,
    object_type: ObjectType,
    record_id: UUID,
    names: list[str],
    limit: int,
) -> dict[str, list[str]]:
    """The ids of the newest activities of ``names`` associated with the
    record (either direction), by activity object: one query."""
    if not names:
        return {}
    rows = (
        Association.objects.filter(
            Q(to_object=object_type.api_name, to_id=record_id, from_object__in=names)
            | Q(
                from_object=object_type.api_name,
                from_id=record_id,
                to_object__in=names,
            ),
            workspace=ctx.workspace,
        )
        .order_by("-created_at", "-pk")
        .values_list("from_object", "from_id", "to_object", "to_id")[
            : limit * len(names)
        ]
    )
    found: dict[str, list[str]] = {}
    for from_object, from_id, to_object, to_id in rows:
        if to_id == record_id and to_object == object_type.api_name:
            name, pk = from_object, from_id
        else:
            name, pk = to_object, to_id
        ids = found.setdefault(name, [])
        if str(pk) not in ids and len(ids) < limit:
            ids.append(str(pk))
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
    found = links(ctx, object_type)
    associated = _associated(
        ctx, object_type, record_id, [a.api_name for a, _ in found], limit
    )
    for activity, via in found:
        groups = []
        if via is not None:
            groups.append({"filters": [[via.name, "=", str(record_id)]]})
        if associated.get(activity.api_name):
            groups.append({"filters": [["id", "in", associated[activity.api_name]]]})
        if not groups:
            continue
        when = WHEN.get(activity.api_name, "created_at")
        query = Query.from_json(
            ctx,
            activity.api_name,
            {
                "filter_groups": groups,
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
