"""Sending deliveries: claim, post, record the outcome, schedule the retry.

A claim is one atomic conditional UPDATE that moves due ``pending`` rows to
``sending`` under a fresh lease token (rows another worker holds are skipped),
so a delivery is attempted by one worker at a time. Outcomes are written only
while the token still holds. A worker that dies leaves a lease that expires;
the sweep puts such rows back (each attempt is counted when claimed, so a
delivery that kills workers still runs out of attempts).

Retries: 2xx is done; 3xx, 408, 429, 5xx, timeouts and network errors are
retried after ``base * factor^(n-1)`` seconds (capped, ±20 % jitter, never
sooner than ``Retry-After``) until ``WEBHOOK_MAX_ATTEMPTS``; any other 4xx is
final, and 410 also disables the subscription. The schedule lives in
``next_attempt_at``, never in broker countdowns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import random
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from webhooks import health, queue, signing, transport
from webhooks.models import Delivery, Subscription

Status = Delivery.Status
#: Longer than a batch can take from its claim to its outcome (the next batch
#: is claimed while one is in flight): two batches of 100, 16 at a time, 15 s
#: each at worst.
LEASE = dt.timedelta(minutes=10)
#: What sending needs of a claimed delivery.
_SENT_FIELDS = (
    "subscription_id",
    "event_type",
    "message_id",
    "body",
    "status",
    "attempts",
    "lease_token",
    "last_attempt_at",
)
_OUTCOME_FIELDS = [
    "status",
    "next_attempt_at",
    "lease_until",
    "lease_token",
    "response_status",
    "duration_ms",
    "response_excerpt",
    "error",
    "completed_at",
]


def backoff(attempt: int, retry_after: float | None = None) -> dt.timedelta:
    """How long to wait after failed attempt number ``attempt`` (1-based)."""
    cap = settings.WEBHOOK_RETRY_MAX_SECONDS
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    exponent = min(attempt - 1, 64)
    delay = min(cap, base * settings.WEBHOOK_RETRY_FACTOR**exponent)
    delay *= random.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return dt.timedelta(seconds=delay)


def _due(now: dt.datetime):
    # A semi-join (not a join) lets the planner walk the due index in order
    # and stop at the batch size.
    active = Subscription.objects.filter(is_active=True).values("pk")
    return Delivery.objects.filter(
        status=Status.PENDING, next_attempt_at__lte=now, subscription_id__in=active
    )


@contextlib.contextmanager
def _bookkeeping():
    """A transaction for claims and outcomes. On PostgreSQL, when it is the
    outermost one, its commit does not wait for the disk: a crash may lose the
    last claims or outcomes, and those deliveries are sent again (they are
    at-least-once anyway)."""
    outermost = not transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def claim(*, limit: int, ids: Iterable[UUID] | None = None) -> list[Delivery]:
    """Take up to ``limit`` due deliveries (of ``ids`` when given) for this
    worker. Atomic; rows locked or taken by another worker are skipped."""
    now = timezone.now()
    with _bookkeeping():
        due = _due(now)
        if ids is not None:
            due = due.filter(pk__in=list(ids))
        picked = list(
            due.order_by("next_attempt_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if not picked:
            return []
        token = uuid.uuid4()
        Delivery.objects.filter(pk__in=picked, status=Status.PENDING).update(
            status=Status.SENDING,
            lease_until=now + LEASE,
            lease_token=token,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    claimed = list(
        Delivery.objects.filter(pk__in=picked, lease_token=token).only(*_SENT_FIELDS)
    )
    subscriptions = Subscription.objects.in_bulk(
        {delivery.subscription_id for delivery in claimed}
    )
    for delivery in claimed:
        delivery.subscription = subscriptions[delivery.subscription_id]
    return claimed


def _post(delivery: Delivery) -> transport.Outcome:
    subscription = delivery.subscription
    body = delivery.body.encode()
    headers = signing.headers(
        secrets=subscription.signing_secrets(),
        message_id=delivery.message_id,
        body=body,
        header=subscription.signature_header,
    )
    return transport.post(subscription.url, body, headers)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.WEBHOOK_CONCURRENCY,
                thread_name_prefix="webhook",
            )
        return _pool


def _forget_pool() -> None:
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _apply(delivery: Delivery, outcome: transport.Outcome, now: dt.datetime) -> None:
    delivery.lease_until = None
    delivery.lease_token = None
    delivery.response_status = outcome.status_code
    delivery.duration_ms = outcome.duration_ms
    delivery.response_excerpt = outcome.excerpt
    delivery.error = outcome.error
    if outcome.ok:
        delivery.status, delivery.next_attempt_at = Status.SUCCEEDED, None
        delivery.completed_at = now
    elif (
        outcome.retryable
        and not outcome.gone
        and delivery.attempts < settings.WEBHOOK_MAX_ATTEMPTS
    ):
        delivery.status = Status.PENDING
        delivery.next_attempt_at = now + backoff(delivery.attempts, outcome.retry_after)
        delivery.completed_at = None
    else:
        delivery.status, delivery.next_attempt_at = Status.FAILED, None
        delivery.completed_at = now
        if not delivery.error:
            delivery.error = (
                f"HTTP {outcome.status_code}"
                if outcome.status_code
                else "Gave up after the last attempt."
            )


def _write(rows: list[Delivery]) -> None:
    """One UPDATE per row, conditional on the lease token the row was claimed
    with, sent as one batch (``bulk_update`` builds a CASE per field and row,
    which costs more than the HTTP call)."""
    meta = Delivery._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in _OUTCOME_FIELDS]
    pk, token = meta.pk, meta.get_field("lease_token")
    sql = "UPDATE {} SET {} WHERE {} = %s AND {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(pk.column),
        quote(token.column),
    )
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
        + [
            pk.get_db_prep_value(row.pk, connection),
            token.get_db_prep_value(row.claimed_with, connection),
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def record(claimed: list[Delivery], outcomes: list[transport.Outcome]) -> None:
    """Write the outcomes of claimed deliveries (only while their lease holds)
    and the health of their subscriptions."""
    now = timezone.now()
    for delivery, outcome in zip(claimed, outcomes, strict=True):
        delivery.claimed_with = delivery.lease_token
        _apply(delivery, outcome, now)
    healthy, failing, gone = set(), set(), {}
    for delivery, outcome in zip(claimed, outcomes, strict=True):
        if outcome.ok:
            healthy.add(delivery.subscription_id)
        else:
            failing.add(delivery.subscription_id)
        if outcome.gone:
            gone[delivery.subscription_id] = delivery.subscription
    with _bookkeeping():
        _write(claimed)
        if healthy:
            Subscription.objects.filter(pk__in=healthy).update(
                failing_since=None, last_success_at=now
            )
        if failing - healthy:
            Subscription.objects.filter(
                pk__in=failing - healthy, failing_since__isnull=True
            ).update(failing_since=now)
    for subscription in gone.values():
        health.disable(
            subscription,
            "The endpoint answered 410 Gone: it asked for no more deliveries.",
        )


def send(claimed: list[Delivery]) -> list[transport.Outcome]:
    """Post claimed deliveries (concurrently) and record what happened."""
    if not claimed:
        return []
    if len(claimed) == 1:
        outcomes = [_post(claimed[0])]
    else:
        outcomes = list(_executor().map(_post, claimed))
    record(claimed, outcomes)
    return outcomes


def attempt(delivery_id: UUID) -> transport.Outcome | None:
    """One attempt at one delivery if it is due and unclaimed (None if not).
    Safe to run twice: the claim is atomic."""
    claimed = claim(limit=1, ids=[delivery_id])
    return send(claimed)[0] if claimed else None


def send_due(limit: int | None = None, *, budget: float = 0.0) -> int:
    """Claim and send due deliveries a batch at a time: one batch, or batches
    for up to ``budget`` seconds, each claimed while the one before is still
    in flight. Returns how many were sent."""
    size = limit or settings.WEBHOOK_BATCH_SIZE
    deadline = time.monotonic() + budget
    claimed = claim(limit=size)
    sent = 0
    while claimed:
        pending = [_executor().submit(_post, delivery) for delivery in claimed]
        upcoming = claim(limit=size) if time.monotonic() < deadline else []
        record(claimed, [future.result() for future in pending])
        sent += len(claimed)
        claimed = upcoming
    return sent


def release_expired(now: dt.datetime | None = None) -> int:
    """Put deliveries whose worker died (lease expired) back in line, or fail
    them when their attempts are used up; returns how many."""
    now = now or timezone.now()
    expired = Delivery.objects.filter(status=Status.SENDING, lease_until__lt=now)
    common = {"lease_until": None, "lease_token": None}
    failed = expired.filter(attempts__gte=settings.WEBHOOK_MAX_ATTEMPTS).update(
        status=Status.FAILED,
        next_attempt_at=None,
        completed_at=now,
        error="The worker stopped during the last attempt.",
        **common,
    )
    retried = expired.update(
        status=Status.PENDING,
        next_attempt_at=now,
        error="The worker stopped during an attempt; trying again.",
        **common,
    )
    return failed + retried


def sweep(now: dt.datetime | None = None) -> int:
    """Release expired leases and queue enough send tasks for what is due;
    returns the number of due deliveries."""
    now = now or timezone.now()
    release_expired(now)
    batch = settings.WEBHOOK_BATCH_SIZE
    due = _due(now).values("pk")[: batch * settings.WEBHOOK_SWEEP_MAX_TASKS].count()
    for _ in range(math.ceil(due / batch)):
        queue.send(queue.SEND_DUE)
    return due


def reset(rows, now: dt.datetime) -> int:
    """Put deliveries back in line for a fresh series of attempts (replay);
    rows being sent right now are left alone."""
    return rows.exclude(status=Status.SENDING).update(
        status=Status.PENDING,
        attempts=0,
        next_attempt_at=now,
        completed_at=None,
        lease_until=None,
        lease_token=None,
        error="",
    )
