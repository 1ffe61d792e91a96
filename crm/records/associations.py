"""Labelled many-to-many links between any two records."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

from accounts import errors
from accounts.access import Action, Context, require
from crm.metadata import registry
from crm.models import Association


def _alive(ctx: Context, object_name: str, record_id: UUID, action: Action):
    object_type = registry.get(ctx, object_name)
    require(ctx, object_type, action)
    if not object_type.queryset(ctx.workspace).filter(pk=record_id).exists():
        raise errors.NotFound(f"No {object_type.label} with id {record_id}.")
    return object_type


@transaction.atomic
def associate(
    ctx: Context,
    from_object: str,
    from_id: UUID,
    to_object: str,
    to_id: UUID,
    *,
    label: str = "",
) -> Association:
    """Link two live records of the workspace; linking twice is a no-op."""
    source = _alive(ctx, from_object, from_id, Action.EDIT)
    target = _alive(ctx, to_object, to_id, Action.READ)
    link, _ = Association.objects.get_or_create(
        workspace=ctx.workspace,
        from_object=source.api_name,
        from_id=from_id,
        to_object=target.api_name,
        to_id=to_id,
        label=label,
        defaults={"created_by": ctx.user},
    )
    return link


@transaction.atomic
def dissociate(
    ctx: Context,
    from_object: str,
    from_id: UUID,
    to_object: str,
    to_id: UUID,
    *,
    label: str = "",
) -> int:
    """Remove a link; returns how many were removed (0 or 1)."""
    source = _alive(ctx, from_object, from_id, Action.EDIT)
    target = registry.get(ctx, to_object)
    removed, _ = Association.objects.filter(
        workspace=ctx.workspace,
        from_object=source.api_name,
        from_id=from_id,
        to_object=target.api_name,
        to_id=to_id,
        label=label,
    ).delete()
    return removed
