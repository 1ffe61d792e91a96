"""ObjectQL filter lists, parsed and typed against an object's fields.

A filter list is ``[[field, operator, value…], …]`` combined with AND; filter
groups are OR-ed lists of those. A condition may also be a HubSpot filter
(``{"propertyName", "operator", "value" | "values" | "highValue"}``). Parsing
cleans every value with its field type and names the offending field, operator
or value in a ValidationFailed. ``$currentUser``, roles and groups are bound to
the caller later (``crm.query.people``), so a parsed filter can be stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from accounts import errors
from accounts.access import Context
from crm.metadata.types import FieldSpec, ObjectType
from crm.query import operators, paths
from crm.query.operators import CURRENT_USER, LISTS, UNARY

#: Kept for callers that import the names from here.
__all__ = ["CURRENT_USER", "LISTS", "UNARY", "Condition", "parse", "parse_groups"]

Where = tuple[tuple["Condition", ...], ...]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Condition:
    """One typed test of one field. ``path`` is set when the field is reached
    through lookups (``account.industry``); ``spec`` is then its last field."""

    spec: FieldSpec
    op: str
    value: Any = None
    path: paths.Path | None = None

    @property
    def name(self) -> str:
        return self.path.name if self.path else self.spec.name


def _fail(message: str, field: str | None) -> errors.ValidationFailed:
    return errors.ValidationFailed(message, field=field)


def is_ascii_number(raw: Any) -> bool:
    """Whether ``raw`` is text of ASCII digits 0-9 (``str.isdigit`` also takes
    ``²``, which ``int`` refuses, and ``٣``, which it reads as 3)."""
    return isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit()


def _epoch_ms(spec: FieldSpec, raw: Any, name: str) -> Any:
    """HubSpot sends dates as epoch milliseconds; turn them into datetimes.
    ValidationFailed for an epoch outside the years 1 to 9999."""
    if spec.type.key not in ("date", "datetime") or isinstance(raw, bool):
        return raw
    if is_ascii_number(raw) and len(raw.strip()) >= 9:
        raw = int(raw.strip())
    if isinstance(raw, int) and abs(raw) >= 10**8:
        try:
            return _EPOCH + dt.timedelta(milliseconds=raw)
        except OverflowError:
            raise _fail(
                f"Bad value for {name}: {raw} epoch milliseconds is outside "
                "the years 1 to 9999.",
                name,
            ) from None
    return raw


def _date_only(spec: FieldSpec, raw: Any) -> Any:
    """A bare date given for a date-time field means its midnight, local time."""
    if spec.type.key != "datetime" or not isinstance(raw, str | dt.date):
        return raw
    if isinstance(raw, dt.datetime):
        return raw
    try:
        day = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(raw.strip())
    except ValueError:
        return raw
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def clean_value(spec: FieldSpec, op: str, raw: Any, name: str) -> Any:
    """One operand of ``op``, typed by the field (raises ValidationFailed)."""
    if raw == CURRENT_USER:
        if spec.target == "user":
            return CURRENT_USER
        raise _fail(f"$currentUser only applies to user fields, not {name}.", name)
    if spec.type.key == "multi_picklist":
        raw = [raw] if not isinstance(raw, list) else raw
        try:
            cleaned = spec.type.clean(spec, raw)
        except ValueError as exc:
            raise _fail(f"Bad value for {name}: {exc}", name) from None
        if len(cleaned) != 1:
            raise _fail(f"'{op}' on {name} takes one choice per value.", name)
        return cleaned[0]
    if op in operators.TEXT_MATCH:
        if not isinstance(raw, str) or not raw:
            raise _fail(f"'{op}' on {name} needs non-empty text.", name)
        return raw
    if spec.type.is_empty(raw):
        raise _fail(f"'{op}' on {name} needs a value; use is_null for empty.", name)
    try:
        cleaned = spec.type.clean(spec, _date_only(spec, _epoch_ms(spec, raw, name)))
    except ValueError as exc:
        raise _fail(f"Bad value for {name}: {exc}", name) from None
    if spec.type.is_empty(cleaned):
        raise _fail(f"'{op}' on {name} needs a value; use is_null for empty.", name)
    return cleaned


def _blank(spec: FieldSpec, raw: Any) -> bool:
    """An operand that means "empty" (``["x", "=", null]`` is ``is_null``)."""
    return spec.type.is_empty(raw) or (isinstance(raw, str) and not raw.strip())


def _whole_number(op: str, raw: Any, name: str) -> int:
    if is_ascii_number(raw):
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise _fail(f"'{op}' on {name} needs a whole number.", name)
    if op == "in_year" and not 1 <= raw <= 9998:
        raise _fail(f"'in_year' on {name} needs a year.", name)
    if op != "in_year" and raw > 36_500:
        raise _fail(f"'{op}' on {name} covers at most 36500 days.", name)
    return raw


def _people(op: str, raw: Any, name: str) -> Any:
    """A role or group reference: an id, a name, or a list of them (groups)."""
    items = raw if isinstance(raw, list | tuple) and op == "in_group" else [raw]
    if not items:
        raise _fail(f"'{op}' on {name} needs a value.", name)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | str) or item == "":
            raise _fail(f"'{op}' on {name} needs a role or group id or name.", name)
    return tuple(items) if op == "in_group" else raw


def _split(raw: Any) -> tuple[str, str, list[Any]]:
    """(field, operator, operands) of a list or HubSpot-style dict condition."""
    if isinstance(raw, Mapping):
        name = raw.get("propertyName", raw.get("field"))
        op = raw.get("operator", raw.get("op"))
        if not isinstance(name, str) or not isinstance(op, str):
            raise _fail(
                "A filter needs a field (propertyName) and an operator.",
                name if isinstance(name, str) else None,
            )
        unknown = set(raw) - {
            "propertyName",
            "field",
            "operator",
            "op",
            "value",
            "values",
            "highValue",
        }
        if unknown:
            raise _fail(f"Unknown filter key '{sorted(unknown)[0]}'.", name)
        if "values" in raw:
            return name, op, [raw["values"]]
        if "highValue" in raw:
            return name, op, [[raw.get("value"), raw["highValue"]]]
        return name, op, ([raw["value"]] if "value" in raw else [])
    if not isinstance(raw, list | tuple) or len(raw) < 2 or not isinstance(raw[0], str):
        raise _fail(f"A filter is [field, operator, value]; got {str(raw)[:80]}.", None)
    name, op, *rest = raw
    if not isinstance(op, str):
        raise _fail(f"The operator for {name} must be text.", name)
    return name, op, rest


def parse_one(
    object_type: ObjectType, raw: Sequence[Any] | Mapping, ctx: Context | None = None
) -> Condition:
    """One condition. With ``ctx``, the field may be a dot path."""
    name, raw_op, rest = _split(raw)
    path = paths.resolve(ctx, object_type, name)
    spec = path.leaf
    name = path.name
    op = operators.canonical(raw_op)
    if op is None:
        raise _fail(f"'{raw_op}' is not an operator (filter on {name}).", name)
    if op in ("=", "!=") and len(rest) == 1 and _blank(spec, rest[0]):
        op, rest = ("is_null" if op == "=" else "is_not_null"), []
    if op not in spec.type.operators:
        raise _fail(f"'{op}' does not apply to {name} ({spec.type.label}).", name)
    where = None if path.is_local else path
    if op in UNARY:
        if rest:
            raise _fail(f"'{op}' on {name} takes no value.", name)
        return Condition(spec, op, None, where)
    if len(rest) == 2 and op == "between":
        rest = [rest]
    if len(rest) != 1:
        raise _fail(f"'{op}' on {name} takes one value.", name)
    value = rest[0]
    if op == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise _fail(f"'between' on {name} needs two values.", name)
        low, high = (clean_value(spec, op, v, name) for v in value)
        return Condition(spec, op, (low, high), where)
    if op in LISTS:
        if isinstance(value, str) and spec.type.key not in ("text", "long_text"):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not value:
            raise _fail(f"'{op}' on {name} needs a non-empty list.", name)
        if len(value) > 1000:
            raise _fail(f"'{op}' on {name} takes at most 1000 values.", name)
        cleaned = tuple(dict.fromkeys(clean_value(spec, op, v, name) for v in value))
        return Condition(spec, op, cleaned, where)
    if op in operators.COUNTED_DATES:
        return Condition(spec, op, _whole_number(op, value, name), where)
    if op in operators.PEOPLE:
        return Condition(spec, op, _people(op, value, name), where)
    return Condition(spec, op, clean_value(spec, op, value, name), where)


def parse(
    object_type: ObjectType, raw: Any, *, ctx: Context | None = None
) -> tuple[Condition, ...]:
    """A whole filter list (AND); ValidationFailed naming what is wrong.

    Without ``ctx`` only the object's own fields may be named (what a stored
    validation rule may use); with it, dot paths through lookups too.
    """
    if raw in (None, ""):
        return ()
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list | tuple):
        raise _fail("Filters are a list of [field, operator, value] lists.", None)
    if raw and isinstance(raw[0], str):
        raw = [raw]
    if len(raw) > 100:
        raise _fail("Use at most 100 filters.", None)
    return tuple(parse_one(object_type, item, ctx) for item in raw)


def parse_groups(
    object_type: ObjectType, raw: Any, *, ctx: Context | None = None
) -> Where:
    """Filter groups, OR-ed: ``[[cond, …], …]`` or HubSpot's
    ``[{"filters": [...]}, …]``."""
    if raw in (None, "", []):
        return ()
    if not isinstance(raw, list | tuple):
        raise _fail("Filter groups are a list of filter lists.", "filter_groups")
    if len(raw) > 25:
        raise _fail("Use at most 25 filter groups.", "filter_groups")
    groups = []
    for group in raw:
        if isinstance(group, Mapping):
            if set(group) - {"filters"}:
                raise _fail('A filter group is {"filters": [...]}.', "filter_groups")
            group = group.get("filters", [])
        groups.append(parse(object_type, group, ctx=ctx))
    return tuple(groups)


def combine(conditions: tuple[Condition, ...], groups: Where) -> Where:
    """``conditions AND (group₁ OR group₂ …)`` as OR-ed groups."""
    if not groups:
        return (conditions,) if conditions else ()
    return tuple(conditions + group for group in groups)
