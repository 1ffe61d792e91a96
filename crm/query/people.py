"""Who a filter means by ``$currentUser``, a role subtree or a group.

``bind`` turns such references into concrete user ids once per query, so the
ORM compiler and the in-memory evaluator test the very same sets. The role
tree and group membership are read from the tables the sharing model uses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from uuid import UUID

from accounts import errors
from accounts.access import Context
from accounts.models import Membership, PublicGroup, Role
from crm.query import filters, operators
from crm.query.filters import Condition, Where

#: Stands in for "the current user" when the context has none: matches nobody.
NOBODY = UUID(int=0)


def role_tree(workspace_id) -> dict[int, int | None]:
    """Every role of the workspace → its parent (one query)."""
    return dict(
        Role.objects.filter(workspace_id=workspace_id).values_list("pk", "parent_id")
    )


def below(tree: dict[int, int | None], role_id: int, *, inclusive: bool) -> set[int]:
    """``role_id`` and every role under it (or only those under it)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in tree.items():
        children.setdefault(parent, []).append(pk)
    found: set[int] = set()
    frontier = [role_id]
    while frontier:
        current = frontier.pop()
        for child in children.get(current, ()):
            if child not in found and child != role_id:
                found.add(child)
                frontier.append(child)
    return found | {role_id} if inclusive else found


def members_of_roles(workspace_id, role_ids: Iterable[int]) -> frozenset[UUID]:
    return frozenset(
        Membership.objects.filter(
            workspace_id=workspace_id, role_id__in=list(role_ids), is_active=True
        ).values_list("user_id", flat=True)
    )


#: Ids past this are no row's (and past what a database integer holds).
_MAX_ID = 2**31 - 1


def _by_id_or_name(rows, ref):
    """The row ``ref`` names: an id (a whole number) or a name (any case)."""
    if isinstance(ref, bool):
        return None
    if isinstance(ref, int) or filters.is_ascii_number(ref):
        pk = int(ref)
        return rows.filter(pk=pk).first() if 0 < pk <= _MAX_ID else None
    return rows.filter(name__iexact=str(ref).strip()).first()


def _role(ctx: Context, ref, name: str) -> int | None:
    if ref == operators.CURRENT_USER:
        return ctx.role_id
    found = _by_id_or_name(Role.objects.filter(workspace=ctx.workspace), ref)
    if found is None:
        raise errors.ValidationFailed(
            f"No role '{ref}' (filter on {name}).", field=name
        )
    return found.pk


def _role_members(ctx: Context, ref, name: str) -> frozenset[UUID]:
    role_id = _role(ctx, ref, name)
    if role_id is None:
        return frozenset()
    tree = role_tree(ctx.workspace_id)
    return members_of_roles(ctx.workspace_id, below(tree, role_id, inclusive=True))


def _group_members(ctx: Context, refs: tuple, name: str) -> frozenset[UUID]:
    groups = PublicGroup.objects.filter(workspace=ctx.workspace)
    ids: set[int] = set()
    for ref in refs:
        found = _by_id_or_name(groups, ref)
        if found is None:
            raise errors.ValidationFailed(
                f"No group '{ref}' (filter on {name}).", field=name
            )
        ids.add(found.pk)
    return frozenset(
        PublicGroup.members.through.objects.filter(
            publicgroup_id__in=ids,
            user__memberships__workspace=ctx.workspace,
            user__memberships__is_active=True,
        ).values_list("user_id", flat=True)
    )


def _me(ctx: Context, value):
    if value == operators.CURRENT_USER:
        return ctx.user_id or NOBODY
    return value


def bind_one(ctx: Context, cond: Condition) -> Condition:
    """The condition with its references to people made concrete."""
    if cond.op == "in_role_subordinates":
        return dataclasses.replace(
            cond, value=_role_members(ctx, cond.value, cond.name)
        )
    if cond.op == "in_group":
        return dataclasses.replace(
            cond, value=_group_members(ctx, cond.value, cond.name)
        )
    if cond.spec.target != "user":
        return cond
    if isinstance(cond.value, tuple):
        return dataclasses.replace(
            cond, value=tuple(_me(ctx, item) for item in cond.value)
        )
    return dataclasses.replace(cond, value=_me(ctx, cond.value))


def bind(ctx: Context, where: Where) -> Where:
    return tuple(tuple(bind_one(ctx, cond) for cond in group) for group in where)
