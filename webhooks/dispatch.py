"""Outbox events → matching subscriptions → Delivery rows, exactly once.

One dispatcher runs at a time (it locks the ``DispatchCursor`` row). It takes
the committed events it has not handled yet — above the watermark and without
a ``PublishedEvent`` mark — matches each against the active subscriptions of
its workspace (object, event kind, the filter evaluated on the record after
the change, and what the subscription's owner may see), writes the deliveries
and marks the events, in one transaction. A unique constraint keeps one
delivery per (event, subscription) whatever happens.

Events commit out of id order, so the watermark only moves past events older
than ``WEBHOOK_DISPATCH_GRACE_SECONDS``; an event whose transaction stays open
longer than that after writing it is the one case this design does not cover.
Triggered after each commit (``crm.records.outbox``) and by the beat sweep,
which also moves the watermark.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef
from django.utils import timezone

from accounts import access, errors
from accounts.access import Action, Context
from crm.metadata import registry
from crm.metadata.types import ObjectType
from crm.models import OutboxEvent
from crm.query import evaluate, filters, visibility
from crm.records import writes
from webhooks import health, payloads, queue
from webhooks.models import Delivery, DispatchCursor, PublishedEvent, Subscription

BATCH = 2000


@dataclass
class Result:
    events: int = 0
    deliveries: int = 0
    more: bool = False
    #: The id of the last event handled (0: none).
    last: int = 0


def _lock() -> DispatchCursor:
    cursor = DispatchCursor.objects.select_for_update().filter(pk=1).first()
    if cursor is None:
        DispatchCursor.objects.bulk_create(
            [DispatchCursor(pk=1)], ignore_conflicts=True
        )
        cursor = DispatchCursor.objects.select_for_update().get(pk=1)
    return cursor


def _undispatched(after: int):
    published = PublishedEvent.objects.filter(event_id=OuterRef("pk"))
    return OutboxEvent.objects.filter(pk__gt=after).filter(~Exists(published))


def _may_want(subscription: Subscription, kind: str, occurred_at) -> bool:
    """What can be told of an event without reading it in full: its kind is
    one the subscription asks for, and it happened once the subscription
    existed."""
    return kind in subscription.events and subscription.created_at <= occurred_at


class _Matcher:
    """Per-run caches: registries, owners' contexts, parsed filters."""

    def __init__(self) -> None:
        self.contexts: dict[Any, Context | None] = {}
        self.conditions: dict[Any, tuple | None] = {}
        self.private: dict[tuple, bool] = {}

    def _drop(self, subscription: Subscription, reason: str) -> None:
        self.contexts[subscription.pk] = None
        health.disable(subscription, reason)

    def context(self, subscription: Subscription) -> Context | None:
        if subscription.pk in self.contexts:
            return self.contexts[subscription.pk]
        try:
            if subscription.created_by is None:
                raise errors.NotFound("no owner")
            ctx = access.context_for_user(
                subscription.created_by, subscription.workspace
            )
        except errors.NotFound:
            self._drop(
                subscription,
                "Its owner is no longer an active member of the workspace; "
                "re-enable it to take it over.",
            )
            return None
        if not ctx.can(subscription.object_name, Action.READ):
            self._drop(subscription, "Its owner may no longer read this object.")
            return None
        self.contexts[subscription.pk] = ctx
        return ctx

    def object_type(self, subscription: Subscription) -> ObjectType | None:
        found = registry.for_workspace(subscription.workspace).find(
            subscription.object_name
        )
        if found is None:
            self._drop(subscription, "Its object no longer exists.")
        return found

    def filter_of(self, subscription: Subscription, object_type: ObjectType):
        if subscription.pk not in self.conditions:
            try:
                parsed = filters.parse(object_type, subscription.filter)
            except errors.ValidationFailed as exc:
                self._drop(subscription, f"Its filter no longer fits: {exc.message}")
                parsed = None
            self.conditions[subscription.pk] = parsed
        return self.conditions[subscription.pk]

    def wants(self, subscription: Subscription, event: OutboxEvent) -> bool:
        """Kind, age, owner and filter (on the record after the change; the
        last state for a delete)."""
        if not _may_want(subscription, event.event, event.occurred_at):
            return False
        ctx = self.context(subscription)
        object_type = ctx and self.object_type(subscription)
        if ctx is None or object_type is None:
            return False
        conditions = self.filter_of(subscription, object_type)
        if conditions is None:
            return False
        if not conditions:
            return True
        snapshot = event.after if event.after is not None else event.before
        try:
            return evaluate.matches(
                ctx, conditions, payloads.state(object_type, snapshot)
            )
        except errors.ValidationFailed as exc:
            self._drop(subscription, f"Its filter no longer fits: {exc.message}")
            return False

    def visible(self, subscription: Subscription, record_ids: set) -> set:
        """The records among ``record_ids`` the owner may read (live or in
        the recycle bin)."""
        ctx = self.contexts.get(subscription.pk)
        object_type = registry.for_workspace(subscription.workspace).find(
            subscription.object_name
        )
        if ctx is None or object_type is None:
            return set()
        if ctx.can(object_type.api_name, Action.VIEW_ALL):
            return record_ids
        key = (subscription.workspace_id, object_type.api_name)
        if key not in self.private:
            access_level = visibility.default_access(ctx, object_type)
            self.private[key] = access_level == visibility.Access.PRIVATE
        if not self.private[key]:
            return record_ids
        found = set()
        for deleted in (False, True):
            found |= set(
                visibility.readable(ctx, object_type, deleted=deleted)
                .filter(pk__in=record_ids)
                .values_list("pk", flat=True)
            )
        return found


