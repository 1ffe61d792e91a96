"""Small read-only summaries for the home page."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.access import Context
from crm.metadata import registry
from crm.metadata.types import ObjectType
from crm.query import visibility


@dataclass(frozen=True)
class ObjectCount:
    object_type: ObjectType
    count: int


def counts(ctx: Context) -> list[ObjectCount]:
    """Live records the context may see, per readable top-level object (one
    count per object, plus its sharing look-ups for non-admins)."""
    shown = [t for t in registry.all_types(ctx) if t.in_navigation]
    return [ObjectCount(t, visibility.readable(ctx, t).count()) for t in shown]
