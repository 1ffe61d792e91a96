"""Input cleaning and the checks a record must pass before it is written.

``clean_input`` turns a payload into typed values keyed by field name.
``check`` looks at the record as it would be saved: required fields, lookups
that exist in the same workspace, unique values, pipeline stages and the
object's validation rules. Both collect every problem before raising.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from accounts import errors
from accounts.access import Context
from accounts.errors import FieldError
from accounts.models import Membership
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType, Storage
from crm.query import evaluate, filters, visibility


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


def state_of(object_type: ObjectType, record) -> dict[str, Any]:
    """Every field of an unsaved or saved record as Python values."""
    return {
        name: object_type.value(record, spec)
        for name, spec in object_type.fields.items()
    }


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


def _unique_taken(
    ctx: Context, object_type: ObjectType, spec: FieldSpec, value, record_id
) -> bool:
    qs = object_type.queryset(ctx.workspace)
    if spec.storage is Storage.COLUMN:
        lookup = {
            f"{spec.column}__iexact" if isinstance(value, str) else spec.column: value
        }
    else:
        bag = "custom" if spec.storage is Storage.CUSTOM_JSON else "data"
        lookup = {f"{bag}__{spec.name}": spec.type.to_json(value)}
    qs = qs.filter(**lookup)
    if record_id is not None:
        qs = qs.exclude(pk=record_id)
    return qs.exists()


def check(
    ctx: Context,
    object_type: ObjectType,
    state: Mapping[str, Any],
    *,
    changed: Iterable[str],
    record_id: UUID | None = None,
) -> None:
    """Raise ValidationFailed (or DuplicateValue) listing every problem of the
    record as it would be saved. ``changed`` limits lookups and unique checks
    to the fields being written."""
    changed = set(changed)
    problems: list[FieldError] = []
    for spec in object_type.fields.values():
        if spec.required and spec.type.is_empty(state.get(spec.name)):
            problems.append(FieldError(spec.name, f"{spec.label} is required."))
    for spec in object_type.lookups:
        value = state.get(spec.name)
        if (
            spec.name in changed
            and value is not None
            and value not in _existing(ctx, spec, {value})
        ):
            what = (
                "user in this workspace"
                if spec.target == "user"
                else f"{spec.target} record"
            )
            problems.append(FieldError(spec.name, f"No {what} has the id {value}."))
    _check_pipeline(object_type, state, problems)
    if problems:
        raise errors.ValidationFailed.from_errors(problems)
    for rule in object_type.rules:
        conditions = filters.parse(object_type, list(rule.condition))
        if conditions and evaluate.matches(ctx, conditions, state):
            problems.append(FieldError(rule.field, rule.message))
    if problems:
        raise errors.ValidationFailed.from_errors(problems)
    duplicates = [
        FieldError(
            spec.name, f"Another {object_type.label} already has this {spec.label}."
        )
        for spec in object_type.fields.values()
        if spec.unique
        and spec.name in changed
        and not spec.type.is_empty(state.get(spec.name))
        and _unique_taken(ctx, object_type, spec, state[spec.name], record_id)
    ]
    if duplicates:
        raise errors.DuplicateValue.from_errors(duplicates)


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
