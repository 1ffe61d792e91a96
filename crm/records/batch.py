"""Many records in one call: the batch path of the lifecycle.

``create_many``, ``update_many``, ``upsert_many`` and ``delete_many`` take a
list of row payloads and return one ``RowResult`` per row, in order: the
record's id, or the refusal (a DomainError whose ``details`` list the bad
fields). Rows that pass are written in one transaction; a refused row writes
nothing. The work is set-based: the records to change are locked with one
query, lookups and unique values are checked with one query per field for
the whole batch (``validation.check_many``), and the records, their history
and their outbox events are written in bulk (``writes``). New records take
their numbers as one block (``numbering``), and the parents whose kept
figures the rows move are written once each (``updating.follow``). The
single-record calls of ``crm.records.lifecycle`` are batches of one.

Rows are applied as if one after another: a row naming the same record (or
upsert key) as an earlier row is applied after it, in a later pass.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from accounts import errors
from accounts.access import Action, Context, require
from crm.metadata import registry
from crm.metadata.types import ObjectType, normalize
from crm.query import visibility
from crm.records import numbering, outbox, steps, updating, validation, writes
from crm.records.deletion import delete_many
from crm.records.results import RowResult
from crm.records.validation import Pending

__all__ = [
    "Change",
    "RowResult",
    "clear_lookups",
    "create_many",
    "delete_many",
    "update_many",
    "upsert_many",
]


@dataclass(frozen=True, slots=True)
class Change:
    """One row of an update: which record, the fields, an optional version."""

    index: int
    record_id: UUID
    data: Mapping[str, Any]
    expected_version: str | Collection[str] | None = None


def passes(items: Sequence, key: Callable[[Any], Hashable]) -> list[list]:
    """Split ``items`` so that no pass holds two with the same key; a repeat
    goes to the pass after its predecessor's, keeping the rows' order."""
    groups: list[list] = []
    seen: dict[Hashable, int] = {}
    for item in items:
        k = key(item)
        n = seen.get(k, 0)
        seen[k] = n + 1
        if n == len(groups):
            groups.append([])
        groups[n].append(item)
    return groups


# -- create ----------------------------------------------------------------------


def _reader(prepared: bool):
    """How rows become values: cleaned now, or cleaned before (``prepared``:
    see ``validation.prepare``) and only read back."""
    return validation.from_prepared if prepared else validation.clean_input


def create_many(
    ctx: Context,
    object_name: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    prepared: bool = False,
) -> list[RowResult]:
    """Create a record per row; each refused row is reported, the others
    written together. Atomic."""
    object_type = registry.get(ctx, object_name)
    require(ctx, object_type, Action.CREATE)
    with transaction.atomic():
        return create_rows(ctx, object_type, list(enumerate(rows)), prepared=prepared)


def create_rows(
    ctx: Context,
    object_type: ObjectType,
    rows: list[tuple[int, Any]],
    *,
    prepared: bool = False,
) -> list[RowResult]:
    """``create_many`` of (index, payload) pairs; the caller holds the
    transaction and has checked the right to create."""
    build = steps.builder(ctx, object_type, timezone.now())
    read = _reader(prepared)
    built = []
    for index, data in rows:
        values, problems = read(object_type, data)
        record = build(values)
        state = validation.state_of(object_type, record)
        built.append((index, record, state, Pending(state, values, None, problems)))
    validation.check_many(ctx, object_type, [item for *_, item in built])
    passed = [(record, state) for _, record, state, item in built if item.error is None]
    numbering.assign(ctx, object_type, passed)
    event = outbox.maker(ctx, object_type)
    results, events = [], []
    # Each event is made while the database takes in the record before it.
    with writes.inserting(object_type.model) as insert:
        for index, record, state, item in built:
            if item.error is not None:
                results.append(RowResult(index, error=item.error))
                continue
            insert(record)
            after = steps.snapshot_of(object_type, state)
            events.append(
                event(record.pk, outbox.Event.CREATED, before=None, after=after)
            )
            results.append(RowResult(index, record.pk, action="created", record=record))
    outbox.emit(events)
    updating.follow(ctx, events)
    return results


# -- update ----------------------------------------------------------------------


def _row_id(object_type: ObjectType, row: Any) -> tuple[UUID | None, dict, Any]:
    """(record id, the other fields, refusal) of an update row."""
    if not isinstance(row, Mapping):
        return None, {}, errors.ValidationFailed("Each row is an object with an id.")
    fields = object_type.fields
    given, rest = [], {}
    for k, v in row.items():
        # A field's own name is no other spelling of "id": no need to normalize.
        if k == "id" or (k not in fields and normalize(str(k)) == "id"):
            given.append(v)
        else:
            rest[k] = v
    if len(given) != 1:
        return (
            None,
            rest,
            errors.ValidationFailed("Each row needs one 'id'.", field="id"),
        )
    spec = object_type.fields["id"]
    try:
        return spec.type.clean(spec, given[0]), rest, None
    except ValueError:
        return (
            None,
            rest,
            errors.NotFound(
                f"No {object_type.label} has the id '{str(given[0])[:80]}'.", field="id"
            ),
        )


def update_many(
    ctx: Context,
    object_name: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    prepared: bool = False,
) -> list[RowResult]:
    """Change the given fields of the record each row names by ``id``. A row
    that changes nothing writes nothing. Atomic."""
    object_type = registry.get(ctx, object_name)
    require(ctx, object_type, Action.EDIT)
    results: dict[int, RowResult] = {}
    changes = []
    for index, row in enumerate(rows):
        record_id, data, refusal = _row_id(object_type, row)
        if refusal is not None:
            results[index] = RowResult(index, record_id, error=refusal)
        else:
            changes.append(Change(index, record_id, data))
    with transaction.atomic():
        results.update(change_rows(ctx, object_type, changes, prepared=prepared))
    return [results[i] for i in range(len(rows))]


def change_rows(
    ctx: Context,
    object_type: ObjectType,
    changes: Sequence[Change],
    *,
    replace: bool = False,
    prepared: bool = False,
) -> dict[int, RowResult]:
    """Apply changes (the caller holds the transaction and has checked the
    right to edit); ``replace`` sets fields not given to their default."""
    results: dict[int, RowResult] = {}
    for group in passes(changes, lambda change: change.record_id):
        results.update(_change_pass(ctx, object_type, group, replace, prepared))
    return results


def _change_pass(
    ctx: Context,
    object_type: ObjectType,
    changes: Sequence[Change],
    replace: bool,
    prepared: bool = False,
) -> dict[int, RowResult]:
    found, refused = steps.lock_many(ctx, object_type, {c.record_id for c in changes})
    filler = steps.defaults(ctx, object_type) if replace else {}
    read = _reader(prepared)
    results: dict[int, RowResult] = {}
    pending = []
    for change in changes:
        record = found.get(change.record_id)
        try:
            if record is None:
                raise refused[change.record_id]
            steps.check_version(object_type, record, change.expected_version)
        except errors.DomainError as exc:
            results[change.index] = RowResult(change.index, change.record_id, exc)
            continue
        values, problems = read(object_type, change.data)
        if replace:
            steps.apply_pipeline(object_type, record, values, creating=False)
            steps.fill(values, filler)
        before, state, after, changed = steps.change(object_type, record, values)
        if not changed and not problems:
            results[change.index] = RowResult(
                change.index, record.pk, action="unchanged", record=record
            )
            continue
        item = Pending(state, changed, record.pk, problems, before=before)
        pending.append((change, record, before, after, changed, item))
    validation.check_many(ctx, object_type, [p[-1] for p in pending])
    good = []
    for change, record, before, after, changed, item in pending:
        if item.error is not None:
            results[change.index] = RowResult(change.index, record.pk, item.error)
            continue
        good.append((record, before, after, changed))
        results[change.index] = RowResult(
            change.index, record.pk, action="updated", record=record
        )
    updating.write(ctx, object_type, good)
    return results


def clear_lookups(
    ctx: Context, object_type: ObjectType, cleared: Mapping[UUID, Collection[str]]
) -> int:
    """Empty the named lookups of records, live or in the recycle bin, whose
    targets are going for good (``crm.records.deletion.purge``): locked,
    stamped, with history and an ``updated`` event each, as any update. No
    access or validation check: the link cannot stay, whatever the rules say
    (a required lookup is left empty too). The caller holds the transaction;
    returns how many records changed."""
    if not cleared:
        return 0
    found = (
        object_type.model.objects.select_for_update()
        .filter(workspace=ctx.workspace, pk__in=list(cleared))
        .order_by("pk")
    )
    good = []
    for record in found:
        values = dict.fromkeys(cleared[record.pk])
        before, _state, after, changed = steps.change(object_type, record, values)
        if changed:
            good.append((record, before, after, changed))
    updating.write(ctx, object_type, good)
    return len(good)


# -- upsert ----------------------------------------------------------------------


def upsert_many(
    ctx: Context,
    object_name: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: str,
    prepared: bool = False,
) -> list[RowResult]:
    """Update the record each row names by ``key`` (``id`` or a unique field),
    or create one when there is none (by ``id``: NotFound, ids are the
    system's). A key's value is matched as the unique check compares it
    (text ignoring case). Atomic."""
    object_type = registry.get(ctx, object_name)
    require(ctx, object_type, Action.CREATE)
    require(ctx, object_type, Action.EDIT)
    spec = object_type.field(key)
    if not (spec.name == "id" or spec.unique):
        raise errors.ValidationFailed(
            f"'{key}' is not id or a unique field of {object_type.label}.",
            field="id_field",
        )
    results: dict[int, RowResult] = {}
    keyed = []
    for index, row in enumerate(rows):
        value, data, refusal = _key_of(object_type, spec, row)
        if refusal is not None:
            results[index] = RowResult(index, error=refusal)
        else:
            keyed.append((index, validation.unique_key(spec)(value), value, data))
    with transaction.atomic():
        for group in passes(keyed, lambda item: item[1]):
            results.update(_upsert_pass(ctx, object_type, spec, group, prepared))
    return [results[i] for i in range(len(rows))]


def _key_of(object_type: ObjectType, spec, row: Any) -> tuple[Any, dict, Any]:
    if spec.name == "id":
        return _row_id(object_type, row)
    if not isinstance(row, Mapping):
        return None, {}, errors.ValidationFailed("Each row is an object of fields.")
    given = [v for k, v in row.items() if object_type.find_field(str(k)) is spec]
    if len(given) != 1 or spec.type.is_empty(given[0]):
        message = f"Each row needs one '{spec.name}'."
        return None, dict(row), errors.ValidationFailed(message, field=spec.name)
    try:
        return spec.type.clean(spec, given[0]), dict(row), None
    except ValueError as exc:
        return None, dict(row), errors.ValidationFailed(str(exc), field=spec.name)


def _upsert_pass(ctx, object_type, spec, group, prepared) -> dict[int, RowResult]:
    if spec.name == "id":
        matched = {key: key for _, key, _, _ in group}
    else:
        readable = visibility.readable(ctx, object_type)
        values = [value for _, _, value, _ in group]
        matched = {}
        for pk, key in validation.holders(ctx, object_type, spec, values, readable):
            matched.setdefault(key, pk)
    changes, creates = [], []
    for index, key, _value, data in group:
        if key in matched:
            if spec.read_only:  # a value the system gives (a case number)
                data = {
                    k: v
                    for k, v in data.items()
                    if object_type.find_field(str(k)) is not spec
                }
            changes.append(Change(index, matched[key], data))
        else:
            creates.append((index, data))
    results = _change_pass(ctx, object_type, changes, False, prepared)
    if creates:
        for result in create_rows(ctx, object_type, creates, prepared=prepared):
            results[result.index] = result
    return results
