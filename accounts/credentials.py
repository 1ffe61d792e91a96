"""Personal access tokens and API keys: issue, verify, revoke.

A secret is ``pat_`` or ``ak_`` followed by 256 random bits. It is returned once,
by ``issue_*``; the database keeps only its SHA-256 (a lookup key that cannot be
turned back into the secret) and its first characters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts import errors
from accounts.access import Context
from accounts.models import ApiKey, PersonalAccessToken

PAT_PREFIX = "pat_"
API_KEY_PREFIX = "ak_"
#: ``read:<object>`` / ``write:<object>``; ``crm`` means every object.
SCOPE = re.compile(r"^(read|write):([a-z][a-z0-9_]{0,79})$")
FULL_SCOPES = ("read:crm", "write:crm")
#: ``last_used_at`` is written at most this often per credential.
_TOUCH_EVERY = dt.timedelta(minutes=1)


def digest(secret: str) -> str:
    """The SHA-256 (hex) a secret is stored and looked up by."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def clean_scopes(raw: object, *, required: bool) -> list[str]:
    """Scopes as a sorted list without repeats; ValidationFailed naming ``scopes``."""
    if raw is None or raw == "":
        raw = []
    if isinstance(raw, str):
        raw = raw.split()
    if not isinstance(raw, list | tuple) or not all(isinstance(s, str) for s in raw):
        raise errors.ValidationFailed(
            "Send scopes as a list of strings.", field="scopes"
        )
    bad = [s for s in raw if not SCOPE.match(s)]
    if bad:
        raise errors.ValidationFailed(
            f"'{bad[0][:80]}' is not a scope: use read:<object>, write:<object>, "
            "read:crm or write:crm.",
            field="scopes",
        )
    if required and not raw:
        raise errors.ValidationFailed("Pick at least one scope.", field="scopes")
    return sorted(set(raw))


def _clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise errors.ValidationFailed("A name is required.", field="name")
    if len(name.strip()) > 120:
        raise errors.ValidationFailed("Use at most 120 characters.", field="name")
    return name.strip()


def _clean_expiry(expires_at: dt.datetime | None) -> dt.datetime | None:
    if expires_at is not None and expires_at <= timezone.now():
        raise errors.ValidationFailed(
            "The expiry must be in the future.", field="expires_at"
        )
    return expires_at


def _clean_limit(rate_limit: object) -> int | None:
    if rate_limit is None:
        return None
    if isinstance(rate_limit, bool) or not isinstance(rate_limit, int):
        raise errors.ValidationFailed("Enter a whole number.", field="rate_limit")
    if not 1 <= rate_limit <= 10_000_000:
        raise errors.ValidationFailed(
            "Use a limit between 1 and 10,000,000.", field="rate_limit"
        )
    return rate_limit


@transaction.atomic
def issue_pat(
    ctx: Context,
    *,
    name: object,
    scopes: Iterable[str] | None = None,
    expires_at: dt.datetime | None = None,
    rate_limit: int | None = None,
) -> tuple[PersonalAccessToken, str]:
    """A token for ``ctx.user`` in ``ctx.workspace`` and its secret (shown once).

    Without scopes it carries every right the user has.
    """
    if ctx.user is None:
        raise errors.PermissionDenied("Only a user may hold a personal access token.")
    secret = _new_secret(PAT_PREFIX)
    token = PersonalAccessToken.objects.create(
        user=ctx.user,
        workspace=ctx.workspace,
        name=_clean_name(name),
        token_prefix=secret[:12],
        token_hash=digest(secret),
        scopes=clean_scopes(scopes, required=False),
        expires_at=_clean_expiry(expires_at),
        rate_limit=_clean_limit(rate_limit),
    )
    return token, secret


