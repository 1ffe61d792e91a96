"""Input cleaning and the checks a record must pass before it is written.

``clean_input`` turns a payload into typed values keyed by field name.
``check_many`` looks at records as they would be saved, in three stages: (1)
the problems of cleaning, required fields, lookups that exist in the same
workspace, pipeline stages and what the model declares (``declared``: fields
of which one is required, allowed moves of a field); (2) the object's
validation rules; (3) unique values, alone and together. A record that
fails a stage is not looked at by the next; every problem of the stage is
reported at once. The work is set-based: one query per lookup field and one
per unique field (or group) for the whole batch, rules parsed once.
``check`` is the same for one record.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.db.models.functions import Upper

from accounts import errors
from accounts.access import Context
from accounts.errors import FieldError
from accounts.models import Membership
from crm.metadata import field_types, registry
from crm.metadata.types import FieldSpec, ObjectType, Storage
from crm.query import evaluate, filters, visibility
from crm.records import declared


def clean_input(
    object_type: ObjectType, data: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldError]]:
    """Typed values by field name, and the problems found (unknown, read-only,
    badly typed). Keys may be spelled any accepted way (``AnnualRevenue``)."""
    values: dict[str, Any] = {}
    problems: list[FieldError] = []
    if not isinstance(data, Mapping):
        return values, [FieldError(None, "Send the record's fields as an object.")]
    for key, raw in data.items():
        spec = object_type.find_field(str(key))
        if spec is None:
            problems.append(
                FieldError(str(key), f"{object_type.label} has no field '{key}'.")
            )
            continue
        if spec.read_only:
            problems.append(FieldError(spec.name, f"{spec.label} is read-only."))
            continue
        if spec.name in values:
            problems.append(FieldError(spec.name, f"{spec.label} is given twice."))
            continue
        if spec.type.is_empty(raw):
            values[spec.name] = None
            continue
        try:
            values[spec.name] = spec.type.clean(spec, raw)
        except ValueError as exc:
            problems.append(FieldError(spec.name, str(exc)))
    return values, problems


def default_value(ctx: Context, object_type: ObjectType, spec: FieldSpec) -> Any:
    """What a field holds when a create (or a full replace) does not give it."""
    if spec.name == "owner":
        return ctx.user_id if ctx.is_member else None
    if spec.default is None:
        return None
    try:
        return spec.type.clean(spec, spec.default)
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def _plan(object_type: ObjectType) -> tuple[tuple[str, str | None, str, Any], ...]:
    """How to read each field: (name, column or None, JSON bag, from_json)."""
    return tuple(
        (name, spec.column, "", None)
        if spec.storage is Storage.COLUMN
        else (
            name,
            None,
            "custom" if spec.storage is Storage.CUSTOM_JSON else "data",
            spec.type.from_json,
        )
        for name, spec in object_type.fields.items()
    )


def state_of(object_type: ObjectType, record) -> dict[str, Any]:
    """Every field of an unsaved or saved record as Python values (what
    ``object_type.value`` reads, for all fields at once)."""
    loaded = record.__dict__
    state = {}
    for name, column, bag, from_json in _plan(object_type):
        if column is not None:
            state[name] = (
                loaded[column] if column in loaded else getattr(record, column)
            )
        else:
            state[name] = from_json(getattr(record, bag).get(name))
    return state


def from_prepared(
    object_type: ObjectType, data: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldError]]:
    """``clean_input`` of values it cleaned before and that were stored as
    JSON since (``prepare``): read back without cleaning them again."""
    readers = field_types.conversions(object_type, "from_json")
    return {
        name: v if readers.get(name) is None else readers[name](v)
        for name, v in data.items()
    }, []


def prepare(values: Mapping[str, Any]) -> dict[str, Any]:
    """Cleaned values to keep as JSON and read back with ``from_prepared``:
    numbers as exact text, the rest as orjson writes it."""
    return {
        name: str(value) if isinstance(value, Decimal) else value
        for name, value in values.items()
    }


@dataclass(eq=False)
class Pending:
    """One record about to be written, as the checks see it."""

    #: Every field as it would be saved (``state_of``).
    state: Mapping[str, Any]
    #: The fields being written: lookups and unique values are checked for these.
    changed: Iterable[str]
    #: The record's id when it exists already (an update).
    record_id: UUID | None = None
    #: What cleaning the input found; reported with the first stage.
    problems: list[FieldError] = field(default_factory=list)
    #: Set by ``check_many`` when the record may not be written.
    error: errors.ValidationFailed | None = None
    #: The snapshot of an existing record before the change (for the moves
    #: a field may make); None for a new record.
    before: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        self.changed = frozenset(self.changed)


def _existing(ctx: Context, spec: FieldSpec, ids: set[UUID]) -> set[UUID]:
    if spec.target == "user":
        return set(
            Membership.objects.filter(
                workspace=ctx.workspace, user_id__in=ids, is_active=True
            ).values_list("user_id", flat=True)
        )
    target = registry.for_workspace(ctx.workspace).find(spec.target)
    if target is None:
        return set()
    return set(
        visibility.readable(ctx, target).filter(pk__in=ids).values_list("pk", flat=True)
    )


def _missing_targets(
    ctx: Context, object_type: ObjectType, items: Sequence[Pending]
) -> list[list[FieldError]]:
    """Per item, its lookups naming no live record the context may read: one
    query per lookup field for all items."""
    found: list[list[FieldError]] = [[] for _ in items]
    for spec in object_type.lookups:
        named = [
            (i, item.state.get(spec.name))
            for i, item in enumerate(items)
            if spec.name in item.changed and item.state.get(spec.name) is not None
        ]
        if not named:
            continue
        existing = _existing(ctx, spec, {value for _, value in named})
        what = (
            "user in this workspace"
            if spec.target == "user"
            else (f"{spec.target} record")
        )
        for i, value in named:
            if value not in existing:
                found[i].append(FieldError(spec.name, f"No {what} has the id {value}."))
    return found


def _first_stage(ctx: Context, object_type: ObjectType, items: Sequence[Pending]):
    missing = _missing_targets(ctx, object_type, items)
    for item, lookups in zip(items, missing, strict=True):
        problems = list(item.problems)
        reported = {p.field for p in problems}
        for spec in object_type.fields.values():
            if (
                spec.required
                and spec.name not in reported
                and spec.type.is_empty(item.state.get(spec.name))
            ):
                problems.append(FieldError(spec.name, f"{spec.label} is required."))
        problems += lookups
        _check_pipeline(object_type, item.state, problems)
        declared.first_stage(object_type, item, problems)
        if problems:
            item.error = errors.ValidationFailed.from_errors(problems)


def _rules(ctx: Context, object_type: ObjectType, items: Sequence[Pending]) -> None:
    tests = [
        (rule, evaluate.matcher(ctx, conditions))
        for rule in object_type.rules
        if (conditions := filters.parse(object_type, list(rule.condition)))
    ]
    if not tests:
        return
    for item in items:
        problems = [
            FieldError(rule.field, rule.message)
            for rule, test in tests
            if test(item.state)
        ]
        if problems:
            item.error = errors.ValidationFailed.from_errors(problems)


def unique_key(spec: FieldSpec) -> Callable[[Any], Hashable]:
    """How two values of a unique field compare: text columns ignore case (as
    ``iexact``), JSON-stored values compare as JSON."""
    if spec.storage is not Storage.COLUMN:
        return lambda value: _hashable(spec.type.to_json(value))
    return lambda value: value.upper() if isinstance(value, str) else value


def _hashable(value: Any) -> Hashable:
    return tuple(value) if isinstance(value, list) else value


def holders(
    ctx: Context,
    object_type: ObjectType,
    spec: FieldSpec,
    values: list,
    qs: QuerySet | None = None,
) -> list[tuple[UUID, Hashable]]:
    """(id, key) of the live records of the workspace (or of ``qs``) holding
    any of ``values`` in the unique field ``spec``."""
    qs = object_type.queryset(ctx.workspace) if qs is None else qs
    key = unique_key(spec)
    if spec.storage is not Storage.COLUMN:
        bag = "custom" if spec.storage is Storage.CUSTOM_JSON else "data"
        path = f"{bag}__{spec.name}"
        wanted = {key(v): spec.type.to_json(v) for v in values}
        qs = qs.filter(**{f"{path}__in": list(wanted.values())})
        return [
            (pk, _hashable(held.get(spec.name)))
            for pk, held in qs.values_list("pk", bag)
        ]
    texts = {v.upper() for v in values if isinstance(v, str)}
    others = [v for v in values if not isinstance(v, str)]
    if texts:
        qs = qs.annotate(_unique_key=Upper(spec.column)).filter(
            _unique_key__in=list(texts)
        )
    else:
        qs = qs.filter(**{f"{spec.column}__in": others})
    return [(pk, key(held)) for pk, held in qs.values_list("pk", spec.column)]


def _unique(ctx: Context, object_type: ObjectType, items: Sequence[Pending]) -> None:
    """Unique values against the workspace and the earlier items of the batch,
    as if the items were written one after another."""
    specs = [spec for spec in object_type.fields.values() if spec.unique]
    held: dict[str, tuple[dict[Hashable, set], dict[Any, Hashable]]] = {}
    for spec in specs:
        values = [
            item.state[spec.name]
            for item in items
            if spec.name in item.changed
            and not spec.type.is_empty(item.state.get(spec.name))
        ]
        if not values:
            continue
        owners: dict[Hashable, set] = {}
        held_by: dict[Any, Hashable] = {}
        for pk, key in holders(ctx, object_type, spec, values):
            owners.setdefault(key, set()).add(pk)
            held_by[pk] = key
        held[spec.name] = (owners, held_by)
    if not held:
        return
    for item in items:
        wanted = []
        for spec in specs:
            if spec.name not in held or spec.name not in item.changed:
                continue
            value = item.state.get(spec.name)
            if spec.type.is_empty(value):
                continue
            wanted.append((spec, unique_key(spec)(value)))
        me = item.record_id or item
        duplicates = [
            FieldError(
                spec.name, f"Another {object_type.label} already has this {spec.label}."
            )
            for spec, key in wanted
            if any(
                other != me and held[spec.name][1].get(other) == key
                for other in held[spec.name][0].get(key, ())
            )
        ]
        if duplicates:
            item.error = errors.DuplicateValue.from_errors(duplicates)
            continue
        for spec, key in wanted:
            owners, held_by = held[spec.name]
            owners.setdefault(key, set()).add(me)
            held_by[me] = key


def check_unique(
    ctx: Context, object_type: ObjectType, items: Sequence[Pending]
) -> None:
    """Set a DuplicateValue ``error`` on every item holding a unique value (or
    values unique together) that a live record of the workspace or an earlier
    item holds; ``changed`` limits which fields are looked at."""
    _unique(ctx, object_type, [i for i in items if i.error is None])
    declared.unique_stage(ctx, object_type, [i for i in items if i.error is None])


def check_many(ctx: Context, object_type: ObjectType, items: Sequence[Pending]) -> None:
    """Set ``error`` on every item that may not be written (ValidationFailed,
    or DuplicateValue when only unique values are at fault)."""
    _first_stage(ctx, object_type, [i for i in items if i.error is None])
    _rules(ctx, object_type, [i for i in items if i.error is None])
    check_unique(ctx, object_type, items)


def check(
    ctx: Context,
    object_type: ObjectType,
    state: Mapping[str, Any],
    *,
    changed: Iterable[str],
    record_id: UUID | None = None,
    problems: Iterable[FieldError] = (),
    before: Mapping[str, Any] | None = None,
) -> None:
    """Raise ValidationFailed (or DuplicateValue) listing every problem of the
    record as it would be saved, with ``problems`` found earlier. ``changed``
    limits lookups and unique checks to the fields being written."""
    item = Pending(state, changed, record_id, list(problems), before=before)
    check_many(ctx, object_type, [item])
    if item.error is not None:
        raise item.error


def _check_pipeline(
    object_type: ObjectType, state: Mapping[str, Any], problems: list
) -> None:
    if not object_type.pipeline_field or not object_type.pipelines:
        return
    pipeline = object_type.pipeline(state.get("pipeline"))
    if pipeline is None:
        problems.append(
            FieldError("pipeline", f"No pipeline '{state.get('pipeline')}'.")
        )
        return
    stage = state.get(object_type.pipeline_field)
    if stage and pipeline.stage(stage) is None:
        spec = object_type.fields[object_type.pipeline_field]
        problems.append(
            FieldError(
                spec.name, f"'{stage}' is not a stage of the {pipeline.label} pipeline."
            )
        )
