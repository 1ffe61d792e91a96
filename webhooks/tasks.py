"""Webhook work on Celery, under stable names. Every task takes ids (or
nothing), is safe to run twice and keeps its schedule in the database.

- ``webhooks.dispatch``: outbox events → deliveries (after each commit; the
  beat runs it with ``sweep=True``, which also moves the watermark).
- ``webhooks.send_due``: claim and send a batch of due deliveries.
- ``webhooks.deliver``: one attempt at one delivery (replays).
- ``webhooks.sweep`` (beat): release expired leases, queue due deliveries.
- ``webhooks.check_failing`` (beat): disable subscriptions failing too long.
- ``webhooks.purge`` (beat): drop old delivery logs and stream entries.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from webhooks import deliveries, dispatch, health, queue
from webhooks.models import Delivery, PublishedEvent


@shared_task(name=queue.DISPATCH, soft_time_limit=60, time_limit=90)
def dispatch_events(sweep: bool = False) -> int:
    """Turn undispatched outbox events into deliveries; returns how many
    events were handled. Re-queues itself while a backlog remains."""
    result = dispatch.run_all(advance=sweep)
    if result.more:
        queue.send(queue.DISPATCH)
    return result.events


@shared_task(bind=True, name=queue.SEND_DUE, soft_time_limit=300, time_limit=330)
def send_due(self) -> int:
    """Send due deliveries for up to a minute; re-queues itself when it may
    have left some. In-process (no broker) it sends one batch: the request
    that committed a change waits for it."""
    if self.request.is_eager:
        return deliveries.send_due()
    sent = deliveries.send_due(budget=60)
    if sent >= settings.WEBHOOK_BATCH_SIZE:
        queue.send(queue.SEND_DUE)
    return sent


@shared_task(name=queue.DELIVER, soft_time_limit=30, time_limit=40)
def deliver(delivery_id: str) -> None:
    """One attempt at one delivery. Safe to run twice: the claim is atomic."""
    deliveries.attempt(UUID(delivery_id))


@shared_task(name=queue.SWEEP, soft_time_limit=60, time_limit=90)
def sweep() -> int:
    """Re-queue due deliveries and those whose worker died."""
    return deliveries.sweep()


@shared_task(name=queue.CHECK_FAILING, soft_time_limit=300, time_limit=360)
def check_failing() -> int:
    """Disable subscriptions that have failed for too long; mail their owners."""
    return health.disable_failing()


@shared_task(name=queue.PURGE, soft_time_limit=1800, time_limit=1900)
def purge() -> int:
    """Delete finished deliveries and stream entries past their retention."""
    now = timezone.now()
    done = [Delivery.Status.SUCCEEDED, Delivery.Status.FAILED]
    logs = dt.timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    removed, _ = Delivery.objects.filter(
        status__in=done, completed_at__lt=now - logs
    ).delete()
    stream = dt.timedelta(days=settings.WEBHOOK_EVENT_RETENTION_DAYS)
    cutoff = now - stream
    dropped, _ = PublishedEvent.objects.filter(published_at__lt=cutoff).delete()
    return removed + dropped
