"""Dot paths through lookups: ``account.parent_account.name``.

A path names a field of the root object or, through up to ``MAX_HOPS``
lookups, a field of a related record. Lookups stored in columns and lookups
stored in JSON (custom lookup fields) are both followed; ``owner.name`` reaches
the workspace's users through the ``USER`` pseudo-object.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.contrib.auth import get_user_model

from accounts import errors
from accounts.access import Action, Context
from crm.metadata import field_types, registry
from crm.metadata.types import FieldSpec, ObjectType, Storage

MAX_HOPS = 3


@cache
def user_type() -> ObjectType:
    """Users as an object with three readable fields, for paths and expands."""
    model = get_user_model()

    def column(name: str, key: str, label: str) -> FieldSpec:
        return FieldSpec(
            name=name,
            type=field_types.get(key),
            label=label,
            column=name,
            read_only=True,
            tracked=False,
        )

    return ObjectType(
        api_name="user",
        plural="users",
        label="User",
        label_plural="Users",
        prefix="usr",
        model=model,
        fields={
            "id": column("id", "id", "Id"),
            "name": column("name", "text", "Name"),
            "email": column("email", "email", "Email"),
        },
        name_field="name",
    )


@dataclass(frozen=True)
class Path:
    """A resolved field reference. ``hops`` are the lookups followed, in order;
    ``types[i]`` is the object ``hops[i]`` belongs to, and ``types[-1]`` holds
    ``leaf``."""

    name: str
    hops: tuple[FieldSpec, ...]
    types: tuple[ObjectType, ...]
    leaf: FieldSpec

    @property
    def root(self) -> ObjectType:
        return self.types[0]

    @property
    def holder(self) -> ObjectType:
        return self.types[-1]

    @property
    def is_local(self) -> bool:
        return not self.hops

    @property
    def through_json(self) -> bool:
        return any(hop.storage is not Storage.COLUMN for hop in self.hops)


def local(object_type: ObjectType, spec: FieldSpec) -> Path:
    return Path(spec.name, (), (object_type,), spec)


def target_of(ctx: Context, spec: FieldSpec, *, name: str) -> ObjectType:
    """The object a lookup points at, readable by ``ctx``; ValidationFailed
    naming ``name`` otherwise."""
    if spec.target == "user":
        return user_type()
    target = registry.for_workspace(ctx.workspace).find(spec.target or "")
    if target is None or not ctx.can(target.api_name, Action.READ):
        raise errors.ValidationFailed(
            f"'{name}' goes through {spec.label}, whose records you may not read.",
            field=name,
        )
    return target


def resolve(ctx: Context | None, object_type: ObjectType, name: str) -> Path:
    """The field ``name`` (any accepted spelling, dots between hops).

    Without a context only fields of ``object_type`` itself resolve.
    ValidationFailed names the path when a part is unknown, a middle part is
    not a lookup, or the path is deeper than ``MAX_HOPS``.
    """
    if not isinstance(name, str) or not name.strip():
        raise errors.ValidationFailed(
            "A field name must be non-empty text.", field=None
        )
    parts = [part.strip() for part in name.strip().split(".")]
    if len(parts) > MAX_HOPS + 1:
        raise errors.ValidationFailed(
            f"'{name}' goes through more than {MAX_HOPS} lookups.", field=name
        )
    if len(parts) > 1 and ctx is None:
        raise errors.ValidationFailed(
            f"{object_type.label} has no field '{name}'.", field=name
        )
    current = object_type
    hops: list[FieldSpec] = []
    types = [object_type]
    canonical: list[str] = []
    for index, part in enumerate(parts):
        spec = current.find_field(part)
        if spec is None:
            raise errors.ValidationFailed(
                f"{current.label} has no field '{part}'"
                + (f" (in '{name}')." if len(parts) > 1 else "."),
                field=name,
            )
        canonical.append(spec.name)
        if index == len(parts) - 1:
            return Path(".".join(canonical), tuple(hops), tuple(types), spec)
        if not spec.is_lookup:
            raise errors.ValidationFailed(
                f"'{part}' in '{name}' is not a lookup, so nothing follows it.",
                field=name,
            )
        current = target_of(ctx, spec, name=name)
        hops.append(spec)
        types.append(current)
    raise AssertionError("unreachable")
