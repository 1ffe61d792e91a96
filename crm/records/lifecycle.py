"""Create, update and replace: the one way a record's fields are written.

Each call is one transaction: access check, cleaning, derived values, checks,
the row, its history and its outbox events commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from accounts import errors
from accounts.access import Action, Context, require
from crm.metadata import registry
from crm.metadata.types import ObjectType
from crm.query import visibility
from crm.records import history, outbox, validation

#: Audit columns that change on every write and are not news on their own.
_STAMPS = frozenset({"updated_at", "updated_by"})
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


def get_locked(ctx: Context, object_type: ObjectType, record_id: UUID):
    """The live record the context may edit, locked for the rest of the
    transaction. NotFound when it is missing, deleted, in another workspace or
    not visible; PermissionDenied when it is visible but not editable."""
    record = (
        visibility.editable(ctx, object_type)
        .select_for_update()
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        if visibility.readable(ctx, object_type).filter(pk=record_id).exists():
            raise errors.PermissionDenied(
                f"You may not change this {object_type.label}."
            )
        raise errors.NotFound(f"No {object_type.label} with id {record_id}.")
    return record


def _apply_pipeline(
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


def _stamp(ctx: Context, record, *, creating: bool) -> None:
    now = timezone.now()
    record.updated_at = now
    record.updated_by = ctx.user
    if creating:
        record.created_at = now
        record.created_by = ctx.user


@transaction.atomic
def create(ctx: Context, object_name: str, *, data: Mapping[str, Any]):
    """Create one record; ValidationFailed lists every bad field. Atomic."""
    object_type = registry.get(ctx, object_name)
    require(ctx, object_type, Action.CREATE)
    values, problems = validation.clean_input(object_type, data)
    if problems:
        raise errors.ValidationFailed.from_errors(problems)
    record = object_type.new(ctx.workspace)
    _apply_pipeline(object_type, record, values, creating=True)
    for spec in object_type.writable_fields:
        if spec.name not in values:
            values[spec.name] = validation.default_value(ctx, object_type, spec)
    object_type.assign(record, values)
    record.derive()
    state = validation.state_of(object_type, record)
    validation.check(ctx, object_type, state, changed=values)
    _stamp(ctx, record, creating=True)
    record.save(force_insert=True)
    after = object_type.snapshot(record)
    outbox.emit(
        [
            outbox.event(
                ctx,
                object_type,
                record.pk,
                outbox.Event.CREATED,
                before=None,
                after=after,
            )
        ]
    )
    return record


def _write(ctx: Context, object_type: ObjectType, record, values: dict[str, Any]):
    before = object_type.snapshot(record)
    _apply_pipeline(object_type, record, values, creating=False)
    object_type.assign(record, values)
    record.derive()
    after = object_type.snapshot(record)
    changed = [
        name for name in after if after[name] != before[name] and name not in _STAMPS
    ]
    if not changed:
        return record
    validation.check(
        ctx,
        object_type,
        validation.state_of(object_type, record),
        changed=changed,
        record_id=record.pk,
    )
    _stamp(ctx, record, creating=False)
    record.save(force_update=True)
    after = object_type.snapshot(record)
    history.write(history.changes(ctx, object_type, record.pk, before, after, changed))
    events = [
        outbox.event(
            ctx,
            object_type,
            record.pk,
            outbox.Event.UPDATED,
            before=before,
            after=after,
            changed=changed,
        )
    ]
    if object_type.pipeline_field in changed:
        events.append(
            outbox.event(
                ctx,
                object_type,
                record.pk,
                outbox.Event.STAGE_CHANGED,
                before=before,
                after=after,
                changed=changed,
            )
        )
    outbox.emit(events)
    return record


@transaction.atomic
def update(
    ctx: Context,
    object_name: str,
    record_id: UUID,
    *,
    data: Mapping[str, Any],
    expected_version: str | Collection[str] | None = None,
):
    """Change the given fields of one record. A write that changes nothing
    writes nothing (no history, no event). With ``expected_version``,
    PreconditionFailed when the record is at another version (checked under
    the row lock). Atomic."""
    object_type = registry.get(ctx, object_name)
    require(ctx, object_type, Action.EDIT)
    record = get_locked(ctx, object_type, record_id)
    check_version(object_type, record, expected_version)
    values, problems = validation.clean_input(object_type, data)
    if problems:
        raise errors.ValidationFailed.from_errors(problems)
    return _write(ctx, object_type, record, values)


@transaction.atomic
def replace(
    ctx: Context,
    object_name: str,
    record_id: UUID,
    *,
    data: Mapping[str, Any],
    expected_version: str | Collection[str] | None = None,
):
    """Set every writable field: those not given go back to their default or
    empty (a full replace, as PUT). ``expected_version`` as for ``update``.
    Atomic."""
    object_type = registry.get(ctx, object_name)
    require(ctx, object_type, Action.EDIT)
    record = get_locked(ctx, object_type, record_id)
    check_version(object_type, record, expected_version)
    values, problems = validation.clean_input(object_type, data)
    if problems:
        raise errors.ValidationFailed.from_errors(problems)
    _apply_pipeline(object_type, record, values, creating=False)
    for spec in object_type.writable_fields:
        if spec.name not in values:
            values[spec.name] = validation.default_value(ctx, object_type, spec)
    return _write(ctx, object_type, record, values)
