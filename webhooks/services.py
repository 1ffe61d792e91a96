"""Every write to subscriptions: create, change, delete, rotate the secret,
replay. Each call is atomic and raises the domain's errors (ValidationFailed
naming the field, NotFound for what the context may not see)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import errors
from accounts.access import Context
from accounts.models import Membership
from crm.metadata import registry
from crm.metadata.types import ObjectType
from crm.query import filters, people
from webhooks import deliveries, guard, queue, selectors, signing
from webhooks.models import Delivery, Kind, Subscription

#: The kinds a subscription may ask for: every change a record can go
#: through while it exists. ``purged`` (a record removed for good from the
#: recycle bin) is in the event stream only.
SUBSCRIBABLE = tuple(kind for kind in Kind if kind is not Kind.PURGED)
EVENT_ALIASES = {
    **{kind.value: kind.value for kind in SUBSCRIBABLE},
    "create": Kind.CREATED,
    "insert": Kind.CREATED,
    "update": Kind.UPDATED,
    "delete": Kind.DELETED,
    "restore": Kind.RESTORED,
    "undelete": Kind.RESTORED,
    "stage_change": Kind.STAGE_CHANGED,
}
_HEADER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_TAKEN_HEADERS = frozenset(
    {"content-type", "content-length", "host", "user-agent", "accept-encoding"}
)
MAX_OVERLAP = dt.timedelta(days=7)


def _fail(message: str, field: str) -> errors.ValidationFailed:
    return errors.ValidationFailed(message, field=field)


def _name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _fail("Give the webhook a name.", "name")
    if len(raw.strip()) > 200:
        raise _fail("Use at most 200 characters for the name.", "name")
    return raw.strip()


def _object(ctx: Context, raw: Any) -> ObjectType:
    if not isinstance(raw, str) or not raw.strip():
        raise _fail(
            "Name the object to watch (crm_contract, Opportunity, …).", "object"
        )
    try:
        return registry.get(ctx, raw.strip())
    except errors.NotFound as exc:
        raise _fail(exc.message, "object") from None


def parse_events(raw: Any) -> list[str]:
    if raw is None:
        return [kind.value for kind in SUBSCRIBABLE]
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise _fail("List the events to receive (created, updated, …).", "events")
    kinds: list[str] = []
    for item in raw:
        name = item.strip().lower().rpartition(".")[2] if isinstance(item, str) else ""
        kind = EVENT_ALIASES.get(name)
        if kind is None:
            known = ", ".join(k.value for k in SUBSCRIBABLE)
            raise _fail(f"'{str(item)[:40]}' is not an event; use {known}.", "events")
        if str(kind) not in kinds:
            kinds.append(str(kind))
    return kinds


def _filter(ctx: Context, object_type: ObjectType, raw: Any) -> list:
    """The filter as stored: a list of conditions the evaluator accepts."""
    if raw in (None, "", []):
        return []
    if isinstance(raw, Mapping) or (isinstance(raw, list) and isinstance(raw[0], str)):
        raw = [raw]
    try:
        conditions = filters.parse(object_type, raw)
        people.bind(ctx, (conditions,))  # names of roles and groups must exist
    except errors.ValidationFailed as exc:
        raise errors.ValidationFailed(
            f"Bad filter: {exc.message}", field="filter", details=exc.details
        ) from None
    return list(raw)


def _url(raw: Any) -> str:
    if isinstance(raw, str) and len(raw) > 2000:
        raise _fail("Use a URL of at most 2000 characters.", "url")
    try:
        guard.check_url(raw)
    except guard.Refused as exc:
        raise _fail(exc.message, "url") from None
    return raw.strip()


def _secret(raw: Any) -> str:
    if raw is None:
        return signing.new_secret()
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 255:
        raise _fail("A secret is text of 1 to 255 characters.", "secret")
    return raw


def _header(raw: Any) -> str:
    if raw is None:
        return "X-Signature"
    if not isinstance(raw, Mapping):
        raise _fail('auth is {"type": "hmac_sha256", "header": "X-Signature"}.', "auth")
    unknown = set(raw) - {"type", "header"}
    if unknown:
        raise _fail(f"Unknown auth key '{sorted(unknown)[0]}'.", "auth")
    if str(raw.get("type", "hmac_sha256")).lower() != "hmac_sha256":
        raise _fail("The only auth type is hmac_sha256.", "auth")
    header = raw.get("header", "X-Signature")
    if (
        not isinstance(header, str)
        or not _HEADER.match(header)
        or header.lower() in _TAKEN_HEADERS
        or header.lower().startswith("webhook-")
    ):
        raise _fail(f"'{str(header)[:64]}' cannot carry the signature.", "auth")
    return header


@transaction.atomic
def create(
    ctx: Context,
    *,
    name: Any,
    object_name: Any,
    url: Any,
    events: Any = None,
    filter: Any = None,
    secret: Any = None,
    auth: Any = None,
    is_active: bool = True,
) -> tuple[Subscription, str]:
    """A new subscription and its secret (the only time it is returned)."""
    object_type = _object(ctx, object_name)
    now = timezone.now()
    subscription = Subscription.objects.create(
        workspace=ctx.workspace,
        name=_name(name),
        object_name=object_type.api_name,
        events=parse_events(events),
        filter=_filter(ctx, object_type, filter),
        url=_url(url),
        secret=_secret(secret),
        signature_header=_header(auth),
        is_active=bool(is_active),
        disabled_reason="" if is_active else "Created inactive.",
        created_by=ctx.user,
        created_at=now,
        updated_at=now,
    )
    return subscription, subscription.secret


def _take_over(ctx: Context, subscription: Subscription) -> None:
    """Re-enabling a webhook whose owner left makes the caller its owner."""
    owner_active = Membership.objects.filter(
        workspace=ctx.workspace,
        user_id=subscription.created_by_id,
        is_active=True,
        user__is_active=True,
    ).exists()
    if not owner_active:
        subscription.created_by = ctx.user


@transaction.atomic
def update(ctx: Context, raw_id: Any, changes: Mapping[str, Any]) -> Subscription:
    """Change the given fields; re-enabling clears the reason it was off."""
    subscription = selectors.subscription_get(ctx, raw_id, lock=True)
    if "name" in changes:
        subscription.name = _name(changes["name"])
    object_type = (
        _object(ctx, changes["object"])
        if "object" in changes
        else registry.for_workspace(ctx.workspace).find(subscription.object_name)
    )
    if object_type is None:
        raise _fail("The webhook's object no longer exists; name another.", "object")
    subscription.object_name = object_type.api_name
    if "events" in changes:
        subscription.events = parse_events(changes["events"])
    if "filter" in changes or "object" in changes:
        raw = changes.get("filter", subscription.filter)
        subscription.filter = _filter(ctx, object_type, raw)
    if "url" in changes:
        subscription.url = _url(changes["url"])
    if "auth" in changes:
        subscription.signature_header = _header(changes["auth"])
    if "is_active" in changes and bool(changes["is_active"]) != subscription.is_active:
        if changes["is_active"]:
            _take_over(ctx, subscription)
            subscription.is_active = True
            subscription.disabled_reason = ""
            subscription.disabled_at = None
            subscription.failing_since = None
        else:
            subscription.is_active = False
            subscription.disabled_reason = "Turned off by a user."
            subscription.disabled_at = timezone.now()
    subscription.updated_at = timezone.now()
    subscription.save()
    return subscription


@transaction.atomic
def delete(ctx: Context, raw_id: Any) -> None:
    """Remove a subscription with its delivery log."""
    selectors.subscription_get(ctx, raw_id, lock=True).delete()


@transaction.atomic
def rotate_secret(
    ctx: Context, raw_id: Any, *, secret: Any = None, overlap_seconds: Any = None
) -> tuple[Subscription, str]:
    """A new secret; the old one keeps signing for the overlap period
    (``WEBHOOK_SECRET_OVERLAP_SECONDS`` unless given, at most 7 days)."""
    subscription = selectors.subscription_get(ctx, raw_id, lock=True)
    if overlap_seconds is None:
        overlap = dt.timedelta(seconds=settings.WEBHOOK_SECRET_OVERLAP_SECONDS)
    elif isinstance(overlap_seconds, bool) or not isinstance(overlap_seconds, int):
        raise _fail("overlap_seconds is a whole number.", "overlap_seconds")
    else:
        overlap = dt.timedelta(seconds=overlap_seconds)
    if not dt.timedelta(0) <= overlap <= MAX_OVERLAP:
        raise _fail("overlap_seconds is between 0 and 604800.", "overlap_seconds")
    now = timezone.now()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = now + overlap
    subscription.secret = _secret(secret)
    subscription.secret_rotated_at = now
    subscription.updated_at = now
    subscription.save()
    return subscription, subscription.secret


def _require_active(subscription: Subscription) -> None:
    if not subscription.is_active:
        raise _fail("Re-enable the webhook (is_active: true) first.", "is_active")


@transaction.atomic
def replay(ctx: Context, raw_id: Any) -> Delivery:
    """Send one delivery again, with a fresh series of attempts."""
    delivery = selectors.delivery_get(ctx, raw_id)
    _require_active(delivery.subscription)
    rows = Delivery.objects.filter(pk=delivery.pk)
    if not deliveries.reset(rows, timezone.now()):
        raise _fail(
            "The delivery is being sent right now; replay it once this attempt "
            "is over.",
            "status",
        )
    queue.on_commit(queue.DELIVER, [str(delivery.pk)])
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def replay_failed(ctx: Context, raw_id: Any, *, since: dt.datetime) -> int:
    """Send again every delivery of the webhook that failed since ``since``;
    returns how many."""
    subscription = selectors.subscription_get(ctx, raw_id, lock=True)
    _require_active(subscription)
    rows = Delivery.objects.filter(
        subscription=subscription,
        status=Delivery.Status.FAILED,
        completed_at__gte=since,
    )
    count = deliveries.reset(rows, timezone.now())
    batch = settings.WEBHOOK_BATCH_SIZE
    for _ in range(min(-(-count // batch), settings.WEBHOOK_SWEEP_MAX_TASKS)):
        queue.on_commit(queue.SEND_DUE)
    return count
