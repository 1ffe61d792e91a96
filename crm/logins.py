"""Checks on the sign-in details that ops tools (``create_workspace``,
``seed_demo``) are given, before a workspace is built for them."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.core import validators
from django.core.exceptions import ValidationError as DjangoValidationError

from accounts import errors
from accounts.models import User


@dataclass(frozen=True)
class Login:
    """A checked login. ``user`` is the existing user with that email, if any:
    their password is left as it is."""

    email: str
    password: str | None
    user: User | None

    @property
    def keeps_password(self) -> bool:
        """True when an existing user keeps a password other than the one given."""
        return self.user is not None and not (
            self.password and self.user.check_password(self.password)
        )


def check(email: str | None, password: str | None) -> Login:
    """The login for ``email``; ValidationFailed naming the bad field when the
    email is missing or malformed, the user is inactive, or a new user's
    password is missing or refused by ``AUTH_PASSWORD_VALIDATORS``."""
    email = (email or "").strip().lower()
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
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        if not user.is_active:
            raise errors.ValidationFailed(
                f"The user {email} is deactivated.", field="email"
            )
        return Login(email=user.email, password=password or None, user=user)
    if not password:
        raise errors.ValidationFailed(
            f"A password is required to create the user {email}.", field="password"
        )
    try:
        password_validation.validate_password(password, User(email=email))
    except DjangoValidationError as exc:
        raise errors.ValidationFailed(
            " ".join(exc.messages), field="password"
        ) from None
    return Login(email=email, password=password, user=None)
