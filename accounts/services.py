"""Writes to identity and tenancy: users, workspaces, members, profiles, roles
and public groups. Input from people (emails, passwords, names) is checked
here: a refusal is a ``ValidationFailed`` naming the field, and nothing is
written."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.core import validators
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.text import slugify

from accounts import errors
from accounts.access import Action
from accounts.models import (
    Membership,
    ObjectPermission,
    Profile,
    PublicGroup,
    Role,
    User,
    Workspace,
)

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


def _clean_email(email: str) -> str:
    email = email.strip().lower()
    if not email:
        raise errors.ValidationFailed("An email address is required.", field="email")
    try:
        validators.validate_email(email)
    except DjangoValidationError:
        raise errors.ValidationFailed(
            f"'{email[:80]}' is not a valid email address.", field="email"
        ) from None
    if len(email) > User._meta.get_field("email").max_length:
        raise errors.ValidationFailed("That email address is too long.", field="email")
    return email


def _check_new_password(password: str | None, user: User) -> str:
    if not password:
        raise errors.ValidationFailed(
            f"A password is required to create the user {user.email}.",
            field="password",
        )
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise errors.ValidationFailed(
            " ".join(exc.messages), field="password"
        ) from None
    return password


def get_or_create_user(
    email: str, *, password: str | None = None, name: str = ""
) -> tuple[User, bool]:
    """The active user with ``email`` (matched ignoring case and surrounding
    spaces) and False, or a new user with ``password`` and ``name`` and True.
    An existing user keeps their password and name.

    Raises ValidationFailed naming "email" (missing, malformed, too long, or
    the user is deactivated), "password" (a new user's is missing or refused
    by ``AUTH_PASSWORD_VALIDATORS``) or "name" (too long); nothing is written.
    """
    email = _clean_email(email)
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        if not user.is_active:
            raise errors.ValidationFailed(
                f"The user {email} is deactivated.", field="email"
            )
        return user, False
    name = name.strip()
    limit = User._meta.get_field("name").max_length
    if len(name) > limit:
        raise errors.ValidationFailed(
            f"Use at most {limit} characters for the name.", field="name"
        )
    password = _check_new_password(password, User(email=email, name=name))
    return User.objects.create_user(email, password, name=name), True


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


def _name_problems(
    model: type[models.Model], workspace: Workspace, name: str, noun: str
) -> list[errors.FieldError]:
    """What is wrong with ``name`` for a new ``noun`` of ``workspace``: names
    are required and unique in the workspace, ignoring case."""
    limit = model._meta.get_field("name").max_length
    if not name:
        return [errors.FieldError("name", f"A {noun} needs a name.")]
    if len(name) > limit:
        return [
            errors.FieldError("name", f"Use at most {limit} characters for the name.")
        ]
    if model.objects.filter(workspace=workspace, name__iexact=name).exists():
        return [
            errors.FieldError(
                "name", f"{workspace} already has a {noun} named '{name}'."
            )
        ]
    return []


def create_role(workspace: Workspace, name: str, *, parent: Role | None = None) -> Role:
    """A role of ``workspace`` reporting to ``parent`` (None: at the top).

    Raises ValidationFailed naming "name" (missing, too long, or taken in the
    workspace) or "parent" (a role of another workspace); nothing is written.
    """
    name = name.strip()
    problems = _name_problems(Role, workspace, name, "role")
    if parent is not None and parent.workspace_id != workspace.pk:
        problems.append(errors.FieldError("parent", f"Choose a role of {workspace}."))
    if problems:
        raise errors.ValidationFailed.from_errors(problems)
    return Role.objects.create(workspace=workspace, name=name, parent=parent)


@transaction.atomic
def create_group(
    workspace: Workspace, name: str, *, members: Iterable[User] = ()
) -> PublicGroup:
    """A public group of ``workspace`` holding ``members``.

    Raises ValidationFailed naming "name" (missing, too long, or taken in the
    workspace) or "members" (a user without a seat in the workspace); nothing
    is written.
    """
    name = name.strip()
    members = list({user.pk: user for user in members}.values())
    problems = _name_problems(PublicGroup, workspace, name, "group")
    seated = set(
        Membership.objects.filter(workspace=workspace, user__in=members).values_list(
            "user_id", flat=True
        )
    )
    problems += [
        errors.FieldError("members", f"{user} is not a member of {workspace}.")
        for user in members
        if user.pk not in seated
    ]
    if problems:
        raise errors.ValidationFailed.from_errors(problems)
    group = PublicGroup.objects.create(workspace=workspace, name=name)
    group.members.add(*members)
    return group


def make_ops_admin(email: str) -> User:
    """Let the user with ``email`` into the Django admin with every right (ops)."""
    user = User.objects.get(email__iexact=email)
    if not (user.is_staff and user.is_superuser):
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user
