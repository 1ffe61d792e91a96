"""A record's activity timeline: the tasks, events, calls, emails and notes
about it, merged with its field history (``FieldChange`` rows), newest first,
a page at a time.

An activity is about a record in one of two ways: through a lookup of the
activity object whose target is the record's object (the registry says which:
contacts, leads, accounts, opportunities, cases), or, for every other object
(custom ones, products, quotes, contracts, campaigns, …), through an
``Association`` between the activity and the record, in either direction.

Entries are ordered by their moment, then by source (the activity objects in
``ACTIVITIES`` order, then the history), then by id, newest first; a page
after the first starts strictly after the last entry shown (a keyset
``Position``, never an offset), so entries written meanwhile never make a page
repeat or skip one. Each source is read once a page, ``limit + 1`` rows in
that order, and the rows merged: a page costs the visibility check of the
record, one query per activity object (visibility, lookup and associations
in it) plus its owner names, and one for the history, whatever the record
holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import DateTimeField, F, Func, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import dateparse, timezone

from accounts import errors
from accounts.access import Action, Context
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType, Storage
from crm.models import Association, FieldChange
from crm.query import compile, reads, select, visibility
from crm.query.paging import Row
from crm.query.parse import Query

#: The activity objects, in the order the composer offers them.
ACTIVITIES = ("call", "task", "note", "event", "email")
#: The field that dates each activity on the timeline (else ``created_at``).
WHEN = {"task": "due_date", "event": "start_at", "call": "call_at", "email": "sent_at"}
#: The source of the field history's entries.
HISTORY = "history"
#: Entries of one moment come in this order of their sources.
_RANK = {name: i for i, name in enumerate((*ACTIVITIES, HISTORY))}
PAGE_SIZE = 30


@dataclass(frozen=True)
class Position:
    """Where an entry stands: the keyset of the timeline's order."""

    at: dt.datetime
    source: str
    id: UUID | int

    def encode(self) -> str:
        return f"{self.at.isoformat()}~{self.source}~{self.id}"

    @classmethod
    def decode(cls, raw: str) -> Position:
        """The position ``encode`` wrote; ValidationFailed for anything else."""
        at, _, rest = raw.partition("~")
        source, _, pk = rest.partition("~")
        moment = dateparse.parse_datetime(at)
        try:
            if moment is None or source not in _RANK:
                raise ValueError(raw)
            return cls(
                at=moment if timezone.is_aware(moment) else timezone.make_aware(moment),
                source=source,
                id=int(pk) if source == HISTORY else UUID(pk),
            )
        except ValueError:
            raise errors.ValidationFailed(
                "That is not a position on the timeline: follow “Show older” "
                "from the record page.",
                field="before",
            ) from None


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    object_type: ObjectType
    row: Row | None = None
    change: FieldChange | None = None
    field: FieldSpec | None = None
    #: The day an activity is dated by when its date field is a date (a task's
    #: due date): shown as that day, not as the moment it starts.
    day: dt.date | None = None

    @property
    def is_change(self) -> bool:
        return self.change is not None

    @property
    def position(self) -> Position:
        if self.change is not None:
            return Position(self.at, HISTORY, self.change.pk)
        return Position(self.at, self.object_type.api_name, self.row.pk)

    def sort_key(self) -> tuple:
        """Ascending as the timeline runs backwards: newest last."""
        position = self.position
        return (position.at, -_RANK[position.source], position.id)


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    #: Where the next (older) page starts, when there is one.
    older: Position | None


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


class _Midnight(Func):
    """The moment a date starts: in the current time zone on PostgreSQL, in
    UTC on SQLite (which keeps datetimes as UTC text and knows no zones)."""

    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        zone = timezone.get_current_timezone_name()
        return f"(({sql})::timestamp AT TIME ZONE %s)", (*params, zone)

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) || ' 00:00:00')", params


def _when(activity: ObjectType) -> FieldSpec | None:
    """The column that dates ``activity`` besides ``created_at``, if any."""
    spec = activity.find_field(WHEN.get(activity.api_name, "created_at"))
    if spec is None or spec.name == "created_at" or spec.storage is not Storage.COLUMN:
        return None
    return spec


def _moment(activity: ObjectType) -> Any:
    """The moment that dates an activity, as SQL: its date field (a date from
    its midnight), or when it was created while that is empty."""
    spec = _when(activity)
    if spec is None:
        return F("created_at")
    when = F(spec.column)
    if spec.type.key == "date":
        when = _Midnight(when)
    return Coalesce(when, F("created_at"), output_field=DateTimeField())


