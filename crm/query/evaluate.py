"""The in-memory back end of ObjectQL: does one record match a filter?

Used where one record is at hand (validation rules, webhook filters). It must
agree with the ORM compiler on every operator; a property test holds them
equal. The shared semantics:

- ``is_null`` / ``is_not_null`` test the field type's notion of empty
  (``None``, ``""``, an empty list).
- Every other operator is false on an empty value, as in SQL: ``!=`` and
  ``not_in`` do not match records where the field is empty.
- Text matching (``contains``, ``starts_with``, ``ends_with``, ``like``) ignores
  case; ``=`` and ordering compare exactly.
- Relative dates are half-open day ranges (``crm.query.dates``) in the current
  time zone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.utils import timezone

from accounts import errors
from accounts.access import Context
from crm.query import dates, operators, people
from crm.query.filters import Condition, Where


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date()
    return value


@lru_cache(maxsize=512)  # patterns come from users: keep the cache bounded
def like_pattern(pattern: str) -> re.Pattern:
    """SQL LIKE (``%`` any run, ``_`` one character, no escape), ignoring case."""
    parts = [
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern
    ]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _text_match(op: str, text: str, needle: str) -> bool:
    if op == "like":
        return like_pattern(needle).fullmatch(text) is not None
    text, needle = text.lower(), needle.lower()
    if op == "contains":
        return needle in text
    if op == "starts_with":
        return text.startswith(needle)
    return text.endswith(needle)


def _list_holds(op: str, picked: set, want: Any) -> bool:
    if op == "contains":
        return want in picked
    if op == "in":
        return bool(picked & set(want))
    return not picked & set(want)  # not_in


def _compare(op: str, value: Any, want: Any) -> bool:
    if op == "=":
        return value == want
    if op == "!=":
        return value != want
    if op == "in":
        return value in want
    if op == "not_in":
        return value not in want
    if op == ">":
        return value > want
    if op == ">=":
        return value >= want
    if op == "<":
        return value < want
    if op == "<=":
        return value <= want
    if op == "between":
        return want[0] <= value <= want[1]
    raise AssertionError(op)


def holds(cond: Condition, value: Any) -> bool:
    """Whether one bound condition holds for the field's value."""
    op, want = cond.op, cond.value
    empty = cond.spec.type.is_empty(value)
    if op == "is_null":
        return empty
    if op == "is_not_null" or empty:
        return op == "is_not_null" and not empty
    if cond.spec.type.key == "multi_picklist":
        return _list_holds(op, set(value), want)
    if op in operators.TEXT_MATCH:
        return _text_match(op, str(value), want)
    if op in operators.PEOPLE:
        return value in want
    if op in operators.RELATIVE_DATES:
        first, after = dates.date_range(op, want, dates.today())
        return first <= _as_date(value) < after
    return _compare(op, value, want)


def _check_local(conditions: Iterable[Condition]) -> None:
    for cond in conditions:
        if cond.path is not None:
            raise errors.ValidationFailed(
                f"'{cond.name}' reaches another record; one record alone cannot "
                "be checked against it.",
                field=cond.name,
            )


def matcher(
    ctx: Context, conditions: Iterable[Condition]
) -> Callable[[Mapping[str, Any]], bool]:
    """A test of many records against one condition list, bound to the
    caller once: ``matcher(ctx, conds)(state)`` is ``matches(ctx, conds,
    state)`` without binding people again for every record."""
    conditions = tuple(conditions)
    _check_local(conditions)
    bound = people.bind(ctx, (conditions,))[0] if conditions else ()

    def test(state: Mapping[str, Any]) -> bool:
        return all(holds(cond, state.get(cond.spec.name)) for cond in bound)

    return test


def matches(
    ctx: Context, conditions: Iterable[Condition], state: Mapping[str, Any]
) -> bool:
    """True when ``state`` (field name → Python value) meets every condition."""
    return matcher(ctx, conditions)(state)


def matches_any(ctx: Context, where: Where, state: Mapping[str, Any]) -> bool:
    """True when ``state`` meets every condition of at least one group (an
    empty ``where`` matches everything)."""
    if not where:
        return True
    for group in where:
        _check_local(group)
    return any(
        all(holds(cond, state.get(cond.spec.name)) for cond in group)
        for group in people.bind(ctx, where)
    )
