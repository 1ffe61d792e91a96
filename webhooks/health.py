"""Turning a subscription off: at once (410 Gone, an owner who left, a filter
that no longer fits) or after it has failed for too long. The reason is kept
on the subscription and mailed to its owner."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from webhooks.models import Delivery, Subscription

logger = logging.getLogger("webhooks")

Status = Delivery.Status


def disable(subscription: Subscription, reason: str) -> bool:
    """Deactivate an active subscription with ``reason``; its pending
    deliveries fail (replay them after re-enabling). False when it was
    already inactive. Atomic; the owner is mailed after the commit."""
    now = timezone.now()
    reason = reason[:500]
    with transaction.atomic():
        changed = Subscription.objects.filter(
            pk=subscription.pk, is_active=True
        ).update(
            is_active=False, disabled_reason=reason, disabled_at=now, updated_at=now
        )
        if not changed:
            return False
        Delivery.objects.filter(
            subscription=subscription, status=Status.PENDING
        ).update(
            status=Status.FAILED,
            next_attempt_at=None,
            completed_at=now,
            error=f"Not sent: the webhook was disabled. {reason}"[:500],
        )
        subscription.is_active = False
        subscription.disabled_reason = reason
        subscription.disabled_at = now
        transaction.on_commit(lambda: notify(subscription))
    logger.warning("Webhook %s disabled: %s", subscription.pk, reason)
    return True


def notify(subscription: Subscription) -> None:
    """Mail the owner that their webhook was disabled, and why."""
    owner = subscription.created_by
    if owner is None or not owner.email:
        return
    send_mail(
        subject=f"HotCRM: your webhook “{subscription.name}” was disabled",
        message=(
            f"The webhook “{subscription.name}” ({subscription.url}) no longer "
            f"receives events.\n\nReason: {subscription.disabled_reason}\n\n"
            "Fix the endpoint, re-enable the webhook (PATCH is_active: true) and "
            "replay what failed (POST /api/v1/webhooks/{id}/replay)."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[owner.email],
        fail_silently=True,
    )


def disable_failing(now: dt.datetime | None = None) -> int:
    """Disable every subscription whose deliveries have all failed for longer
    than ``WEBHOOK_DISABLE_AFTER_DAYS``; returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
    disabled = 0
    for subscription in Subscription.objects.filter(
        is_active=True, failing_since__lt=cutoff
    ).select_related("created_by"):
        since = subscription.failing_since.astimezone(dt.UTC)
        days = (now - subscription.failing_since).total_seconds() / 86400
        reason = (
            f"Every delivery has failed since {since:%Y-%m-%d %H:%M} UTC "
            f"({days:.1f} days)."
        )
        disabled += disable(subscription, reason)
    return disabled
