"""OAuth 2.0 on django-oauth-toolkit, bound to workspaces.

A token acts in one workspace: the one the user picks on the consent screen.
The authorize view passes it as ``hotcrm_workspace_id`` in the oauthlib
credentials; ``Validator`` stores it beside the grant (``OAuthGrantWorkspace``),
copies it to the access token at the code exchange and to each new access
token at a refresh (``OAuthTokenWorkspace``). A grant or token without one is
refused.

Only the authorization-code grant (PKCE S256, settings) and refresh tokens are
accepted. Scopes are ``read:<object>`` / ``write:<object>`` / ``read:crm`` /
``write:crm``; objects are checked against the workspace when a token is used.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import (
    AccessToken,
    Application,
    RefreshToken,
    set_token_value,
)
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauth2_provider.settings import oauth2_settings

from accounts import errors
from accounts.credentials import FULL_SCOPES, SCOPE
from accounts.models import OAuthGrantWorkspace, OAuthTokenWorkspace, User, Workspace

#: The first-party client that ``POST /api/v1/auth/token`` issues tokens for.
LOGIN_CLIENT_ID = "hotcrm-api"
_GRANTS = frozenset({"authorization_code", "refresh_token"})


class _Descriptions(dict):
    """Scope descriptions for the consent screen, for any well-formed scope."""

    def __missing__(self, scope: str) -> str:
        verb, _, obj = scope.partition(":")
        what = obj.replace("_", " ")
        if verb == "read":
            return f"Read {what} records"
        return f"Create, change and delete {what} records"


class Scopes(BaseScopes):
    """``read:<object>``, ``write:<object>``, ``read:crm``, ``write:crm``."""

    def get_all_scopes(self):
        return _Descriptions(oauth2_settings.SCOPES)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return list(FULL_SCOPES)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return list(oauth2_settings.DEFAULT_SCOPES)


class Validator(OAuth2Validator):
    """DOT's validator plus workspaces, pattern scopes and only code + refresh."""

    def validate_grant_type(
        self, client_id, grant_type, client, request, *args, **kwargs
    ):
        if grant_type not in _GRANTS:
            return False
        return super().validate_grant_type(
            client_id, grant_type, client, request, *args, **kwargs
        )

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        return bool(scopes) and all(SCOPE.match(scope) for scope in scopes)

    def _create_authorization_code(self, request, code, expires=None):
        workspace_id = getattr(request, "hotcrm_workspace_id", None)
        grant = super()._create_authorization_code(request, code, expires)
        if workspace_id is not None:
            OAuthGrantWorkspace.objects.create(grant=grant, workspace_id=workspace_id)
        return grant

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        workspace_id = (
            OAuthGrantWorkspace.objects.filter(
                grant__code=code, grant__application=client
            )
            .values_list("workspace_id", flat=True)
            .first()
        )
        request.hotcrm_workspace_id = workspace_id
        return workspace_id is not None

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if not super().validate_refresh_token(
            refresh_token, client, request, *args, **kwargs
        ):
            return False
        instance = request.refresh_token_instance
        workspace_id = (
            OAuthTokenWorkspace.objects.filter(access_token_id=instance.access_token_id)
            .values_list("workspace_id", flat=True)
            .first()
        )
        request.hotcrm_workspace_id = workspace_id
        return workspace_id is not None

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        access_token = super()._create_access_token(
            expires, request, token, source_refresh_token
        )
        workspace_id = getattr(request, "hotcrm_workspace_id", None)
        if workspace_id is not None:
            OAuthTokenWorkspace.objects.create(
                access_token=access_token, workspace_id=workspace_id
            )
        return access_token


@dataclass(frozen=True)
class TokenPair:
    """What ``POST /api/v1/auth/token`` answers: the secrets are shown once."""

    token: str
    refresh_token: str
    expires_in: int
    scope: str


def login_client() -> Application:
    """The first-party public client that password sign-ins get tokens for."""
    client, _ = Application.objects.get_or_create(
        client_id=LOGIN_CLIENT_ID,
        defaults={
            "name": "HotCRM API sign-in",
            "client_type": Application.CLIENT_PUBLIC,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": "",
            "skip_authorization": False,
        },
    )
    return client


@transaction.atomic
def issue_login_tokens(user: User, workspace: Workspace) -> TokenPair:
    """An access token (``read:crm write:crm``) and a refresh token for a user
    who signed in with email and password, acting in ``workspace``."""
    client = login_client()
    expires_in = oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS
    scope = " ".join(FULL_SCOPES)
    access_secret = secrets.token_urlsafe(32)
    refresh_secret = secrets.token_urlsafe(32)
    access = AccessToken(
        user=user,
        application=client,
        scope=scope,
        expires=timezone.now() + dt.timedelta(seconds=expires_in),
    )
    set_token_value(access, access_secret)
    access.save()
    refresh = RefreshToken(
        user=user, application=client, access_token=access, token_family=uuid.uuid4()
    )
    set_token_value(refresh, refresh_secret)
    refresh.save()
    OAuthTokenWorkspace.objects.create(access_token=access, workspace=workspace)
    return TokenPair(access_secret, refresh_secret, expires_in, scope)


def refresh_login_tokens(refresh_token: str) -> TokenPair:
    """Rotate a sign-in refresh token through DOT's token endpoint logic (so a
    replayed one revokes its whole family). AuthenticationFailed when refused."""
    login_client()
    body = urlencode(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": LOGIN_CLIENT_ID,
        }
    )
    server = get_oauthlib_core().server
    _headers, content, status = server.create_token_response(
        "/oauth/token/",
        http_method="POST",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    answer = json.loads(content or "{}")
    if status != 200 or "access_token" not in answer:
        raise errors.AuthenticationFailed("That refresh token is not valid.")
    return TokenPair(
        answer["access_token"],
        answer["refresh_token"],
        int(answer["expires_in"]),
        answer.get("scope", ""),
    )