@transaction.atomic
def issue_api_key(
    ctx: Context,
    *,
    name: object,
    scopes: Iterable[str],
    expires_at: dt.datetime | None = None,
    rate_limit: int | None = None,
) -> tuple[ApiKey, str]:
    """A named key of ``ctx.workspace`` and its secret (shown once). Admins only.

    The key acts with the creating admin's rights narrowed to ``scopes``.
    """
    if not ctx.is_admin or ctx.user is None:
        raise errors.PermissionDenied("Only admins may create API keys.")
    secret = _new_secret(API_KEY_PREFIX)
    key = ApiKey.objects.create(
        workspace=ctx.workspace,
        created_by=ctx.user,
        name=_clean_name(name),
        token_prefix=secret[:12],
        token_hash=digest(secret),
        scopes=clean_scopes(scopes, required=True),
        expires_at=_clean_expiry(expires_at),
        rate_limit=_clean_limit(rate_limit),
    )
    return key, secret


def pats_of(ctx: Context):
    """The user's tokens in the workspace, newest first."""
    return PersonalAccessToken.objects.filter(user=ctx.user, workspace=ctx.workspace)


def api_keys_of(ctx: Context):
    """The workspace's API keys, newest first. Admins only."""
    if not ctx.is_admin:
        raise errors.PermissionDenied("Only admins may see API keys.")
    return ApiKey.objects.filter(workspace=ctx.workspace)


@transaction.atomic
def revoke_pat(ctx: Context, token_id) -> PersonalAccessToken:
    """Revoke one of the user's tokens; NotFound for anyone else's. Idempotent."""
    token = pats_of(ctx).select_for_update().filter(pk=token_id).first()
    if token is None:
        raise errors.NotFound("No personal access token has that id.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def revoke_api_key(ctx: Context, key_id) -> ApiKey:
    """Revoke one of the workspace's API keys. Admins only. Idempotent."""
    key = api_keys_of(ctx).select_for_update().filter(pk=key_id).first()
    if key is None:
        raise errors.NotFound("No API key has that id.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


_UNSET = object()


@transaction.atomic
def change_api_key(
    ctx: Context,
    key_id,
    *,
    name: object = _UNSET,
    scopes: object = _UNSET,
    expires_at: object = _UNSET,
    rate_limit: object = _UNSET,
) -> ApiKey:
    """Rename a live key, or change its scopes, expiry or rate limit (the
    secret stays). Admins only; NotFound for a revoked or unknown key."""
    key = (
        api_keys_of(ctx)
        .select_for_update()
        .filter(pk=key_id, revoked_at__isnull=True)
        .first()
    )
    if key is None:
        raise errors.NotFound("No API key has that id.")
    changed = []
    if name is not _UNSET:
        key.name = _clean_name(name)
        changed.append("name")
    if scopes is not _UNSET:
        key.scopes = clean_scopes(scopes, required=True)
        changed.append("scopes")
    if expires_at is not _UNSET:
        key.expires_at = _clean_expiry(expires_at)
        changed.append("expires_at")
    if rate_limit is not _UNSET:
        key.rate_limit = _clean_limit(rate_limit)
        changed.append("rate_limit")
    if changed:
        key.save(update_fields=changed)
    return key


def find(secret: str) -> PersonalAccessToken | ApiKey | None:
    """The usable token or key a secret belongs to, or None (unknown, revoked,
    expired). The holder's membership is the caller's to check."""
    if secret.startswith(PAT_PREFIX):
        model, related = PersonalAccessToken, ("user", "workspace")
    elif secret.startswith(API_KEY_PREFIX):
        model, related = ApiKey, ("created_by", "workspace")
    else:
        return None
    found = model.objects.select_related(*related).filter(token_hash=digest(secret))
    credential = found.first()
    if credential is None or not credential.is_usable:
        return None
    return credential


def touch(credential: PersonalAccessToken | ApiKey) -> None:
    """Record that the credential was used (at most once a minute)."""
    now = timezone.now()
    if credential.last_used_at and now - credential.last_used_at < _TOUCH_EVERY:
        return
    type(credential).objects.filter(pk=credential.pk).update(last_used_at=now)
    credential.last_used_at = now
