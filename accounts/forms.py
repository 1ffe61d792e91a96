"""The sign-in forms of the browser (``/login/``) and of the Django admin
(``/admin/login/``): Django's own, behind the sign-in throttle."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts import errors, ratelimit, signin


class _Throttled:
    """Counts each attempt before Django checks the password, so a spent
    allowance refuses even the right one; a successful sign-in gives it back."""

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password")
        if not email or password is None:
            return super().clean()  # Django reports the missing field
        request = self.request
        address = ratelimit.client_address(request.META) if request else ""
        try:
            signin.attempt(email, address)
        except errors.RateLimited as exc:
            raise ValidationError(exc.message, code="rate_limited") from None
        cleaned = super().clean()  # ValidationError: the attempt stays counted
        signin.succeeded(email, address)
        return cleaned


class SignInForm(_Throttled, AuthenticationForm):
    """The browser's sign-in (email and password)."""


class AdminSignInForm(_Throttled, AdminAuthenticationForm):
    """The admin's sign-in: staff only, as Django's."""
