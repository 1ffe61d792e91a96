"""ObjectQL filter lists, parsed against an object's fields.

A filter list is ``[[field, operator, value…], …]`` combined with AND. Parsing
names the offending field, operator or value in a ValidationFailed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from accounts import errors
from crm.metadata import field_types
from crm.metadata.types import FieldSpec, ObjectType

#: Operators that take no value.
UNARY = frozenset({"is_null", "is_not_null"}) | (
    field_types.RELATIVE_DATES - {"in_year", "last_n_days", "next_n_days"}
)
#: Operators whose value is a list.
LISTS = frozenset({"in", "not_in"})
CURRENT_USER = "$currentUser"


@dataclass(frozen=True, slots=True)
class Condition:
    spec: FieldSpec
    op: str
    value: Any = None


def _fail(message: str, field: str | None) -> errors.ValidationFailed:
    return errors.ValidationFailed(message, field=field)


def _clean_value(spec: FieldSpec, op: str, raw: Any) -> Any:
    if raw == CURRENT_USER and spec.type.key in ("user", "lookup"):
        return CURRENT_USER
    if op in ("contains", "starts_with", "ends_with", "like"):
        if not isinstance(raw, str):
            raise _fail(f"'{op}' on {spec.name} needs a text value.", spec.name)
        return raw
    try:
        return spec.type.clean(spec, raw)
    except ValueError as exc:
        raise _fail(f"Bad value for {spec.name}: {exc}", spec.name) from None


def parse_one(object_type: ObjectType, raw: Sequence[Any]) -> Condition:
    """One ``[field, op, value…]`` triple as a Condition."""
    if not isinstance(raw, list | tuple) or len(raw) < 2 or not isinstance(raw[0], str):
        raise _fail(f"A filter is [field, operator, value]; got {str(raw)[:80]}.", None)
    name, op, *rest = raw
    spec = object_type.field(name)
    if not isinstance(op, str):
        raise _fail(f"The operator for {spec.name} must be text.", spec.name)
    op = op.strip().lower()
    if op not in spec.type.operators:
        raise _fail(
            f"'{op}' does not apply to {spec.name} ({spec.type.label}).", spec.name
        )
    if op in UNARY:
        if rest:
            raise _fail(f"'{op}' on {spec.name} takes no value.", spec.name)
        return Condition(spec, op)
    if len(rest) == 2 and op == "between":
        rest = [rest]
    if len(rest) != 1:
        raise _fail(f"'{op}' on {spec.name} takes one value.", spec.name)
    value = rest[0]
    if op == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise _fail(f"'between' on {spec.name} needs two values.", spec.name)
        return Condition(spec, op, tuple(_clean_value(spec, op, v) for v in value))
    if op in LISTS:
        if not isinstance(value, list | tuple):
            raise _fail(f"'{op}' on {spec.name} needs a list.", spec.name)
        return Condition(spec, op, tuple(_clean_value(spec, op, v) for v in value))
    if op in ("in_year", "last_n_days", "next_n_days"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _fail(f"'{op}' on {spec.name} needs a whole number.", spec.name)
        return Condition(spec, op, value)
    if op in ("in_role_subordinates", "in_group"):
        return Condition(spec, op, value)
    return Condition(spec, op, _clean_value(spec, op, value))


def parse(object_type: ObjectType, raw: Any) -> tuple[Condition, ...]:
    """A whole filter list (AND); ValidationFailed naming what is wrong."""
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list | tuple):
        raise _fail("Filters are a list of [field, operator, value] lists.", None)
    if raw and isinstance(raw[0], str):
        raw = [raw]
    return tuple(parse_one(object_type, item) for item in raw)
