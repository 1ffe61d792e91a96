"""Saved list views a context may use: its own and the shared ones."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from accounts import errors
from accounts.access import Context
from crm.metadata.types import ObjectType
from crm.models import SavedView


def usable(ctx: Context, object_type: ObjectType) -> QuerySet:
    """The views of ``object_type`` offered to the context: its own, then
    shared ones, by name (lazy; one query when read)."""
    return SavedView.objects.filter(
        Q(owner_id=ctx.user_id) | Q(is_shared=True),
        workspace=ctx.workspace,
        object_name=object_type.api_name,
    ).order_by("-is_shared", "name")


def get(ctx: Context, object_type: ObjectType, view_id: Any) -> SavedView:
    """One usable view; NotFound otherwise (another workspace's included)."""
    try:
        pk = UUID(str(view_id))
    except ValueError:
        raise errors.NotFound("There is no such saved view.") from None
    view = usable(ctx, object_type).filter(pk=pk).first()
    if view is None:
        raise errors.NotFound("There is no such saved view.")
    return view
