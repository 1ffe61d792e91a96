"""Who is calling: a Bearer secret (OAuth access token, ``pat_…``, ``ak_…``) or
the browser session, resolved to a ``Credential`` holding the caller's Context.

The Context is built on every request from the membership as it is now, so a
deactivated user, a deactivated membership or an inactive workspace stops every
credential at once. The credential, its user, workspace, membership and profile
come in one query (``access.with_membership``); a non-admin's grants in a
second. Tokens are read from the ``Authorization`` header only; one in the
query string is refused.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from oauth2_provider.models import AccessToken
from rest_framework import authentication, exceptions

from accounts import access, credentials
from accounts import errors as domain
from accounts.access import Context
from accounts.models import ApiKey, Membership, PersonalAccessToken
from accounts.oauth import LOGIN_CLIENT_ID
from api.common import scopes
from crm.query.prepared import Prepared

WWW_AUTHENTICATE = 'Bearer realm="HotCRM"'


class Kind(enum.StrEnum):
    SESSION = "session"
    PAT = "personal_access_token"
    API_KEY = "api_key"
    OAUTH = "oauth"
    LOGIN = "login"  # a token from POST /api/v1/auth/token


@dataclass(frozen=True)
class Credential:
    """``request.auth`` of every API request."""

    kind: Kind
    ctx: Context
    #: None: every right of the holder.
    scopes: tuple[str, ...] | None
    #: The rate-limit bucket; stable across token refreshes.
    bucket: str
    rate_limit: int | None = None
    credential_id: str = ""

    @property
    def may_manage_credentials(self) -> bool:
        """API keys and third-party OAuth clients may not mint or list secrets,
        nor may a narrowly scoped token (it could mint a wider one)."""
        first_party = self.kind in (Kind.SESSION, Kind.PAT, Kind.LOGIN)
        return first_party and scopes.is_full(self.scopes)

    @property
    def principal(self) -> str:
        """Who the request acts as, for idempotency keys: the key, or the user."""
        if self.kind is Kind.API_KEY:
            return f"ak:{self.credential_id}"
        return f"user:{self.ctx.user_id}"


def _context(membership: Membership | None, granted) -> Context:
    try:
        ctx = access.context_for_membership(membership)
    except domain.NotFound:
        raise exceptions.AuthenticationFailed(
            "This credential's user is no longer active in its workspace."
        ) from None
    return scopes.narrow(ctx, granted)


#: The credential of a digest with its holder, workspace, membership and
#: profile: one query, compiled once (``Prepared``).
_ACCESS_TOKENS = Prepared(
    lambda checksum: (
        access.with_membership(
            AccessToken.objects, "user", "hotcrm_workspace__workspace"
        )
        .select_related("application")
        .filter(token_checksum=checksum)
    )
)
_BY_PREFIX: dict[str, Prepared] = {
    credentials.PAT_PREFIX: Prepared(
        lambda digest: access.with_membership(
            PersonalAccessToken.objects, "user"
        ).filter(token_hash=digest)
    ),
    credentials.API_KEY_PREFIX: Prepared(
        lambda digest: access.with_membership(ApiKey.objects, "created_by").filter(
            token_hash=digest
        )
    ),
}


def _oauth(secret: str) -> Credential | None:
    checksum = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
    token = _ACCESS_TOKENS.first(checksum)
    if token is None or token.is_expired() or token.user is None:
        return None
    binding = getattr(token, "hotcrm_workspace", None)
    if binding is None:
        return None
    granted = tuple(token.scope.split())
    first_party = token.application.client_id == LOGIN_CLIENT_ID
    membership = access.membership_of(token, token.user, binding.workspace)
    return Credential(
        kind=Kind.LOGIN if first_party else Kind.OAUTH,
        ctx=_context(membership, granted),
        scopes=granted,
        bucket=f"oauth:{token.application_id}:{token.user_id}",
        credential_id=str(token.pk),
    )


def _find(secret: str) -> PersonalAccessToken | ApiKey | None:
    """``credentials.find`` with the holder's membership loaded in the same
    query (``access.with_membership``)."""
    lookup = _BY_PREFIX.get(secret[: secret.find("_") + 1])
    if lookup is None:
        return None
    found = lookup.first(credentials.digest(secret))
    if found is None or not found.is_usable:
        return None
    return found


def _secret(secret: str) -> Credential | None:
    found = _find(secret)
    if found is None:
        return None
    granted = tuple(found.scopes) or None
    if isinstance(found, ApiKey):
        kind, user, bucket = Kind.API_KEY, found.created_by, f"ak:{found.pk}"
    else:
        kind, user, bucket = Kind.PAT, found.user, f"pat:{found.pk}"
    membership = access.membership_of(found, user, found.workspace)
    credential = Credential(
        kind=kind,
        ctx=_context(membership, granted),
        scopes=granted,
        bucket=bucket,
        rate_limit=found.rate_limit,
        credential_id=str(found.pk),
    )
    credentials.touch(found)
    return credential


class BearerAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <secret>``: OAuth access token, PAT or API key."""

    def authenticate(self, request):
        if "access_token" in request.query_params:
            raise exceptions.AuthenticationFailed(
                "Send the token in the Authorization header, never in the URL."
            )
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret or len(secret) > 512:
            raise exceptions.AuthenticationFailed(
                "Send 'Authorization: Bearer <token>'."
            )
        if secret.startswith((credentials.PAT_PREFIX, credentials.API_KEY_PREFIX)):
            credential = _secret(secret)
        else:
            credential = _oauth(secret)
        if credential is None:
            raise exceptions.AuthenticationFailed(
                "The token is invalid, expired or revoked."
            )
        return credential.ctx.user, credential

    def authenticate_header(self, request) -> str:
        return WWW_AUTHENTICATE


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's own calls: the signed-in user in the session's workspace,
    with CSRF enforced."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _ = result
        try:
            ctx = access.context_for(request._request)
        except domain.DomainError:
            raise exceptions.AuthenticationFailed(
                "You are not an active member of any workspace."
            ) from None
        return user, Credential(
            kind=Kind.SESSION, ctx=ctx, scopes=None, bucket=f"user:{user.pk}"
        )
