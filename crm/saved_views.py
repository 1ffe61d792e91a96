"""Writes to saved list views.

A saved view is UI configuration, not CRM data, so it does not go through
``crm.records``; its filters and sort are checked by the query engine first.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts import errors
from accounts.access import Context
from crm import query
from crm.metadata.types import ObjectType
from crm.models import SavedView


@transaction.atomic
def save(
    ctx: Context,
    object_type: ObjectType,
    *,
    name: str,
    is_shared: bool,
    filters: list[list[Any]],
    columns: list[str],
    sort: str,
) -> SavedView:
    """Create the context's view called ``name``, or overwrite it.
    ValidationFailed names a bad name, filter or sort; nothing is written."""
    name = name.strip()[:80]
    if not name:
        raise errors.ValidationFailed("Give the view a name.", field="name")
    query.Query.from_json(
        ctx, object_type.api_name, {"filters": filters, "sort": sort or None}
    )
    view, _ = SavedView.objects.select_for_update().get_or_create(
        workspace=ctx.workspace,
        object_name=object_type.api_name,
        owner=ctx.user,
        name=name,
    )
    view.is_shared = is_shared
    view.filters = filters
    view.columns = columns
    view.sort = sort
    view.updated_at = timezone.now()
    view.save()
    return view


@transaction.atomic
def delete(ctx: Context, view: SavedView) -> None:
    """Only the view's owner or an admin may delete it."""
    if view.owner_id != ctx.user_id and not ctx.is_admin:
        raise errors.PermissionDenied("Only its owner may delete this view.")
    view.delete()
