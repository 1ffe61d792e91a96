"""People the browser UI offers: the workspace's members (owner pickers,
user fields, filters on them) and the workspaces a user may switch to."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from accounts.access import Context
from accounts.models import Membership, User, Workspace


@dataclass(frozen=True)
class Member:
    id: UUID
    name: str
    email: str

    @property
    def label(self) -> str:
        return self.name or self.email


def members(ctx: Context) -> list[Member]:
    """Active members of the context's workspace, by name (one query)."""
    rows = (
        Membership.objects.filter(
            workspace=ctx.workspace, is_active=True, user__is_active=True
        )
        .order_by("user__name", "user__email")
        .values_list("user_id", "user__name", "user__email")
    )
    return [Member(pk, name, email) for pk, name, email in rows]


def lazy(ctx: Context) -> Callable[[], list[Member]]:
    """``members(ctx)`` as a template value: read when first used, then kept,
    so a page with several people pickers reads the members once."""
    return functools.cache(functools.partial(members, ctx))


def workspaces_of(user: User) -> list[Workspace]:
    """The active workspaces ``user`` belongs to, by name (one query)."""
    return list(
        Workspace.objects.filter(
            memberships__user=user,
            memberships__is_active=True,
            is_active=True,
        ).order_by("name")
    )
