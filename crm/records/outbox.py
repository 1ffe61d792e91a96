"""Events written in the same transaction as the change they describe."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.utils import timezone

from accounts.access import Context
from crm.metadata.types import ObjectType
from crm.models import OutboxEvent

Event = OutboxEvent.Kind


def event(
    ctx: Context,
    object_type: ObjectType,
    record_id: UUID,
    kind: Event,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    changed: Iterable[str] = (),
) -> OutboxEvent:
    """An unsaved event row; ``emit`` writes a batch of them."""
    return OutboxEvent(
        workspace=ctx.workspace,
        object_name=object_type.api_name,
        record_id=record_id,
        event=kind,
        before=before,
        after=after,
        changed=list(changed),
        user=ctx.user,
        occurred_at=timezone.now(),
    )


def emit(events: list[OutboxEvent]) -> None:
    """Write events; call inside the transaction of the change."""
    OutboxEvent.objects.bulk_create(events)
