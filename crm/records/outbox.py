"""Events written in the same transaction as the change they describe.

Once that transaction commits, the webhook dispatcher is asked (by task name:
``crm`` imports no adapter) to pick the new events up. A broker that is down
loses nothing: the events are committed and the dispatcher's periodic sweep
finds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from accounts.access import Context
from crm import tasking
from crm.metadata.types import ObjectType
from crm.models import OutboxEvent
from crm.records import totals, writes

Event = OutboxEvent.Kind


#: The dispatcher's stable task name (webhooks/tasks.py).
DISPATCH_TASK = "webhooks.dispatch"


def maker(ctx: Context, object_type: ObjectType) -> Callable[..., OutboxEvent]:
    """A maker of unsaved events for records of one object: ``make(record_id,
    kind, *, before, after, changed=())``; ``emit`` writes a batch of them.
    The events of one maker (one batch, one transaction) share their time."""
    make = writes.factory(
        OutboxEvent,
        workspace=ctx.workspace,
        object_name=object_type.api_name,
        user=ctx.user,
    )
    now = timezone.now()

    def event_of(
        record_id: UUID,
        kind: Event,
        *,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        changed: Iterable[str] = (),
    ) -> OutboxEvent:
        return make(
            record_id=record_id,
            event=kind,
            before=before,
            after=after,
            changed=list(changed),
            occurred_at=now,
        )

    return event_of


def emit(events: list[OutboxEvent]) -> None:
    """Write events (their ids are not read back) and move the pipeline
    totals they change; call inside the transaction of the change. Dispatch
    is triggered once per transaction, after it commits."""
    writes.insert_rows(OutboxEvent, events)
    totals.move(events)
    if events and not _trigger_pending():
        transaction.on_commit(_trigger_dispatch)


def _trigger_pending() -> bool:
    """Whether this transaction already asks for a dispatch on commit. A
    request made in a savepoint that rolled back is gone from the list; any
    other one commits whenever the current savepoint does."""
    connection = transaction.get_connection()
    return any(func is _trigger_dispatch for _, func, *_ in connection.run_on_commit)


def _trigger_dispatch() -> None:
    """Send the dispatch task; never raises (a broker outage is logged, and
    the periodic sweep dispatches these events)."""
    tasking.send(DISPATCH_TASK, expires=600)
