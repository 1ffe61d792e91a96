"""Field history: one FieldChange row per tracked field that changed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.utils import timezone

from accounts.access import Context
from crm.metadata.types import ObjectType
from crm.models import FieldChange
from crm.records import writes


def changes(
    ctx: Context,
    object_type: ObjectType,
    record_id: UUID,
    before: dict[str, Any],
    after: dict[str, Any],
    changed: Iterable[str],
) -> list[FieldChange]:
    """Unsaved history rows for the tracked fields among ``changed``."""
    return maker(ctx, object_type)(record_id, before, after, changed)


def maker(ctx: Context, object_type: ObjectType):
    """``changes`` for many records of one object, sharing what the rows
    have in common (the time too: a batch's changes are one write):
    ``make(record_id, before, after, changed)``."""
    make = writes.factory(
        FieldChange,
        workspace=ctx.workspace,
        object_name=object_type.api_name,
        changed_by=ctx.user,
    )
    tracked = {name for name, spec in object_type.fields.items() if spec.tracked}
    now = timezone.now()

    def changes_of(record_id: UUID, before, after, changed) -> list[FieldChange]:
        return [
            make(
                record_id=record_id,
                field=name,
                old_value=before.get(name),
                new_value=after.get(name),
                changed_at=now,
            )
            for name in changed
            if name in tracked
        ]

    return changes_of


def write(rows: list[FieldChange]) -> None:
    """Insert history rows (ids are not read back)."""
    writes.insert_rows(FieldChange, rows)
