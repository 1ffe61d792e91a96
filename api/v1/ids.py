"""Record ids in v1: shown prefixed (``acc_0193…``), accepted prefixed or as a
plain UUID. Users, who are no object of the registry, are ``usr_…``."""

from __future__ import annotations

from uuid import UUID

from accounts import errors
from crm.metadata.types import ObjectType

USER_PREFIX = "usr"


def parse(object_type: ObjectType, raw: object) -> UUID:
    """The UUID a path or body names; NotFound when it is malformed or carries
    another object's prefix (a path names no record then)."""
    if isinstance(raw, str):
        prefix, sep, tail = raw.strip().rpartition("_")
        if not sep or prefix == object_type.prefix:
            try:
                return UUID(tail)
            except ValueError:
                pass
    raise errors.NotFound(f"No {object_type.label} has the id '{str(raw)[:80]}'.")


def public(prefix: str, value: UUID | None) -> str | None:
    return None if value is None else f"{prefix}_{value.hex}"
