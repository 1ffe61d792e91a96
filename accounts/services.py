"""Writes to identity and tenancy: workspaces, members, profiles."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.text import slugify

from accounts.access import Action
from accounts.models import Membership, ObjectPermission, Profile, Role, User, Workspace

ADMIN_PROFILE = "System Administrator"
STANDARD_PROFILE = "Standard User"
READ_ONLY_PROFILE = "Read Only"


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "workspace"
    slug, n = base, 1
    while Workspace.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def get_or_create_user(
    email: str, *, password: str | None = None, name: str = ""
) -> User:
    """The user with this email, created (with ``password``) when new."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, password, name=name)
    return user


def grant(
    profile: Profile, object_names: Iterable[str], actions: Iterable[Action]
) -> None:
    """Give a profile ``actions`` on each object (other rights stay as they are)."""
    flags = {f"can_{action.value}": True for action in actions}
    names = set(object_names)
    existing = {
        p.object_name: p
        for p in profile.object_permissions.filter(object_name__in=names)
    }
    for perm in existing.values():
        for flag in flags:
            setattr(perm, flag, True)
    if existing and flags:
        ObjectPermission.objects.bulk_update(existing.values(), list(flags))
    ObjectPermission.objects.bulk_create(
        ObjectPermission(profile=profile, object_name=name, **flags)
        for name in sorted(names - set(existing))
    )


@transaction.atomic
def create_workspace(
    name: str,
    *,
    owner: User,
    object_names: Iterable[str],
) -> Workspace:
    """A workspace with the three stock profiles and a top role; ``owner``
    joins it as System Administrator. ``object_names`` are the objects the
    stock profiles grant rights on."""
    workspace = Workspace.objects.create(name=name, slug=_unique_slug(name))
    admin = Profile.objects.create(
        workspace=workspace,
        name=ADMIN_PROFILE,
        is_admin=True,
        description="Every right on every object, and the setup console.",
    )
    standard = Profile.objects.create(
        workspace=workspace,
        name=STANDARD_PROFILE,
        description="Reads, creates, edits and deletes CRM records.",
    )
    read_only = Profile.objects.create(
        workspace=workspace, name=READ_ONLY_PROFILE, description="Reads CRM records."
    )
    object_names = list(object_names)
    grant(
        standard, object_names, {Action.READ, Action.CREATE, Action.EDIT, Action.DELETE}
    )
    grant(read_only, object_names, {Action.READ})
    top = Role.objects.create(workspace=workspace, name="CEO")
    Membership.objects.create(workspace=workspace, user=owner, role=top, profile=admin)
    return workspace


@transaction.atomic
def add_member(
    workspace: Workspace,
    user: User,
    *,
    profile_name: str = STANDARD_PROFILE,
    role: Role | None = None,
) -> Membership:
    """Make ``user`` a member of ``workspace`` (or update their seat)."""
    profile = Profile.objects.get(workspace=workspace, name=profile_name)
    membership, _ = Membership.objects.update_or_create(
        workspace=workspace,
        user=user,
        defaults={"profile": profile, "role": role, "is_active": True},
    )
    return membership