def _subscriptions(workspace_ids: set) -> dict[tuple, list[Subscription]]:
    """The active subscriptions of these workspaces, by (workspace, object)."""
    by_target: dict[tuple, list[Subscription]] = defaultdict(list)
    for subscription in Subscription.objects.filter(
        workspace_id__in=workspace_ids, is_active=True
    ).select_related("workspace", "created_by"):
        key = (subscription.workspace_id, subscription.object_name)
        by_target[key].append(subscription)
    return by_target


def _candidates(heads: list[tuple], by_target: dict[tuple, list]) -> list[int]:
    """The ids of the events (``_HEAD`` tuples) that some subscription of
    their object may want (``_may_want``): only those are read in full."""
    return [
        pk
        for pk, workspace_id, object_name, kind, occurred_at in heads
        if any(
            _may_want(subscription, kind, occurred_at)
            for subscription in by_target.get((workspace_id, object_name), ())
        )
    ]


def _deliveries(
    events: list[OutboxEvent], by_target: dict[tuple, list], now: dt.datetime
) -> list[Delivery]:
    matcher = _Matcher()
    wanted: dict[Any, list[OutboxEvent]] = defaultdict(list)
    subscriptions: dict[Any, Subscription] = {}
    for event in events:
        for subscription in by_target.get((event.workspace_id, event.object_name), ()):
            if subscription.is_active and matcher.wants(subscription, event):
                wanted[subscription.pk].append(event)
                subscriptions[subscription.pk] = subscription
    bodies: dict[int, tuple[str, str, str]] = {}
    made = []
    for pk, matched in wanted.items():
        subscription = subscriptions[pk]
        if not subscription.is_active:
            continue
        seen = matcher.visible(subscription, {e.record_id for e in matched})
        for event in matched:
            if event.record_id not in seen:
                continue
            if event.pk not in bodies:
                types = registry.for_workspace(subscription.workspace)
                payload = payloads.build(types, event)
                body = payloads.encode(payload).decode()
                bodies[event.pk] = (payload["event"], payload["event_id"], body)
            event_type, message_id, body = bodies[event.pk]
            made.append(
                Delivery(
                    subscription=subscription,
                    event_id=event.pk,
                    event_type=event_type,
                    message_id=message_id,
                    body=body,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    return made


def _advance(cursor: DispatchCursor, now: dt.datetime) -> None:
    """Move the watermark past settled events that are all dispatched."""
    horizon = now - dt.timedelta(seconds=settings.WEBHOOK_DISPATCH_GRACE_SECONDS)
    mark = cursor.last_event_id
    settled = (
        OutboxEvent.objects.filter(pk__gt=mark, occurred_at__lt=horizon)
        .aggregate(top=Max("pk"))
        .get("top")
    )
    if settled is None:
        return
    first_open = (
        _undispatched(mark).filter(pk__lte=settled).aggregate(low=Min("pk")).get("low")
    )
    new_mark = settled if first_open is None else first_open - 1
    if new_mark > mark:
        cursor.last_event_id = new_mark
        cursor.updated_at = now
        cursor.save(update_fields=["last_event_id", "updated_at"])


#: What an event is first read as: enough to know who may want it.
_HEAD = ("pk", "workspace_id", "object_name", "event", "occurred_at")


def run(*, limit: int = BATCH, advance: bool = False, after: int = 0) -> Result:
    """Dispatch up to ``limit`` undispatched events (above ``after`` too, when
    given: where the last batch of this run stopped). Atomic; safe to run
    concurrently (runs queue on the cursor's lock) and to repeat. An event
    is read in full only when a subscription may want it; every event gets
    its mark."""
    now = timezone.now()
    with transaction.atomic():
        cursor = _lock()
        start = max(cursor.last_event_id, after)
        heads = list(_undispatched(start).order_by("pk").values_list(*_HEAD)[:limit])
        result = Result(events=len(heads), more=len(heads) == limit)
        if heads:
            result.last = heads[-1][0]
            by_target = _subscriptions({head[1] for head in heads})
            wanted = _candidates(heads, by_target)
            events = list(OutboxEvent.objects.filter(pk__in=wanted).order_by("pk"))
            made = _deliveries(events, by_target, now) if events else []
            Delivery.objects.bulk_create(made, ignore_conflicts=True)
            mark = writes.factory(PublishedEvent, published_at=now)
            writes.insert_rows(
                PublishedEvent,
                [mark(event_id=pk, workspace_id=ws) for pk, ws, *_ in heads],
            )
            result.deliveries = len(made)
        if advance:
            _advance(cursor, now)
        if result.deliveries:
            queue.on_commit(queue.SEND_DUE)
    return result


def run_all(*, advance: bool = False, budget: float = 20.0) -> Result:
    """Dispatch batches until none is left or ``budget`` seconds pass."""
    started = time.monotonic()
    total = Result()
    after = 0
    while True:
        # A later batch starts where this one stopped: events below it that
        # commit late are found by the run their own commit triggers.
        result = run(advance=advance, after=after)
        after = result.last
        total.events += result.events
        total.deliveries += result.deliveries
        total.more = result.more
        if not result.more or time.monotonic() - started > budget:
            return total
