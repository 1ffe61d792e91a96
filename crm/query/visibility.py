"""Which records a context may see and edit.

Layers, outermost first: the workspace (always); the object permission of the
profile; then record access. Admins and profiles with "view all" / "modify
all" on the object see (or edit) every record. Otherwise the object's
org-wide default decides: public read/write opens everything, public read
opens reading, private limits a user to records owned by themselves, by users
in roles below theirs, and by owners a sharing rule opens to them (through a
group they belong to, or their role being at or below the rule's role).

Each function costs at most three small queries (the default, read once per
context; the role tree; the rules) and returns a lazy queryset; owner sets
are subqueries.
"""

from __future__ import annotations

from collections import OrderedDict

from django.db.models import Q, QuerySet

from accounts.access import Action, Context
from accounts.models import Membership, PublicGroup
from crm.metadata.types import ObjectType
from crm.models import ObjectSharing, SharingRule
from crm.query import paths, people

Access = ObjectSharing.Access
Level = SharingRule.Level


def default_access(ctx: Context, object_type: ObjectType) -> str:
    """The object's org-wide default in the context's workspace, read once per
    context (a request or a task): a change applies from the next one."""
    key = ("sharing_default", object_type.api_name)
    found = ctx.memo.get(key)
    if found is None:
        found = (
            ObjectSharing.objects.filter(
                workspace=ctx.workspace, object_name=object_type.api_name
            )
            .values_list("access", flat=True)
            .first()
        ) or Access.PUBLIC_READ_WRITE
        ctx.memo[key] = found
    return found


_TEMPLATES: OrderedDict[tuple, QuerySet] = OrderedDict()
_TEMPLATES_SIZE = 1024


def _rows(ctx: Context, object_type: ObjectType, deleted: bool) -> QuerySet:
    """``object_type.queryset`` of the context's workspace, built once per
    (object, workspace, bin) and handed out as a fresh clone: the template is
    never evaluated, so no caller sees another's results."""
    key = (
        object_type.model,
        object_type.definition_id,
        ctx.workspace_id,
        deleted,
    )
    template = _TEMPLATES.get(key)
    if template is None:
        template = object_type.queryset(ctx.workspace, deleted=deleted)
        _TEMPLATES[key] = template
        while len(_TEMPLATES) > _TEMPLATES_SIZE:
            _TEMPLATES.popitem(last=False)
    return template.all()


def _grants(ctx: Context, object_type: ObjectType, action: Action) -> bool:
    allowed = ctx.grants.get(object_type.api_name, frozenset())
    return ctx.is_admin or Action.MODIFY_ALL in allowed or action in allowed


def _users_under(ctx: Context, tree: dict, role_id: int | None, *, inclusive: bool):
    if role_id is None or role_id not in tree:
        return Membership.objects.none().values("user_id")
    roles = people.below(tree, role_id, inclusive=inclusive)
    return Membership.objects.filter(
        workspace=ctx.workspace, role_id__in=roles, is_active=True
    ).values("user_id")


def _above_or_at(tree: dict, role_id: int | None) -> set[int]:
    found: set[int] = set()
    while role_id is not None and role_id not in found:
        found.add(role_id)
        role_id = tree.get(role_id)
    return found


def _owner_q(ctx: Context, object_type: ObjectType, level: str) -> Q:
    """Records this user owns, or may reach by role or sharing rule."""
    if ctx.user_id is None:
        return Q(pk__in=[])
    tree = people.role_tree(ctx.workspace_id)
    q = Q(owner_id=ctx.user_id)
    if ctx.role_id is not None:
        q |= Q(owner_id__in=_users_under(ctx, tree, ctx.role_id, inclusive=False))
    levels = [Level.EDIT] if level == Level.EDIT else [Level.READ, Level.EDIT]
    rules = SharingRule.objects.filter(
        Q(shared_with_group__members=ctx.user_id)
        | Q(shared_with_role_id__in=_above_or_at(tree, ctx.role_id)),
        workspace=ctx.workspace,
        object_name=object_type.api_name,
        is_active=True,
        level__in=levels,
    ).values_list("owned_by_group_id", "owned_by_role_id")
    for group_id, role_id in set(rules):
        if group_id is not None:
            owners = PublicGroup.members.through.objects.filter(
                publicgroup_id=group_id
            ).values("user_id")
        else:
            owners = _users_under(ctx, tree, role_id, inclusive=True)
        q |= Q(owner_id__in=owners)
    return q


def _users(ctx: Context) -> QuerySet:
    return paths.user_type().model.objects.filter(
        memberships__workspace=ctx.workspace, memberships__is_active=True
    )


def readable(
    ctx: Context, object_type: ObjectType, *, deleted: bool = False
) -> QuerySet:
    """Records of ``object_type`` the context may read: live ones, or with
    ``deleted`` those in the recycle bin. Nothing (not an error) when the
    profile may not read the object at all."""
    if object_type.api_name == "user":
        return _users(ctx)
    qs = _rows(ctx, object_type, deleted)
    if not ctx.can(object_type.api_name, Action.READ):
        return qs.none()
    if sees_all(ctx, object_type):
        return qs
    return qs.filter(_owner_q(ctx, object_type, Level.READ))


def sees_all(ctx: Context, object_type: ObjectType) -> bool:
    """Whether the context may read every record of the object."""
    return ctx.can(object_type.api_name, Action.READ) and (
        _grants(ctx, object_type, Action.VIEW_ALL)
        or default_access(ctx, object_type) != Access.PRIVATE
    )


def _prefixed(q: Q, prefix: str) -> Q:
    """``q`` about the records reached through ``prefix`` (``account__``)."""
    moved = Q(
        *[
            _prefixed(child, prefix)
            if isinstance(child, Q)
            else (prefix + child[0], child[1])
            for child in q.children
        ]
    )
    moved.connector, moved.negated = q.connector, q.negated
    return moved


def reached_q(ctx: Context, object_type: ObjectType, prefix: str) -> Q:
    """The records of ``object_type`` reached through the lookup ``prefix``
    (``account__``) that the context may read, as a condition on the rows
    that reach them: live, of the workspace, visible. A filter, sort or group
    on ``account.name`` sees an account the user may not read as empty, as
    reading the path does."""
    if object_type.api_name == "user":
        return Q()
    if not ctx.can(object_type.api_name, Action.READ):
        return Q(pk__in=[])
    q = Q(
        **{
            f"{prefix}deleted_at__isnull": True,
            f"{prefix}workspace_id": ctx.workspace_id,
        }
    )
    if sees_all(ctx, object_type):
        return q
    return q & _prefixed(_owner_q(ctx, object_type, Level.READ), prefix)


def editable(ctx: Context, object_type: ObjectType) -> QuerySet:
    """Live records of ``object_type`` whose fields the context may change
    (record access only: the caller checks the profile's action)."""
    qs = object_type.queryset(ctx.workspace)
    if not ctx.can(object_type.api_name, Action.READ):
        return qs.none()
    if _grants(ctx, object_type, Action.MODIFY_ALL):
        return qs
    if default_access(ctx, object_type) == Access.PUBLIC_READ_WRITE:
        return qs
    return qs.filter(_owner_q(ctx, object_type, Level.EDIT))
