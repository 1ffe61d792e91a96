"""Field types: everything one type of field knows, one class each.

A new type is a new subclass registered in ``TYPES``, never an ``elif``.
``clean`` turns input into the Python value the record holds; ``to_json`` and
``from_json`` move it in and out of JSON (snapshots, events, JSON storage).
The classes live by family (``text``, ``scalar``, ``choice``, ``reference``)
on the shared ``base``; this module is the registry of them.
"""

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from crm.metadata.field_types.base import (
    EQUALITY,
    ORDERING,
    PEOPLE,
    RELATIVE_DATES,
    TEXT_MATCH,
    ApiValue,
    FieldType,
)
from crm.metadata.field_types.choice import MultiPicklistType, PicklistType
from crm.metadata.field_types.reference import IdType, LookupType, UserType
from crm.metadata.field_types.scalar import (
    BooleanType,
    CurrencyType,
    DateTimeType,
    DateType,
    NumberType,
    PercentType,
)
from crm.metadata.field_types.text import (
    EmailType,
    LongTextType,
    PhoneType,
    TextType,
    UrlType,
)

TYPES: dict[str, FieldType] = {
    t.key: t
    for t in (
        TextType(),
        LongTextType(),
        EmailType(),
        PhoneType(),
        UrlType(),
        NumberType(),
        CurrencyType(),
        PercentType(),
        BooleanType(),
        DateType(),
        DateTimeType(),
        PicklistType(),
        MultiPicklistType(),
        LookupType(),
        UserType(),
        IdType(),
    )
}

#: Types an admin may choose for a custom field.
CUSTOM_FIELD_TYPES = tuple(key for key in TYPES if key != "id")


def get(key: str) -> FieldType:
    return TYPES[key]


@lru_cache(maxsize=2048)
def conversions(object_type, method: str) -> dict[str, Callable[[Any], Any] | None]:
    """Each field of ``object_type`` with its type's ``to_json`` or
    ``from_json`` (``method``), None where the type keeps ``FieldType``'s,
    which returns the value as is: per-row loops skip the call."""
    plain = getattr(FieldType, method)
    return {
        name: None
        if getattr(type(spec.type), method) is plain
        else getattr(spec.type, method)
        for name, spec in object_type.fields.items()
    }


__all__ = [
    "CUSTOM_FIELD_TYPES",
    "EQUALITY",
    "ORDERING",
    "PEOPLE",
    "RELATIVE_DATES",
    "TEXT_MATCH",
    "TYPES",
    "ApiValue",
    "BooleanType",
    "CurrencyType",
    "DateTimeType",
    "DateType",
    "EmailType",
    "FieldType",
    "IdType",
    "LongTextType",
    "LookupType",
    "MultiPicklistType",
    "NumberType",
    "PercentType",
    "PhoneType",
    "PicklistType",
    "TextType",
    "UrlType",
    "UserType",
    "conversions",
    "get",
]