def _older(source: str, before: Position | None) -> Q:
    """The rows of ``source`` after ``before`` in the timeline's order, by
    their moment ``_at`` and id."""
    if before is None:
        return Q()
    rank, theirs = _RANK[source], _RANK[before.source]
    if rank > theirs:
        return Q(_at__lte=before.at)
    if rank < theirs:
        return Q(_at__lt=before.at)
    return Q(_at__lt=before.at) | Q(_at=before.at, pk__lt=before.id)


def _about(
    ctx: Context,
    object_type: ObjectType,
    record_id: UUID,
    activity: ObjectType,
    via: FieldSpec | None,
) -> Q:
    """The activities about the record: through ``via``, or associated with
    it either way (subqueries, so that none is missed however many)."""
    pairs = Association.objects.filter(workspace=ctx.workspace)
    about = Q(
        pk__in=pairs.filter(
            to_object=object_type.api_name,
            to_id=record_id,
            from_object=activity.api_name,
        ).values("from_id")
    ) | Q(
        pk__in=pairs.filter(
            from_object=object_type.api_name,
            from_id=record_id,
            to_object=activity.api_name,
        ).values("to_id")
    )
    if via is not None:
        pointing = Query.from_json(
            ctx, activity.api_name, {"filters": [[via.name, "=", str(record_id)]]}
        )
        about |= compile.where_q(ctx, pointing.where)
    return about


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


def _activities(
    ctx: Context,
    object_type: ObjectType,
    record_id: UUID,
    activity: ObjectType,
    via: FieldSpec | None,
    before: Position | None,
    limit: int,
) -> list[Entry]:
    """The newest ``limit`` activities of one object after ``before``: one
    query, plus one per lookup the entry shows (the owner's name)."""
    query = Query.from_json(
        ctx, activity.api_name, {"fields": fields_for(activity), "limit": limit}
    )
    qs: QuerySet = (
        reads.base(ctx, query)
        .filter(_about(ctx, object_type, record_id, activity, via))
        .annotate(_at=_moment(activity))
        .filter(_older(activity.api_name, before))
        .order_by("-_at", "-pk")
    )
    selected, index = select.values(qs, query.fields, query.expand, "_at")
    raws = list(selected[:limit])
    rows = select.build(ctx, activity, raws, index, query.fields, query.expand)
    when = _when(activity)
    dated = when is not None and when.type.key == "date"
    return [
        Entry(
            at=raw[index["_at"]],
            object_type=activity,
            row=row,
            day=dateparse.parse_date(row.get(when.name) or "") if dated else None,
        )
        for raw, row in zip(raws, rows, strict=True)
    ]


def _history(
    ctx: Context,
    object_type: ObjectType,
    record_id: UUID,
    before: Position | None,
    limit: int,
) -> list[Entry]:
    """The newest ``limit`` changes of the record's fields after ``before``
    (one query; changes of fields removed since are not shown)."""
    changes = (
        FieldChange.objects.filter(
            workspace=ctx.workspace,
            object_name=object_type.api_name,
            record_id=record_id,
            field__in=list(object_type.fields),
        )
        .alias(_at=F("changed_at"))
        .filter(_older(HISTORY, before))
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")[:limit]
    )
    return [
        Entry(
            at=change.changed_at,
            object_type=object_type,
            change=change,
            field=object_type.fields[change.field],
        )
        for change in changes
    ]


def timeline(
    ctx: Context,
    object_name: str,
    record_id: UUID,
    *,
    limit: int = PAGE_SIZE,
    before: str = "",
) -> Page:
    """The newest ``limit`` entries about one record, newest first, after the
    position ``before`` (``Position.encode``) when given. NotFound when the
    record is not visible to the context; ValidationFailed for a ``before``
    that is not a position."""
    object_type = registry.get(ctx, object_name)
    after = Position.decode(before) if before else None
    if not visibility.readable(ctx, object_type).filter(pk=record_id).exists():
        raise errors.NotFound(f"No {object_type.label} with id {record_id}.")
    # One more than the page from each source: if the merge holds more than
    # ``limit``, there are older entries.
    entries: list[Entry] = []
    for activity, via in links(ctx, object_type):
        entries += _activities(
            ctx, object_type, record_id, activity, via, after, limit + 1
        )
    entries += _history(ctx, object_type, record_id, after, limit + 1)
    entries.sort(key=Entry.sort_key, reverse=True)
    shown = entries[:limit]
    older = shown[-1].position if len(entries) > limit else None
    return Page(shown, older)
