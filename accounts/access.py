"""Who is asking, in which workspace, with which rights.

Every service and query takes a ``Context``; nothing in the domain runs without
one. Record-level visibility (sharing, roles, groups) is applied by crm.query
from the same context.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.http import HttpRequest

from accounts import errors
from accounts.models import Membership, ObjectPermission, User, Workspace


class Action(enum.StrEnum):
    READ = "read"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    VIEW_ALL = "view_all"
    MODIFY_ALL = "modify_all"


ALL_ACTIONS = frozenset(Action)


class Named(Protocol):
    api_name: str
    label: str


@dataclass(frozen=True)
class Context:
    """The caller: workspace, user and the rights of their profile.

    ``user`` is None for system work (periodic tasks, seeding). ``is_admin``
    grants every action on every object.
    """

    workspace: Workspace
    user: User | None
    is_admin: bool = False
    #: The user holds a seat in the workspace (so may own its records).
    is_member: bool = True
    role_id: int | None = None
    grants: dict[str, frozenset[Action]] = field(default_factory=dict)
    #: What crm.query reads once per request and reuses (an object's sharing
    #: default): a Context lives for one request or task, never longer.
    memo: dict[Any, Any] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @property
    def workspace_id(self):
        return self.workspace.pk

    @property
    def user_id(self):
        return self.user.pk if self.user else None

    def can(self, object_name: str, action: Action) -> bool:
        if self.is_admin:
            return True
        allowed = self.grants.get(object_name, frozenset())
        if action in allowed:
            return True
        # "Modify all" implies every other right; "view all" implies read.
        if Action.MODIFY_ALL in allowed:
            return True
        return action is Action.READ and Action.VIEW_ALL in allowed


def require(ctx: Context, object_type: Named, action: Action) -> None:
    """Raise PermissionDenied unless the context may do ``action`` on the object."""
    if not ctx.can(object_type.api_name, action):
        raise errors.PermissionDenied(
            f"You may not {action.value.replace('_', ' ')} {object_type.label} records."
        )


def system_context(
    workspace: Workspace, user: User | None = None, *, is_member: bool = False
) -> Context:
    """Full rights in one workspace, for tasks, seeding and ops tools.

    ``user`` is who the writes are attributed to (an ops person in the Django
    admin need not be a member); only a member becomes a new record's owner.
    """
    return Context(workspace=workspace, user=user, is_admin=True, is_member=is_member)


def _context(user: User, membership: Membership) -> Context:
    """The context of an active membership (one query for a non-admin's grants)."""
    profile = membership.profile
    grants: dict[str, frozenset[Action]] = {}
    if not profile.is_admin:
        for perm in ObjectPermission.objects.filter(profile=profile):
            grants[perm.object_name] = frozenset(
                action for action in Action if getattr(perm, f"can_{action.value}")
            )
    return Context(
        workspace=membership.workspace,
        user=user,
        is_admin=profile.is_admin,
        role_id=membership.role_id,
        grants=grants,
    )


def _active_memberships(user: User):
    return Membership.objects.select_related("profile", "workspace").filter(
        user=user, is_active=True, user__is_active=True, workspace__is_active=True
    )


def context_for_user(user: User, workspace: Workspace) -> Context:
    """The context of ``user`` in ``workspace``; NotFound when not a member.

    Two queries: the membership with its profile, then the profile's grants.
    """
    membership = _active_memberships(user).filter(workspace=workspace).first()
    if membership is None:
        raise errors.NotFound("No such workspace.")
    return _context(user, membership)


#: The attribute ``with_membership`` loads a holder's membership into.
MEMBERSHIP = "hotcrm_membership"


def with_membership(qs: QuerySet, user: str, workspace: str = "workspace") -> QuerySet:
    """``qs`` (credentials, say) with, in the same query, the row's ``user``
    and ``workspace`` and the user's membership in that workspace with its
    profile: read it with ``membership_of(row, …)``."""
    relation = FilteredRelation(
        f"{user}__memberships",
        condition=Q(**{f"{user}__memberships__workspace": F(workspace)}),
    )
    return qs.annotate(**{MEMBERSHIP: relation}).select_related(
        user, workspace, f"{MEMBERSHIP}__profile"
    )


def membership_of(row: Any, user: User, workspace: Workspace) -> Membership | None:
    """The membership ``with_membership`` loaded on ``row`` (None: none), its
    user and workspace set to the instances given, so reading them costs no
    query."""
    membership = getattr(row, MEMBERSHIP, None)
    if membership is not None:
        membership.user = user
        membership.workspace = workspace
    return membership


def context_for_membership(membership: Membership | None) -> Context:
    """The context of a membership loaded with its user, workspace and profile
    (``with_membership``, or ``select_related``); NotFound unless the
    membership, its user and its workspace are all active. Reads the rows as
    loaded: no query for an admin, one (the grants) otherwise."""
    if (
        membership is None
        or not membership.is_active
        or not membership.user.is_active
        or not membership.workspace.is_active
    ):
        raise errors.NotFound("No such workspace.")
    return _context(membership.user, membership)


WORKSPACE_SESSION_KEY = "workspace_id"


def context_for(request: HttpRequest) -> Context:
    """The context of a signed-in browser request, in its chosen workspace.

    The workspace comes from the session; without one, the user's first
    membership is chosen. Raises NotFound when the user has no workspace.
    Memoised on the request; the session is written only when the choice
    changes.
    """
    user = request.user
    if not user.is_authenticated:
        raise errors.PermissionDenied("Sign in first.")
    cached = getattr(request, "_hotcrm_context", None)
    if cached is not None:
        return cached
    memberships = _active_memberships(user)
    chosen = request.session.get(WORKSPACE_SESSION_KEY)
    membership = (chosen and memberships.filter(workspace_id=chosen).first()) or (
        memberships.order_by("joined_at").first()
    )
    if membership is None:
        raise errors.NotFound("You are not a member of any workspace.")
    if chosen != str(membership.workspace_id):
        request.session[WORKSPACE_SESSION_KEY] = str(membership.workspace_id)
    ctx = _context(user, membership)
    request._hotcrm_context = ctx
    return ctx
