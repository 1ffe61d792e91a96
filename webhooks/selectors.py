"""Reads of subscriptions and deliveries under a context.

A workspace's admins see all its webhooks; anyone else sees the ones they
created. Anything else — another workspace's id included — is not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.core import signing
from django.db.models import QuerySet

from accounts import errors
from accounts.access import Context
from webhooks.models import Delivery, Subscription

SUBSCRIPTION_PREFIX = "whk"
DELIVERY_PREFIX = "dlv"
_SALT = "webhooks.delivery_log"


def public_id(prefix: str, pk: UUID) -> str:
    return f"{prefix}_{pk.hex}"


def parse_id(prefix: str, raw: object, label: str) -> UUID:
    """The UUID of ``whk_…``/``dlv_…`` or a plain UUID; NotFound otherwise."""
    if isinstance(raw, str):
        head, sep, tail = raw.strip().rpartition("_")
        if not sep or head == prefix:
            try:
                return UUID(tail)
            except ValueError:
                pass
    raise errors.NotFound(f"No {label} has the id '{str(raw)[:80]}'.")


def subscriptions(ctx: Context) -> QuerySet:
    """The webhooks the context may see and manage."""
    qs = Subscription.objects.filter(workspace=ctx.workspace)
    if not ctx.is_admin:
        qs = qs.filter(created_by_id=ctx.user_id)
    return qs.select_related("created_by")


def subscription_get(ctx: Context, raw_id: object, *, lock: bool = False):
    pk = parse_id(SUBSCRIPTION_PREFIX, raw_id, "webhook")
    qs = subscriptions(ctx)
    if lock:
        qs = qs.select_for_update(of=("self",))
    found = qs.filter(pk=pk).first()
    if found is None:
        raise errors.NotFound(f"No webhook has the id '{str(raw_id)[:80]}'.")
    return found


def delivery_get(ctx: Context, raw_id: object) -> Delivery:
    pk = parse_id(DELIVERY_PREFIX, raw_id, "delivery")
    found = (
        Delivery.objects.filter(pk=pk, subscription__in=subscriptions(ctx))
        .select_related("subscription")
        .first()
    )
    if found is None:
        raise errors.NotFound(f"No delivery has the id '{str(raw_id)[:80]}'.")
    return found


@dataclass
class DeliveryPage:
    rows: list[Delivery]
    next_cursor: str | None
    has_more: bool


def delivery_log(
    subscription: Subscription,
    *,
    cursor: str | None = None,
    limit: int = 50,
    status: str | None = None,
) -> DeliveryPage:
    """A subscription's deliveries, newest first, a keyset page at a time."""
    qs = Delivery.objects.filter(subscription=subscription).defer("body")
    if status:
        if status not in Delivery.Status.values:
            raise errors.ValidationFailed(
                f"status is one of {', '.join(Delivery.Status.values)}.",
                field="status",
            )
        qs = qs.filter(status=status)
    if cursor:
        try:
            state = signing.loads(cursor, salt=_SALT)
            if state["s"] != subscription.pk.hex or state.get("f") != status:
                raise ValueError("another log")
            qs = qs.filter(pk__lt=UUID(state["k"]))
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise errors.ValidationFailed(
                "The cursor is not valid: pass back next_cursor exactly as it was "
                "returned.",
                field="cursor",
            ) from None
    rows = list(qs.order_by("-pk")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more:
        next_cursor = signing.dumps(
            {"s": subscription.pk.hex, "k": rows[-1].pk.hex, "f": status}, salt=_SALT
        )
    return DeliveryPage(rows, next_cursor, has_more)
