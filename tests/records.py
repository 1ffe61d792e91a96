"""Helpers that build valid record payloads from the registry."""

from typing import Any

from crm.metadata.types import ObjectType

#: Every built-in object, for tests parametrised over all of them.
STANDARD_OBJECTS = (
    "account",
    "contact",
    "lead",
    "opportunity",
    "opportunity_line_item",
    "product",
    "price",
    "quote",
    "quote_line_item",
    "contract",
    "case",
    "campaign",
    "campaign_member",
    "task",
    "event",
    "note",
    "call",
    "email",
)


def sample_data(
    object_type: ObjectType, parents: dict[str, Any] | None = None, n: int = 1
):
    """A payload with every required field (lookups from ``parents``, keyed by
    target object) plus a sample of each optional non-lookup field."""
    parents = parents or {}
    data: dict[str, Any] = {}
    for spec in object_type.writable_fields:
        if spec.is_lookup:
            if spec.target in parents and (
                spec.required or spec.target != object_type.api_name
            ):
                data[spec.name] = parents[spec.target]
            continue
        if spec.name in ("pipeline",) or spec.name == object_type.pipeline_field:
            continue
        if spec.type.key in ("picklist", "multi_picklist") and not spec.choices:
            continue
        data[spec.name] = spec.type.sample(spec, n)
    return data
