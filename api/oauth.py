"""``/oauth/…``: django-oauth-toolkit's endpoints, with a consent screen on
which the user picks the workspace the client will act in.

Mounted: ``authorize`` (this view), ``token`` and ``revoke_token`` (DOT's). The
token endpoint answers in OAuth's own error format (RFC 6749 §5.2), which OAuth
clients expect, not in the API's envelope. The token and revocation endpoints
are counted per client address (``OAUTH_RATE_LIMIT`` a window) with the API's
rate-limit headers, and answer 429 with ``Retry-After`` past the limit.
"""

from __future__ import annotations

import contextlib
import functools

from django import forms
from django.conf import settings
from django.http import JsonResponse
from django.urls import re_path
from oauth2_provider import views as dot
from oauth2_provider.forms import AllowForm

from accounts import access, errors, ratelimit
from accounts.models import Membership

app_name = "oauth2_provider"


def _memberships(user):
    return (
        Membership.objects.filter(user=user, is_active=True, workspace__is_active=True)
        .select_related("workspace")
        .order_by("workspace__name")
    )


class ConsentForm(AllowForm):
    workspace = forms.ChoiceField(label="Workspace", choices=())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspace"].choices = [
            (str(m.workspace_id), m.workspace.name) for m in _memberships(user)
        ]


class AuthorizeView(dot.AuthorizationView):
    """DOT's authorization view; the grant remembers the chosen workspace."""

    template_name = "api/oauth_authorize.html"
    form_class = ConsentForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        with contextlib.suppress(errors.DomainError):
            initial["workspace"] = str(access.context_for(self.request).workspace_id)
        return initial

    def form_valid(self, form):
        self.workspace_id = form.cleaned_data["workspace"]
        return super().form_valid(form)

    def create_authorization_response(self, request, scopes, credentials, allow):
        workspace_id = getattr(self, "workspace_id", None)
        if workspace_id is None:  # no consent screen (skip_authorization)
            try:
                workspace_id = str(access.context_for(request).workspace_id)
            except errors.DomainError:
                workspace_id = None
        credentials["hotcrm_workspace_id"] = workspace_id
        return super().create_authorization_response(
            request, scopes, credentials, allow
        )


def counted(view):
    """``view`` counted in its caller's address bucket, with the headers."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        window = ratelimit.hit(
            f"oauth:{ratelimit.client_address(request.META)}",
            settings.OAUTH_RATE_LIMIT,
            settings.API_RATE_LIMIT_WINDOW,
        )
        if window.exceeded:
            response = JsonResponse(
                {
                    "error": "rate_limited",
                    "error_description": "Too many requests from this address: "
                    "retry after the seconds in Retry-After.",
                },
                status=429,
            )
            response["Retry-After"] = str(window.retry_after())
        else:
            response = view(request, *args, **kwargs)
        for name, value in window.headers().items():
            response[name] = value
        return response

    return wrapper


# With or without the trailing slash: a POST cannot follow APPEND_SLASH's redirect.
urlpatterns = [
    re_path(r"^authorize/?$", AuthorizeView.as_view(), name="authorize"),
    re_path(r"^token/?$", counted(dot.TokenView.as_view()), name="token"),
    re_path(
        r"^revoke_token/?$",
        counted(dot.RevokeTokenView.as_view()),
        name="revoke-token",
    ),
]
