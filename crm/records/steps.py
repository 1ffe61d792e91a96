"""The steps every write of a record takes, shared by the single-record calls
(``crm.records.lifecycle``) and the batch path (``crm.records.batch``).

Nothing here opens a transaction or checks the profile's rights: callers do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

from django.utils import timezone

from accounts import errors
from accounts.access import Context
from crm.metadata import field_types
from crm.metadata.types import ObjectType
from crm.query import visibility
from crm.records import validation, writes

#: Audit columns that change on every write and are not news on their own.
STAMPS = frozenset({"updated_at", "updated_by"})
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def version(updated_at: dt.datetime) -> str:
    """A record's version (an API's ETag): its ``updated_at`` in microseconds.
    Every write that changes a field moves it; one that changes nothing not."""
    return str((updated_at - _EPOCH) // dt.timedelta(microseconds=1))


def check_version(
    object_type: ObjectType, record, expected: str | Collection[str] | None
) -> None:
    """PreconditionFailed unless the locked ``record`` is at one of the
    ``expected`` versions (None: no condition)."""
    if expected is None:
        return
    allowed = {expected} if isinstance(expected, str) else set(expected)
    if version(record.updated_at) not in allowed:
        raise errors.PreconditionFailed(
            f"This {object_type.label} has changed since you read it; "
            "read it again and retry."
        )


def as_uuid(object_type: ObjectType, record_id: Any) -> UUID:
    """A record id as a UUID (a string is parsed); NotFound when it is none."""
    if isinstance(record_id, UUID):
        return record_id
    try:
        return UUID(str(record_id))
    except ValueError:
        raise errors.NotFound(f"No {object_type.label} with id {record_id}.") from None


def not_editable(ctx: Context, object_type: ObjectType, record_id: UUID, readable):
    """The refusal for a record the context may not change: PermissionDenied
    when it may see it (``record_id`` in ``readable``), else NotFound."""
    if record_id in readable:
        return errors.PermissionDenied(f"You may not change this {object_type.label}.")
    return errors.NotFound(f"No {object_type.label} with id {record_id}.")


def lock_many(
    ctx: Context, object_type: ObjectType, record_ids: Collection[UUID]
) -> tuple[dict[UUID, Any], dict[UUID, errors.DomainError]]:
    """The live records the context may edit, locked for the rest of the
    transaction, and a refusal for each of the others (two queries at most)."""
    found = {
        record.pk: record
        for record in visibility.editable(ctx, object_type)
        .select_for_update()
        .filter(pk__in=list(record_ids))
    }
    missing = set(record_ids) - found.keys()
    readable = set()
    if missing:
        readable = set(
            visibility.readable(ctx, object_type)
            .filter(pk__in=list(missing))
            .values_list("pk", flat=True)
        )
    refused = {pk: not_editable(ctx, object_type, pk, readable) for pk in missing}
    return found, refused


def get_locked(ctx: Context, object_type: ObjectType, record_id: UUID):
    """The live record the context may edit, locked for the rest of the
    transaction. NotFound when it is missing, deleted, in another workspace or
    not visible; PermissionDenied when it is visible but not editable."""
    found, refused = lock_many(ctx, object_type, [record_id])
    if record_id in refused:
        raise refused[record_id]
    return found[record_id]


def apply_pipeline(
    object_type: ObjectType, record, values: dict[str, Any], creating: bool
) -> None:
    """Fill pipeline, stage and what follows from the stage's kind."""
    field = object_type.pipeline_field
    if not field or not object_type.pipelines:
        return
    chosen = (
        values["pipeline"] if "pipeline" in values else getattr(record, "pipeline", "")
    )
    pipeline = object_type.pipeline(chosen)
    if pipeline is None:
        return  # reported by validation.check
    if "pipeline" in object_type.fields and not chosen:
        values["pipeline"] = pipeline.key
    current = values[field] if field in values else getattr(record, field, "")
    if not current and pipeline.stages and (creating or field in values):
        values[field] = pipeline.stages[0].key
    if field not in values:
        return
    stage = pipeline.stage(values[field] or "")
    if stage is None:
        return
    derived = {"is_closed": stage.kind != "open", "is_won": stage.kind == "won"}
    if "probability" in object_type.fields and "probability" not in values:
        derived["probability"] = stage.probability
    if "closed_at" in object_type.fields:
        was_closed = getattr(record, "is_closed", False)
        if stage.kind != "open" and not was_closed:
            derived["closed_at"] = timezone.now()
        elif stage.kind == "open":
            derived["closed_at"] = None
    for name, value in derived.items():
        if name in object_type.fields:
            values[name] = value


def stamp(ctx: Context, record, *, creating: bool, now: dt.datetime | None) -> None:
    """Set the audit columns of a write by ``ctx`` at ``now``."""
    now = now or timezone.now()
    loaded, cache = record.__dict__, record._state.fields_cache
    loaded["updated_at"], loaded["updated_by_id"] = now, ctx.user_id
    cache["updated_by"] = ctx.user
    if creating:
        loaded["created_at"], loaded["created_by_id"] = now, ctx.user_id
        cache["created_by"] = ctx.user


def defaults(ctx: Context, object_type: ObjectType) -> dict[str, Any]:
    """What each writable field holds when a create (or a full replace) does
    not give it; computed once for a batch."""
    return {
        spec.name: validation.default_value(ctx, object_type, spec)
        for spec in object_type.writable_fields
    }


def fill(values: dict[str, Any], filler: Mapping[str, Any]) -> None:
    for name, value in filler.items():
        if name not in values:
            values[name] = value


def builder(ctx: Context, object_type: ObjectType, now: dt.datetime):
    """``build(values)`` for a batch: a new, unsaved, stamped record from
    cleaned ``values`` (completed with the pipeline's first stage and the
    defaults of the fields not given)."""
    fixed = {"workspace": ctx.workspace}
    if object_type.is_custom:
        fixed["definition_id"] = object_type.definition_id
    make = writes.factory(object_type.model, **fixed)
    filler = defaults(ctx, object_type)

    def build(values: dict[str, Any]):
        record = make(created_at=now, updated_at=now)  # their defaults not called
        apply_pipeline(object_type, record, values, creating=True)
        fill(values, filler)
        object_type.assign(record, values)
        record.derive()
        stamp(ctx, record, creating=True, now=now)
        return record

    return build


def change(object_type: ObjectType, record, values: dict[str, Any]):
    """Apply cleaned ``values`` to a locked record in memory: its snapshot
    before, its state and snapshot after, and the fields that changed."""
    before = snapshot_of(object_type, validation.state_of(object_type, record))
    apply_pipeline(object_type, record, values, creating=False)
    object_type.assign(record, values)
    record.derive()
    state = validation.state_of(object_type, record)
    after = snapshot_of(object_type, state)
    changed = [
        name for name in after if after[name] != before[name] and name not in STAMPS
    ]
    return before, state, after, changed


def snapshot_of(object_type: ObjectType, state: Mapping[str, Any]) -> dict[str, Any]:
    """``object_type.snapshot`` of a record whose ``state_of`` is ``state``."""
    return {
        name: state[name] if to_json is None else to_json(state[name])
        for name, to_json in field_types.conversions(object_type, "to_json").items()
    }
