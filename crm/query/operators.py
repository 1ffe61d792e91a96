"""The ObjectQL operator vocabulary: canonical names, accepted spellings and
what value each operator takes.

Every dialect lands here: ``EQ`` (HubSpot), ``==`` and ``eq`` all become ``=``.
Which operators a field accepts is its type's business
(``FieldType.operators``); this module only knows the operators themselves.
"""

from __future__ import annotations

from crm.metadata import field_types

COMPARISON = frozenset({"=", "!=", ">", ">=", "<", "<="})
LISTS = frozenset({"in", "not_in"})
TEXT_MATCH = field_types.TEXT_MATCH
RELATIVE_DATES = field_types.RELATIVE_DATES
PEOPLE = field_types.PEOPLE
#: Relative date operators that take a whole number (a year, a count of days).
COUNTED_DATES = frozenset({"in_year", "last_n_days", "next_n_days"})
#: Operators that take no value.
UNARY = frozenset({"is_null", "is_not_null"}) | (RELATIVE_DATES - COUNTED_DATES)
#: Every operator the engine implements.
ALL = (
    COMPARISON
    | LISTS
    | TEXT_MATCH
    | RELATIVE_DATES
    | PEOPLE
    | frozenset({"between", "is_null", "is_not_null"})
)

CURRENT_USER = "$currentUser"

_ALIASES = {
    "==": "=",
    "eq": "=",
    "equals": "=",
    "<>": "!=",
    "ne": "!=",
    "neq": "!=",
    "not_equals": "!=",
    "gt": ">",
    "gte": ">=",
    "ge": ">=",
    "lt": "<",
    "lte": "<=",
    "le": "<=",
    "nin": "not_in",
    "not in": "not_in",
    "startswith": "starts_with",
    "endswith": "ends_with",
    "isnull": "is_null",
    "is null": "is_null",
    "is not null": "is_not_null",
    "isnotnull": "is_not_null",
}

#: HubSpot's search operators (``filterGroups[].filters[].operator``).
HUBSPOT = {
    "EQ": "=",
    "NEQ": "!=",
    "GT": ">",
    "GTE": ">=",
    "LT": "<",
    "LTE": "<=",
    "CONTAINS_TOKEN": "contains",
    "IN": "in",
    "NOT_IN": "not_in",
    "HAS_PROPERTY": "is_not_null",
    "NOT_HAS_PROPERTY": "is_null",
    "BETWEEN": "between",
}


def canonical(raw: str) -> str | None:
    """The canonical name of an operator spelled any accepted way, or None."""
    text = raw.strip()
    if text in HUBSPOT:
        return HUBSPOT[text]
    lowered = text.lower()
    if lowered in ALL:
        return lowered
    return _ALIASES.get(lowered) or _ALIASES.get(lowered.replace(" ", "_"))


def takes_value(op: str) -> bool:
    return op not in UNARY
