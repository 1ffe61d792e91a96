"""Figures of a parent record kept from its live children: the ``rollups`` a
child model declares in its ``CRM`` class,

    rollups = {"quote": {"subtotal": ("sum", "total_price")}}

(lookup to the parent → field of the parent → (aggregate, field of the
child); the aggregate is ``sum``, ``count``, ``min`` or ``max``, ``count``
taking no field). The parent field is read-only: only this writes it.

The figures follow from the events the lifecycle writes, as the pipeline
totals do: a child created or restored counts for the parent its ``after``
names, one deleted to the recycle bin stops counting for the parent its
``before`` names, an update counts when it moves the lookup or the field
aggregated (for both parents when the lookup moved). A purged child left
the figures when it went to the bin. ``recompute`` locks the touched live
parents (in id order, before reading their children, so two transactions
adding children to one parent see each other's), reads each figure with one
grouped query for all of them and answers the parents whose figures changed,
as changes for ``crm.records.updating.write``: the lifecycle's batch update
path, so each changed parent is written once per batch, stamped, with
history and an ``updated`` event, whose own rollups follow in turn. No
access or validation check: the figure is the system's. Parents in the
recycle bin are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.db.models import Count, Max, Min, Sum

from accounts.access import Context
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType, Storage
from crm.models import OutboxEvent
from crm.records import declared, steps

Kind = OutboxEvent.Kind
_AGGREGATES = {"sum": Sum, "count": Count, "min": Min, "max": Max}
#: The parent a kind of event counts for: the state after, or before.
_AFTER = frozenset({Kind.CREATED, Kind.RESTORED})
_BEFORE = frozenset({Kind.DELETED})


@dataclass(frozen=True, eq=False)
class Rollup:
    """One kept figure: ``field`` of the ``parent`` object is ``op`` of
    ``of`` over the live ``child`` records whose ``lookup`` names it."""

    child: ObjectType
    lookup: FieldSpec
    parent: str
    field: FieldSpec
    op: str
    of: FieldSpec | None

    def parents_of(self, event: OutboxEvent) -> set[UUID]:
        """The parents whose figure the event may change."""
        name = self.lookup.name
        if event.event in _AFTER:
            states = [event.after]
        elif event.event in _BEFORE:
            states = [event.before]
        elif event.event == Kind.UPDATED:
            before, after = event.before or {}, event.after or {}
            moved = before.get(name) != after.get(name)
            if not moved and (
                self.of is None or before.get(self.of.name) == after.get(self.of.name)
            ):
                return set()
            states = [before, after]
        else:
            return set()
        return {UUID(str(s[name])) for s in states if s and s.get(name) is not None}

    @property
    def empty(self) -> Any:
        """The figure of a parent without children."""
        return Decimal(0) if self.op == "sum" else 0 if self.op == "count" else None

    def figures(self, ctx: Context, parent_ids: Sequence[UUID]) -> dict[UUID, Any]:
        """The figure of each of ``parent_ids`` that has live children."""
        column = self.lookup.column
        aggregate = (
            Count("pk") if self.of is None else _AGGREGATES[self.op](self.of.column)
        )
        rows = (
            self.child.queryset(ctx.workspace)
            .filter(**{f"{column}__in": list(parent_ids)})
            .order_by()
            .values(column)
            .annotate(_figure=aggregate)
            .values_list(column, "_figure")
        )
        return {parent: self.clean(value) for parent, value in rows}

    def clean(self, value: Any) -> Any:
        """A figure as the parent's field holds it: a count as a whole
        number, a sum to the field's decimal places, min and max as read."""
        if value is None:
            return self.empty
        if self.op == "count":
            return int(value)
        if self.op == "sum" and self.field.decimal_places is not None:
            places = Decimal(1).scaleb(-self.field.decimal_places)
            return Decimal(str(value)).quantize(places)
        return value


def _column(object_type: ObjectType, name: str, what: str) -> FieldSpec:
    spec = object_type.fields.get(name)
    if spec is None or spec.storage is not Storage.COLUMN:
        raise TypeError(
            f"rollups of {object_type.api_name}: {what} '{name}' is no column "
            f"of {object_type.api_name}."
        )
    return spec


@lru_cache(maxsize=1024)
def of_child(object_type: ObjectType) -> tuple[Rollup, ...]:
    """The figures a child object's records feed (none for custom objects).
    TypeError for a declaration naming no column lookup, parent field or
    child field, or an unknown aggregate."""
    found = []
    for lookup_name, kept in (declared.option(object_type, "rollups") or {}).items():
        lookup = _column(object_type, lookup_name, "the lookup")
        if not lookup.is_lookup or lookup.target in (None, "user"):
            raise TypeError(
                f"rollups of {object_type.api_name}: {lookup_name} is no lookup."
            )
        parent = next(
            t for t in registry.standard_types() if t.api_name == lookup.target
        )
        for field_name, (op, of_name) in kept.items():
            if op not in _AGGREGATES or (of_name is None) != (op == "count"):
                raise TypeError(
                    f"rollups of {object_type.api_name}: ({op!r}, {of_name!r}) is "
                    "no aggregate; use sum, min or max of a field, or count."
                )
            field = _column(parent, field_name, "the parent field")
            if not field.read_only:
                raise TypeError(
                    f"rollups of {object_type.api_name}: {parent.api_name}."
                    f"{field_name} is kept, so it must be read-only."
                )
            of = None if of_name is None else _column(object_type, of_name, "field")
            found.append(Rollup(object_type, lookup, parent.api_name, field, op, of))
    return tuple(found)


def recompute(
    ctx: Context, events: Iterable[OutboxEvent]
) -> list[tuple[ObjectType, list[tuple]]]:
    """Per parent object, the changes (record, before, after, changed fields)
    the events make to the figures of its live parents, the parents locked;
    call inside the transaction that wrote the events."""
    types = registry.for_workspace(ctx.workspace)
    feeds: dict[str, tuple[Rollup, ...]] = {}
    touched: dict[str, dict[Rollup, set[UUID]]] = {}
    for event in events:
        if event.object_name not in feeds:
            child = types.find(event.object_name)
            feeds[event.object_name] = () if child is None else of_child(child)
        for rollup in feeds[event.object_name]:
            ids = rollup.parents_of(event)
            if ids:
                mine = touched.setdefault(rollup.parent, {})
                mine.setdefault(rollup, set()).update(ids)
    found = []
    for parent_name, by_rollup in sorted(touched.items()):
        parent_type = types.find(parent_name)
        ids = set().union(*by_rollup.values())
        locked = list(
            parent_type.queryset(ctx.workspace)
            .select_for_update()
            .filter(pk__in=list(ids))
            .order_by("pk")
        )
        if not locked:
            continue
        live = [record.pk for record in locked]
        figures = [(rollup, rollup.figures(ctx, live)) for rollup in by_rollup]
        changes = []
        for record in locked:
            values = {
                rollup.field.name: held.get(record.pk, rollup.empty)
                for rollup, held in figures
            }
            before, _state, after, changed = steps.change(parent_type, record, values)
            if changed:
                changes.append((record, before, after, changed))
        if changes:
            found.append((parent_type, changes))
    return found
