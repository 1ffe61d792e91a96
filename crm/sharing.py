"""Writes to record sharing: an object's org-wide default and sharing rules.

``crm.query.visibility`` reads these on every query, so a change applies to the
next request; no cache to invalidate. Admins only.
"""

from __future__ import annotations

from django.db import transaction

from accounts import errors
from accounts.access import Context
from accounts.models import PublicGroup, Role
from crm.metadata import registry
from crm.models import ObjectSharing, SharingRule


def _require_admin(ctx: Context) -> None:
    if not ctx.is_admin:
        raise errors.PermissionDenied("Only admins may change sharing.")


@transaction.atomic
def set_default(ctx: Context, object_name: str, access: str) -> ObjectSharing:
    """Set the org-wide default of an object: private, public_read or
    public_read_write."""
    _require_admin(ctx)
    object_type = registry.get(ctx, object_name)
    if access not in ObjectSharing.Access.values:
        allowed = ", ".join(ObjectSharing.Access.values)
        raise errors.ValidationFailed(
            f"'{access}' is not a sharing default. Use one of: {allowed}.",
            field="access",
        )
    sharing, _ = ObjectSharing.objects.update_or_create(
        workspace=ctx.workspace,
        object_name=object_type.api_name,
        defaults={"access": access},
    )
    return sharing


def _one_of(ctx: Context, side: str, group: PublicGroup | None, role: Role | None):
    if (group is None) == (role is None):
        raise errors.ValidationFailed(
            f"Name either a group or a role for {side}.", field=side
        )
    chosen = group or role
    if chosen.workspace_id != ctx.workspace_id:
        raise errors.ValidationFailed(f"No such group or role for {side}.", field=side)


@transaction.atomic
def create_rule(
    ctx: Context,
    object_name: str,
    *,
    name: str,
    level: str = SharingRule.Level.READ,
    owned_by_group: PublicGroup | None = None,
    owned_by_role: Role | None = None,
    shared_with_group: PublicGroup | None = None,
    shared_with_role: Role | None = None,
) -> SharingRule:
    """Share the records owned by a group's members (or a role and the roles
    below it) with another group or role, to read or to edit."""
    _require_admin(ctx)
    object_type = registry.get(ctx, object_name)
    name = name.strip()
    if not name:
        raise errors.ValidationFailed("A rule needs a name.", field="name")
    if level not in SharingRule.Level.values:
        raise errors.ValidationFailed(f"'{level}' is not a level.", field="level")
    _one_of(ctx, "owned_by", owned_by_group, owned_by_role)
    _one_of(ctx, "shared_with", shared_with_group, shared_with_role)
    if SharingRule.objects.filter(
        workspace=ctx.workspace, object_name=object_type.api_name, name__iexact=name
    ).exists():
        raise errors.ValidationFailed(f"A rule named '{name}' exists.", field="name")
    return SharingRule.objects.create(
        workspace=ctx.workspace,
        object_name=object_type.api_name,
        name=name,
        level=level,
        owned_by_group=owned_by_group,
        owned_by_role=owned_by_role,
        shared_with_group=shared_with_group,
        shared_with_role=shared_with_role,
    )


@transaction.atomic
def delete_rule(ctx: Context, rule_id: int) -> None:
    _require_admin(ctx)
    removed, _ = SharingRule.objects.filter(
        workspace=ctx.workspace, pk=rule_id
    ).delete()
    if not removed:
        raise errors.NotFound("No such sharing rule.")
