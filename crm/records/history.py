"""Field history: one FieldChange row per tracked field that changed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.utils import timezone

from accounts.access import Context
from crm.metadata.types import ObjectType
from crm.models import FieldChange


def changes(
    ctx: Context,
    object_type: ObjectType,
    record_id: UUID,
    before: dict[str, Any],
    after: dict[str, Any],
    changed: Iterable[str],
) -> list[FieldChange]:
    """Unsaved history rows for the tracked fields among ``changed``."""
    now = timezone.now()
    return [
        FieldChange(
            workspace=ctx.workspace,
            object_name=object_type.api_name,
            record_id=record_id,
            field=name,
            old_value=before.get(name),
            new_value=after.get(name),
            changed_by=ctx.user,
            changed_at=now,
        )
        for name in changed
        if object_type.fields[name].tracked
    ]


def write(rows: list[FieldChange]) -> None:
    FieldChange.objects.bulk_create(rows)
