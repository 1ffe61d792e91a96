"""Pipeline totals kept by the lifecycle: ``StageTotal`` rows, moved by the
events it writes.

Every change of a record reaches ``outbox.emit`` as an event with the
record's full state before and after, so the totals follow from the events
alone: a created or restored record adds its (pipeline, stage, owner) and
amount, a deleted one takes them away (a purged one left with its delete), an
update moves them when one of them changed. ``move`` applies a batch of
events as one upsert per touched key, keys in a fixed order (two
transactions never wait on each other's rows in opposite orders), inside the
caller's transaction. ``rebuild`` recounts from the rows themselves: after
bulk loads that bypass the lifecycle (``seed_demo``) and for ops
(``manage.py rebuild_totals``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Count, Sum

from accounts.models import Workspace
from crm.metadata import registry
from crm.metadata.types import ObjectType
from crm.models import OutboxEvent, StageTotal
from crm.query import totals as query_totals

Kind = OutboxEvent.Kind
Key = tuple[UUID, str, str, str, str]
_ADDS = {Kind.CREATED: 1, Kind.RESTORED: 1}
#: Stage changes come with their update; purged records are counted out
#: already (their ``deleted`` event took them away).
_IGNORED = frozenset({Kind.STAGE_CHANGED, Kind.PURGED})
_TABLE = StageTotal._meta.db_table


def cents(value: Any) -> int | None:
    """An amount (as a snapshot holds it, or a Decimal) in whole cents."""
    if value is None or value == "":
        return None
    return int((Decimal(str(value)) * 100).to_integral_value())


def owner_key(value: Any) -> str:
    if value in (None, ""):
        return ""
    return value.hex if isinstance(value, UUID) else UUID(str(value)).hex


def _place(object_type: ObjectType, state: Mapping[str, Any]):
    key = (
        state.get("pipeline") or "",
        state.get(object_type.pipeline_field) or "",
        owner_key(state.get("owner")),
    )
    amount = (
        cents(state.get(object_type.amount_field)) if object_type.amount_field else None
    )
    return key, amount


class _Deltas:
    def __init__(self) -> None:
        self.rows: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, workspace_id: UUID, object_type, state, sign: int) -> None:
        (pipeline, stage, owner), amount = _place(object_type, state)
        row = self.rows[(workspace_id, object_type.api_name, pipeline, stage, owner)]
        row[0] += sign
        if amount is not None:
            row[1] += sign
            row[2] += sign * amount

    def changed(self) -> list[tuple[Key, list[int]]]:
        return sorted((k, v) for k, v in self.rows.items() if any(v))


def move(events: Iterable[OutboxEvent]) -> None:
    """Apply the totals' share of ``events``; call where they are written."""
    deltas = _Deltas()
    types: dict[tuple[UUID, str], ObjectType | None] = {}
    for event in events:
        slot = (event.workspace_id, event.object_name)
        if slot not in types:
            found = registry.for_workspace(event.workspace).find(event.object_name)
            types[slot] = found if query_totals.tracked(found) else None
        object_type = types[slot]
        if object_type is None or event.event in _IGNORED:
            continue
        if event.event in _ADDS:
            deltas.add(event.workspace_id, object_type, event.after, 1)
        elif event.event == Kind.DELETED:
            deltas.add(event.workspace_id, object_type, event.before, -1)
        elif _place(object_type, event.before) != _place(object_type, event.after):
            deltas.add(event.workspace_id, object_type, event.before, -1)
            deltas.add(event.workspace_id, object_type, event.after, 1)
    changed = deltas.changed()
    if changed:
        _upsert(changed)


#: Keys per statement (8 parameters each: well under SQLite's limit).
_BATCH = 100


def _workspace_db(workspace_id: UUID) -> Any:
    field = StageTotal._meta.get_field("workspace")
    return field.get_db_prep_value(workspace_id, connection)


def _upsert(changed: list[tuple[Key, list[int]]]) -> None:
    columns = "workspace_id, object_name, pipeline, stage, owner_key"
    sums = ("count", "amount_count", "amount_cents")
    added = ", ".join(f"{c} = {_TABLE}.{c} + excluded.{c}" for c in sums)
    with connection.cursor() as cursor:
        for start in range(0, len(changed), _BATCH):
            batch = changed[start : start + _BATCH]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(batch))
            cursor.execute(
                f"INSERT INTO {_TABLE} ({columns}, {', '.join(sums)}) "
                f"VALUES {values} ON CONFLICT ({columns}) DO UPDATE SET {added}",
                [
                    value
                    for (workspace_id, *rest), row in batch
                    for value in (_workspace_db(workspace_id), *rest, *row)
                ],
            )


def rebuild(workspace: Workspace, object_names: Iterable[str] | None = None) -> int:
    """Recount the totals of ``workspace`` from its live records (every
    pipeline object, or those named); returns how many rows it wrote."""
    types = registry.for_workspace(workspace)
    wanted = [
        t
        for t in types.types
        if query_totals.tracked(t)
        and (object_names is None or t.api_name in set(object_names))
    ]
    written = 0
    with transaction.atomic():
        for object_type in wanted:
            StageTotal.objects.filter(
                workspace=workspace, object_name=object_type.api_name
            ).delete()
            sums = {"n": Count("pk")}
            if object_type.amount_field:
                sums |= {
                    "amounts": Count(object_type.amount_field),
                    "amount": Sum(object_type.amount_field),
                }
            groups = (
                object_type.queryset(workspace)
                .order_by()
                .values("pipeline", object_type.pipeline_field, "owner_id")
                .annotate(**sums)
            )
            rows = [
                StageTotal(
                    workspace=workspace,
                    object_name=object_type.api_name,
                    pipeline=group["pipeline"] or "",
                    stage=group[object_type.pipeline_field] or "",
                    owner_key=owner_key(group["owner_id"]),
                    count=group["n"],
                    amount_count=group.get("amounts", 0),
                    amount_cents=cents(group.get("amount")) or 0,
                )
                for group in groups
            ]
            StageTotal.objects.bulk_create(rows, batch_size=1000)
            written += len(rows)
    return written
