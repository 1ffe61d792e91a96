"""``/api/v1/auth/…``: sign in for a token, and the caller's personal access
tokens and the workspace's API keys. Secrets appear once, in the answer that
creates them. API keys and third-party OAuth clients may not use the
credential endpoints."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from accounts import credentials, errors, oauth, ratelimit, signin
from accounts.models import ApiKey, Membership, PersonalAccessToken
from api.common.views import ApiView, PublicApiView
from api.v1 import schema, shapes
from api.v1.shapes import NUMBER, TEXT
from crm.metadata import registry
from crm.metadata.types import normalize

_LOGIN_IN = {
    "email": (TEXT, False),
    "password": (TEXT, False),
    "workspace": (TEXT, False),
    "refresh_token": (TEXT, False),
}
_PAT_IN = {
    "name": (TEXT, True),
    "scopes": ((list, str), False),
    "expires_at": (TEXT, False),
    "rate_limit": (NUMBER, False),
}
_KEY_IN = {
    "name": (TEXT, True),
    "scopes": ((list, str), True),
    "expires_at": (TEXT, False),
    "rate_limit": (NUMBER, False),
}
_TOKEN_OUT = inline_serializer(
    "TokenPair",
    {
        "token": serializers.CharField(),
        "expiresIn": serializers.IntegerField(),
        "refreshToken": serializers.CharField(),
        "tokenType": serializers.CharField(),
        "scope": serializers.CharField(),
    },
)


def _pair(pair: oauth.TokenPair) -> dict[str, Any]:
    return {
        "token": pair.token,
        "expiresIn": pair.expires_in,
        "refreshToken": pair.refresh_token,
        "tokenType": "Bearer",
        "scope": pair.scope,
    }


class TokenLogin(PublicApiView):
    """``POST /api/v1/auth/token``: email + password (or a refresh token) →
    ``{"token", "expiresIn": 3600, "refreshToken"}``. Failed sign-ins are
    limited per email and per client address (``accounts.signin``, shared
    with the browser's sign-in): 429 with Retry-After past the limit."""

    @extend_schema(
        operation_id="auth_token",
        request=dict,
        responses={200: _TOKEN_OUT, **schema.ERRORS},
    )
    def post(self, request) -> Response:
        data = shapes.take(request.data, _LOGIN_IN)
        if "refresh_token" in data:
            return Response(_pair(oauth.refresh_login_tokens(data["refresh_token"])))
        email = data.get("email", "").strip().lower()
        if not email or "password" not in data:
            raise errors.AuthenticationFailed(
                "Send 'email' and 'password', or a 'refreshToken'."
            )
        address = ratelimit.client_address(request.META)
        signin.attempt(email, address)
        user = authenticate(request._request, username=email, password=data["password"])
        membership = None
        if user is not None:
            memberships = Membership.objects.filter(
                user=user, is_active=True, workspace__is_active=True
            ).select_related("workspace")
            chosen = data.get("workspace")
            if chosen:
                try:
                    membership = memberships.filter(workspace_id=UUID(chosen)).first()
                except ValueError:
                    membership = memberships.filter(workspace__slug=chosen).first()
            else:
                membership = memberships.order_by("joined_at").first()
        if membership is None:
            raise errors.AuthenticationFailed("Invalid email or password.")
        signin.succeeded(email, address)
        pair = oauth.issue_login_tokens(user, membership.workspace)
        return Response(_pair(pair))


def _described(item: PersonalAccessToken | ApiKey, secret: str | None = None):
    out = {
        "id": str(item.pk),
        "name": item.name,
        "token_prefix": item.token_prefix,
        "scopes": list(item.scopes),
        "rate_limit": item.rate_limit,
        "expires_at": item.expires_at,
        "revoked_at": item.revoked_at,
        "last_used_at": item.last_used_at,
        "created_at": item.created_at,
    }
    if secret is not None:
        out["token"] = secret
    return out


def _check_objects(ctx, scopes: list[str]) -> None:
    for scope in scopes:
        name = scope.partition(":")[2]
        if name != "crm":
            registry.get(ctx, name)  # NotFound names the unknown object


class PersonalTokenList(ApiView):
    credential_management = True

    @extend_schema(operation_id="auth_tokens", responses={200: dict})
    def get(self, request) -> Response:
        tokens = credentials.pats_of(self.ctx)
        return Response({"results": [_described(t) for t in tokens]})

    @extend_schema(
        operation_id="auth_token_create",
        request=dict,
        responses={201: dict, **schema.ERRORS},
    )
    def post(self, request) -> Response:
        ctx = self.ctx
        data = shapes.take(request.data, _PAT_IN)
        scopes = credentials.clean_scopes(data.get("scopes"), required=False)
        _check_objects(ctx, scopes)
        token, secret = credentials.issue_pat(
            ctx,
            name=data["name"],
            scopes=scopes,
            expires_at=shapes.moment(data.get("expires_at"), "expires_at"),
            rate_limit=data.get("rate_limit"),
        )
        return Response(_described(token, secret), status=201)


class PersonalTokenDetail(ApiView):
    credential_management = True

    @extend_schema(
        operation_id="auth_token_revoke",
        request=None,
        responses={200: dict, **schema.ERRORS},
    )
    def delete(self, request, token_id) -> Response:
        token = credentials.revoke_pat(self.ctx, token_id)
        return Response(_described(token))


class ApiKeyList(ApiView):
    credential_management = True

    @extend_schema(operation_id="auth_api_keys", responses={200: dict})
    def get(self, request) -> Response:
        keys = credentials.api_keys_of(self.ctx)
        return Response({"results": [_described(k) for k in keys]})

    @extend_schema(
        operation_id="auth_api_key_create",
        request=dict,
        responses={201: dict, **schema.ERRORS},
    )
    def post(self, request) -> Response:
        ctx = self.ctx
        data = shapes.take(request.data, _KEY_IN)
        scopes = credentials.clean_scopes(data.get("scopes"), required=True)
        _check_objects(ctx, scopes)
        key, secret = credentials.issue_api_key(
            ctx,
            name=data["name"],
            scopes=scopes,
            expires_at=shapes.moment(data.get("expires_at"), "expires_at"),
            rate_limit=data.get("rate_limit"),
        )
        return Response(_described(key, secret), status=201)


class ApiKeyDetail(ApiView):
    credential_management = True

    @extend_schema(operation_id="auth_api_key_get", responses={200: dict})
    def get(self, request, key_id) -> Response:
        key = credentials.api_keys_of(self.ctx).filter(pk=key_id).first()
        if key is None:
            raise errors.NotFound("No API key has that id.")
        return Response(_described(key))

    @extend_schema(
        operation_id="auth_api_key_change",
        request=dict,
        responses={200: dict, **schema.ERRORS},
    )
    def patch(self, request, key_id) -> Response:
        """Change a key's name, scopes, expiry or rate limit; ``null`` clears
        the expiry or the key's own limit."""
        ctx = self.ctx
        partial = {name: (types, False) for name, (types, _) in _KEY_IN.items()}
        data = shapes.take(request.data, partial)
        given = {normalize(str(k)) for k in request.data}
        changes = {}
        if "name" in data:
            changes["name"] = data["name"]
        if "scopes" in data:
            scopes = credentials.clean_scopes(data["scopes"], required=True)
            _check_objects(ctx, scopes)
            changes["scopes"] = scopes
        if "expires_at" in given:
            changes["expires_at"] = shapes.moment(data.get("expires_at"), "expires_at")
        if "rate_limit" in given:
            changes["rate_limit"] = data.get("rate_limit")
        key = credentials.change_api_key(ctx, key_id, **changes)
        return Response(_described(key))

    @extend_schema(
        operation_id="auth_api_key_revoke",
        request=None,
        responses={200: dict, **schema.ERRORS},
    )
    def delete(self, request, key_id) -> Response:
        key = credentials.revoke_api_key(self.ctx, key_id)
        return Response(_described(key))
