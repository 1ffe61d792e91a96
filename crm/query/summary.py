"""Small read-only summaries for the home page."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.access import Context
from crm.metadata import registry
from crm.metadata.types import ObjectType


@dataclass(frozen=True)
class ObjectCount:
    object_type: ObjectType
    count: int


def counts(ctx: Context) -> list[ObjectCount]:
    """Live records per readable top-level object (one query per object)."""
    shown = [t for t in registry.all_types(ctx) if t.in_navigation]
    return [ObjectCount(t, t.queryset(ctx.workspace).count()) for t in shown]
