"""Checks a standard model declares in its ``CRM`` class, beyond single fields.

- ``transitions``: field → value → the values an existing record may move to
  from it. A value the mapping does not name moves freely; a new record may
  start at any value.
- ``required_one_of``: groups of fields of which at least one must be set.
- ``unique_together``: groups of column fields whose values, all set, are held
  by at most one live record of the workspace.

``crm.records.validation`` runs them with its stages: the first two with the
required fields, the last with the unique values. Custom objects declare none.
Values a model declares the lifecycle keeps (``rollups``, ``auto_numbers``)
are read with ``option`` by ``crm.records.rollups`` and
``crm.records.numbering``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from accounts import errors
from accounts.access import Context
from accounts.errors import FieldError
from crm.metadata.types import FieldSpec, ObjectType

if TYPE_CHECKING:
    from crm.records.validation import Pending


def option(object_type: ObjectType, name: str) -> Any:
    """What the object's model declares as ``name`` in its ``CRM`` class
    (None when nothing, and for custom objects)."""
    if object_type.is_custom:
        return None
    return getattr(getattr(object_type.model, "CRM", None), name, None)


@lru_cache(maxsize=1024)
def transitions(object_type: ObjectType) -> dict[str, dict[str, frozenset[str]]]:
    """field → value → the values it may change to."""
    declared = option(object_type, "transitions") or {}
    return {
        name: {value: frozenset(to) for value, to in moves.items()}
        for name, moves in declared.items()
        if name in object_type.fields
    }


def _groups(object_type: ObjectType, name: str) -> tuple[tuple[FieldSpec, ...], ...]:
    declared = option(object_type, name) or ()
    return tuple(
        tuple(object_type.fields[n] for n in group)
        for group in declared
        if all(n in object_type.fields for n in group)
    )


@lru_cache(maxsize=1024)
def required_one_of(object_type: ObjectType) -> tuple[tuple[FieldSpec, ...], ...]:
    return _groups(object_type, "required_one_of")


@lru_cache(maxsize=1024)
def unique_together(object_type: ObjectType) -> tuple[tuple[FieldSpec, ...], ...]:
    return _groups(object_type, "unique_together")


def _label(spec: FieldSpec, value: Any) -> str:
    choice = spec.choice(value) if isinstance(value, str) and spec.choices else None
    return choice.label if choice else str(value)


def _either(specs: Sequence[FieldSpec]) -> str:
    labels = [spec.label for spec in specs]
    if len(labels) == 2:
        return f"Either {labels[0]} or {labels[1]} is required."
    return f"One of {', '.join(labels)} is required."


def first_stage(
    object_type: ObjectType, item: Pending, problems: list[FieldError]
) -> None:
    """Add to ``problems`` the groups left empty and the moves not allowed."""
    for group in required_one_of(object_type):
        if all(spec.type.is_empty(item.state.get(spec.name)) for spec in group):
            problems.append(FieldError(group[0].name, _either(group)))
    if item.before is None:
        return
    for name, moves in transitions(object_type).items():
        old, new = item.before.get(name), item.state.get(name)
        if name not in item.changed or old == new or old not in moves:
            continue
        allowed = moves[old]
        if new in allowed:
            continue
        spec = object_type.fields[name]
        was = _label(spec, old)
        if allowed:
            onward = " or ".join(_label(spec, v) for v in sorted(allowed))
            hint = f"from {was} it may go to {onward}"
        else:
            hint = f"{was} is final"
        problems.append(
            FieldError(
                name,
                f"{spec.label} cannot go from {was} to {_label(spec, new)}; {hint}.",
            )
        )


def unique_stage(ctx: Context, object_type: ObjectType, items: Sequence[Pending]):
    """Set a DuplicateValue ``error`` on items whose group values another
    live record (or an earlier item) holds: one query per group."""
    for group in unique_together(object_type):
        names = {spec.name for spec in group}
        wanted: list[tuple[Pending, tuple]] = []
        for item in items:
            if item.error is not None or not names & item.changed:
                continue
            key = tuple(item.state.get(spec.name) for spec in group)
            if not any(
                spec.type.is_empty(v) for spec, v in zip(group, key, strict=True)
            ):
                wanted.append((item, key))
        if not wanted:
            continue
        qs = object_type.queryset(ctx.workspace).filter(
            **{
                f"{spec.column}__in": list({key[i] for _, key in wanted})
                for i, spec in enumerate(group)
            }
        )
        owners: dict[Hashable, set] = {}
        held_by: dict[Any, Hashable] = {}
        for pk, *values in qs.values_list("pk", *(spec.column for spec in group)):
            owners.setdefault(tuple(values), set()).add(pk)
            held_by[pk] = tuple(values)
        together = " and ".join(spec.label for spec in group)
        for item, key in wanted:
            me = item.record_id or item
            if any(
                other != me and held_by.get(other) == key
                for other in owners.get(key, ())
            ):
                message = f"Another {object_type.label} already has this {together}."
                item.error = errors.DuplicateValue.from_errors(
                    [FieldError(group[-1].name, message)]
                )
                continue
            owners.setdefault(key, set()).add(me)
            held_by[me] = key
