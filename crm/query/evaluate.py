"""The in-memory back end of ObjectQL: does one record match a filter list?

Used where one record is at hand (validation rules, webhook filters). It must
agree with the ORM compiler on every operator; a property test holds them equal.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone

from accounts.access import Context
from crm.query import dates
from crm.query.filters import CURRENT_USER, Condition


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date()
    return value


def _like(pattern: str) -> str:
    """SQL LIKE (``%`` and ``_``) as a case-insensitive fnmatch pattern."""
    out = []
    for ch in pattern.lower():
        out.append({"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}.get(ch, ch))
    return "".join(out)


def _holds(ctx: Context, cond: Condition, value: Any) -> bool:
    op, want = cond.op, cond.value
    if want == CURRENT_USER:
        want = ctx.user_id
    empty = cond.spec.type.is_empty(value)
    if op == "is_null":
        return empty
    if op == "is_not_null":
        return not empty
    if cond.spec.type.key == "multi_picklist":
        picked = set(value or ())
        if op == "contains":
            return want in picked
        if op == "in":
            return bool(picked & set(want))
        if op == "not_in":
            return not picked & set(want)
    if op == "=":
        return value == want
    if op == "!=":
        # SQL semantics: an empty value is neither equal nor unequal.
        return not empty and value != want
    if op == "in":
        return value in want
    if op == "not_in":
        return not empty and value not in want
    if empty:
        return False
    if op in ("contains", "starts_with", "ends_with", "like"):
        text, needle = _text(value).lower(), want.lower()
        return {
            "contains": lambda: needle in text,
            "starts_with": lambda: text.startswith(needle),
            "ends_with": lambda: text.endswith(needle),
            "like": lambda: fnmatch.fnmatchcase(text, _like(want)),
        }[op]()
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
    first, after = dates.date_range(op, want, dates.today())
    day = _as_date(value)
    return first <= day < after


def matches(
    ctx: Context, conditions: Iterable[Condition], state: Mapping[str, Any]
) -> bool:
    """True when ``state`` (field name → Python value) meets every condition."""
    return all(_holds(ctx, cond, state.get(cond.spec.name)) for cond in conditions)
