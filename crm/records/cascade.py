"""What goes to the recycle bin with each of many deleted records.

A delete walks the registry's lookups: records whose lookup to a deleted
record says CASCADE go with it; one that says RESTRICT stops the delete.
``plan`` does this for many roots at once, with one query per lookup per
level, and answers as if the roots were deleted one after another in order:
a record reached from several roots goes with the first, a root reached from
an earlier root goes with it, and a RESTRICT lookup blocks a root unless the
record holding it goes first (with the same root or an earlier one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q

from accounts import errors
from accounts.access import Context
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType, OnDelete, Storage

#: object name → record id → the position of the root it goes with.
Owners = dict[str, dict[UUID, int]]


@dataclass
class Plan:
    #: Per root position: the ids going with it, per object (root type first).
    members: dict[int, dict[str, set[UUID]]]
    #: Per root position: why it may not be deleted.
    refusals: dict[int, errors.ReferenceConflict]


def lookup_in(spec: FieldSpec, ids: Iterable[UUID]) -> Q:
    """Records whose lookup ``spec`` points at any of ``ids``."""
    if spec.storage is Storage.COLUMN:
        return Q(**{f"{spec.column}__in": list(ids)})
    bag = "custom" if spec.storage is Storage.CUSTOM_JSON else "data"
    return Q(**{f"{bag}__{spec.name}__in": [str(i) for i in ids]})


def _pointing(ctx: Context, child: ObjectType, spec: FieldSpec, ids: Iterable[UUID]):
    """(id, target id) of live ``child`` records whose ``spec`` names ``ids``."""
    qs = child.queryset(ctx.workspace).filter(lookup_in(spec, ids))
    if spec.storage is Storage.COLUMN:
        return list(qs.values_list("pk", spec.column))
    bag = "custom" if spec.storage is Storage.CUSTOM_JSON else "data"
    return [(pk, UUID(held[spec.name])) for pk, held in qs.values_list("pk", bag)]


def _owners(
    ctx: Context, object_type: ObjectType, roots: list[UUID], active: set[int]
) -> Owners:
    owners: Owners = {object_type.api_name: {}}
    for pos in sorted(active):
        owners[object_type.api_name].setdefault(roots[pos], pos)
    frontier = [(object_type.api_name, dict(owners[object_type.api_name]))]
    while frontier:
        name, reached = frontier.pop()
        for child, spec in registry.referrers(ctx.workspace, name):
            if spec.on_delete is not OnDelete.CASCADE:
                continue
            mine = owners.setdefault(child.api_name, {})
            new: dict[UUID, int] = {}
            for pk, parent in _pointing(ctx, child, spec, reached):
                pos = owners[name][parent]
                if pk not in mine or pos < mine[pk]:
                    mine[pk] = new[pk] = pos
            if new:
                frontier.append((child.api_name, new))
    return {name: ids for name, ids in owners.items() if ids}


def _conflict(n: int, child: ObjectType, target: ObjectType, spec: FieldSpec):
    return errors.ReferenceConflict(
        f"{n} {child.label_plural if n > 1 else child.label} "
        f"still refer{'s' if n == 1 else ''} to this {target.label} "
        f"through {spec.label}; delete or change "
        f"{'them' if n > 1 else 'it'} first.",
        field=spec.name,
    )


def _blocked(ctx: Context, owners: Owners) -> dict[int, errors.ReferenceConflict]:
    types = registry.for_workspace(ctx.workspace)
    found: dict[int, errors.ReferenceConflict] = {}
    for name, ids in owners.items():
        for child, spec in registry.referrers(ctx.workspace, name):
            if spec.on_delete is not OnDelete.RESTRICT:
                continue
            counts: dict[int, int] = {}
            going = owners.get(child.api_name, {})
            for pk, target in _pointing(ctx, child, spec, ids):
                pos = ids[target]
                if pk not in going or going[pk] > pos:  # still there at pos
                    counts[pos] = counts.get(pos, 0) + 1
            for pos, n in counts.items():
                found.setdefault(pos, _conflict(n, child, types.find(name), spec))
    return found


def plan(ctx: Context, object_type: ObjectType, roots: list[UUID]) -> Plan:
    """What goes with each root; a refused root keeps what it would have
    taken for the roots after it."""
    active = set(range(len(roots)))
    refusals: dict[int, errors.ReferenceConflict] = {}
    while True:
        owners = _owners(ctx, object_type, roots, active)
        blocked = {p: e for p, e in _blocked(ctx, owners).items() if p in active}
        if not blocked:
            break
        refusals.update(blocked)
        active -= blocked.keys()
    members: dict[int, dict[str, set[UUID]]] = {}
    for name, ids in owners.items():
        for pk, pos in ids.items():
            members.setdefault(pos, {}).setdefault(name, set()).add(pk)
    return Plan(members=members, refusals=refusals)
