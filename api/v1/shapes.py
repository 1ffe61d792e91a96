"""Fixed-shape JSON bodies (credentials, metadata writes): strict JSON types,
no unknown keys, camelCase ≡ snake_case keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import dateparse, timezone

from accounts import errors
from accounts.errors import FieldError
from crm.metadata.types import normalize

TEXT = (str,)
NUMBER = (int,)
FLAG = (bool,)
LIST = (list,)
ANY = (object,)

_NAMES = {str: "a string", int: "a whole number", bool: "true or false", list: "a list"}


def take(
    data: Any, fields: Mapping[str, tuple[tuple[type, ...], bool]]
) -> dict[str, Any]:
    """The known keys of a JSON object, type-checked; ValidationFailed lists
    every unknown, missing or mistyped key."""
    if not isinstance(data, Mapping):
        raise errors.ValidationFailed("Send a JSON object.")
    problems: list[FieldError] = []
    given: dict[str, Any] = {}
    for key, value in data.items():
        name = normalize(str(key))
        if name not in fields:
            problems.append(FieldError(str(key), f"Unknown field '{key}'."))
        else:
            given[name] = value
    out: dict[str, Any] = {}
    for name, (types, required) in fields.items():
        value = given.get(name)
        if value is None:
            if required:
                problems.append(FieldError(name, f"'{name}' is required."))
            continue
        if (isinstance(value, bool) and bool not in types) or not isinstance(
            value, types
        ):
            what = " or ".join(_NAMES.get(t, t.__name__) for t in types)
            problems.append(FieldError(name, f"Send '{name}' as {what}."))
            continue
        out[name] = value
    if problems:
        raise errors.ValidationFailed.from_errors(problems)
    return out


def moment(value: str | None, field: str) -> dt.datetime | None:
    """An ISO 8601 date-time string as an aware datetime."""
    if value is None:
        return None
    try:
        parsed = dateparse.parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise errors.ValidationFailed(
            "Enter a date and time in ISO 8601 (2026-03-12T14:23:11Z).", field=field
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    return parsed
