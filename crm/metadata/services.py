"""Writes to a workspace's metadata: custom objects and fields, pipelines,
validation rules. Each bumps the workspace's ``metadata_version`` so every
cached registry entry of the old version stops being used."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import uuid4

from django.db import transaction

from accounts import errors
from accounts import services as account_services
from accounts.access import Action, Context
from accounts.errors import FieldError
from accounts.models import Profile, Workspace
from crm.metadata import field_types, registry
from crm.metadata.types import Choice, FieldSpec, OnDelete, normalize
from crm.models import (
    FieldDefinition,
    ObjectDefinition,
    Pipeline,
    Stage,
    ValidationRule,
)
from crm.query import filters, indexes

_API_NAME = re.compile(r"^[a-z][a-z0-9_]{1,58}[a-z0-9]$")
_PREFIX = re.compile(r"^[a-z][a-z0-9]{1,7}$")

#: The pipelines a new workspace starts with: (object, key, label, stages).
DEFAULT_PIPELINES: tuple[
    tuple[str, str, str, tuple[tuple[str, str, str, int, str], ...]], ...
] = (
    (
        "opportunity",
        "sales",
        "Sales",
        (
            ("prospecting", "Prospecting", "open", 10, "#94a3b8"),
            ("qualification", "Qualification", "open", 20, "#60a5fa"),
            ("proposal", "Proposal", "open", 50, "#818cf8"),
            ("negotiation", "Negotiation", "open", 75, "#f59e0b"),
            ("closed_won", "Closed Won", "won", 100, "#22c55e"),
            ("closed_lost", "Closed Lost", "lost", 0, "#ef4444"),
        ),
    ),
    (
        "lead",
        "leads",
        "Lead process",
        (
            ("new", "New", "open", 0, "#94a3b8"),
            ("working", "Working", "open", 0, "#60a5fa"),
            ("nurturing", "Nurturing", "open", 0, "#a78bfa"),
            ("qualified", "Qualified", "won", 0, "#22c55e"),
            ("converted", "Converted", "won", 0, "#16a34a"),
            ("unqualified", "Unqualified", "lost", 0, "#ef4444"),
        ),
    ),
    (
        "case",
        "support",
        "Support",
        (
            ("new", "New", "open", 0, "#94a3b8"),
            ("working", "Working", "open", 0, "#60a5fa"),
            ("escalated", "Escalated", "open", 0, "#f59e0b"),
            ("closed", "Closed", "won", 0, "#22c55e"),
        ),
    ),
)


def _require_admin(ctx: Context) -> None:
    if not ctx.is_admin:
        raise errors.PermissionDenied("Only admins may change the workspace's setup.")


def touch(workspace: Workspace) -> None:
    """Give the workspace a new metadata version, in the DB and in memory."""
    workspace.metadata_version = uuid4()
    Workspace.objects.filter(pk=workspace.pk).update(
        metadata_version=workspace.metadata_version
    )


@transaction.atomic
def provision(workspace: Workspace) -> None:
    """Give a new workspace its default pipelines. Idempotent."""
    for object_name, key, label, stages in DEFAULT_PIPELINES:
        pipeline, created = Pipeline.objects.get_or_create(
            workspace=workspace,
            object_name=object_name,
            key=key,
            defaults={"label": label, "is_default": True},
        )
        if created:
            Stage.objects.bulk_create(
                Stage(
                    pipeline=pipeline,
                    key=stage_key,
                    label=stage_label,
                    kind=kind,
                    probability=Decimal(probability),
                    order=order,
                    colour=colour,
                )
                for order, (
                    stage_key,
                    stage_label,
                    kind,
                    probability,
                    colour,
                ) in enumerate(stages)
            )
    touch(workspace)


#: Words the API uses in its own paths (``/api/v1/batch/…``); no object may take them.
RESERVED_NAMES = frozenset(
    {"auth", "batch", "metadata", "query", "webhooks", "ai", "events", "jobs", "me"}
)


def _stock_rights(workspace: Workspace):
    """(profile, actions) for the stock profiles a workspace still has."""
    everything = {Action.READ, Action.CREATE, Action.EDIT, Action.DELETE}
    wanted = {
        account_services.STANDARD_PROFILE: everything,
        account_services.READ_ONLY_PROFILE: {Action.READ},
    }
    for profile in Profile.objects.filter(workspace=workspace, name__in=wanted):
        yield profile, wanted[profile.name]


def _taken_names(ctx: Context) -> set[str]:
    taken = set(registry.standard_names()) | RESERVED_NAMES
    for t in registry.for_workspace(ctx.workspace).types:
        taken |= {t.api_name, t.plural, t.prefix}
    return taken


@transaction.atomic
def create_object(
    ctx: Context,
    *,
    api_name: str,
    label: str,
    plural: str | None = None,
    label_plural: str | None = None,
    prefix: str | None = None,
    name_label: str = "Name",
    description: str = "",
) -> ObjectDefinition:
    """Define a custom object with a required text name field. Admins only."""
    _require_admin(ctx)
    api_name = normalize(api_name)
    plural = normalize(plural or f"{api_name}s")
    prefix = (prefix or api_name.replace("_", "")[:4]).lower()
    problems = []
    taken = _taken_names(ctx)
    for field, value, pattern in (
        ("api_name", api_name, _API_NAME),
        ("plural", plural, _API_NAME),
        ("prefix", prefix, _PREFIX),
    ):
        if not pattern.match(value):
            problems.append(
                FieldError(
                    field, f"'{value}' is not a valid {field.replace('_', ' ')}."
                )
            )
        elif value in taken:
            problems.append(FieldError(field, f"'{value}' is already taken."))
    if plural == api_name:
        problems.append(
            FieldError("plural", "The plural must differ from the api name.")
        )
    if not label.strip():
        problems.append(FieldError("label", "A label is required."))
    if problems:
        raise errors.ValidationFailed.from_errors(problems)
    definition = ObjectDefinition.objects.create(
        workspace=ctx.workspace,
        api_name=api_name,
        plural=plural,
        label=label.strip(),
        label_plural=(label_plural or f"{label.strip()}s").strip(),
        prefix=prefix,
        description=description,
    )
    FieldDefinition.objects.create(
        workspace=ctx.workspace,
        object_name=api_name,
        name="name",
        label=name_label,
        type="text",
        required=True,
    )
    # The stock profiles see a new object at once, as its creator does;
    # profiles an admin made stay as they were set.
    for profile, actions in _stock_rights(ctx.workspace):
        account_services.grant(profile, [api_name], actions)
    touch(ctx.workspace)
    return definition


#: Decimal places a number field may keep: JSON-stored numbers are compared
#: as ``NumberType.db_field()`` casts them (6 places), so more would not be
#: compared exactly.
MAX_DECIMAL_PLACES = 6


def _whole(raw: Any) -> bool:
    return isinstance(raw, int) and not isinstance(raw, bool)


def _check_options(type: str, max_length: Any, decimal_places: Any) -> None:
    """``max_length`` (text types: 1 to the type's own limit) and
    ``decimal_places`` (number types: 0 to ``MAX_DECIMAL_PLACES``), or
    ValidationFailed naming the option."""
    kind = field_types.get(type)
    if max_length is not None:
        if not isinstance(kind, field_types.TextType):
            raise errors.ValidationFailed(
                f"A {kind.label} field has no maximum length.", field="max_length"
            )
        limit = kind.default_max_length
        if not _whole(max_length) or not 1 <= max_length <= limit:
            raise errors.ValidationFailed(
                f"The maximum length is a whole number from 1 to {limit}.",
                field="max_length",
            )
    if decimal_places is not None:
        if not isinstance(kind, field_types.NumberType):
            raise errors.ValidationFailed(
                f"A {kind.label} field has no decimal places.", field="decimal_places"
            )
        if not _whole(decimal_places) or not (
            0 <= decimal_places <= MAX_DECIMAL_PLACES
        ):
            raise errors.ValidationFailed(
                f"Decimal places are a whole number from 0 to {MAX_DECIMAL_PLACES}.",
                field="decimal_places",
            )


def _check_choices(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not raw:
        raise errors.ValidationFailed(
            "A picklist needs at least one choice.", field="choices"
        )
    cleaned, seen = [], set()
    for item in raw:
        if isinstance(item, str):
            item = {"value": normalize(item), "label": item}
        if not isinstance(item, dict) or not str(item.get("value", "")).strip():
            raise errors.ValidationFailed("Each choice needs a value.", field="choices")
        value = str(item["value"]).strip()
        if value in seen:
            raise errors.ValidationFailed(
                f"The choice '{value}' is listed twice.", field="choices"
            )
        seen.add(value)
        cleaned.append({"value": value, "label": str(item.get("label") or value)})
    return cleaned


@transaction.atomic
def create_field(
    ctx: Context,
    object_name: str,
    *,
    name: str,
    label: str,
    type: str,
    required: bool = False,
    unique: bool = False,
    indexed: bool = False,
    track_history: bool = True,
    choices: Sequence[Any] = (),
    target: str = "",
    on_delete: str = OnDelete.SET_NULL,
    default: Any = None,
    max_length: int | None = None,
    decimal_places: int | None = None,
    help_text: str = "",
) -> FieldDefinition:
    """Add a custom field to any object; it appears everywhere at once. Admins only."""
    _require_admin(ctx)
    object_type = registry.get(ctx, object_name)
    name = normalize(name)
    if not _API_NAME.match(name):
        raise errors.ValidationFailed(
            f"'{name}' is not a valid field name.", field="name"
        )
    if (
        object_type.find_field(name) is not None
        or name.removesuffix("_id") in object_type.fields
    ):
        raise errors.ValidationFailed(
            f"{object_type.label} already has a field '{name}'.", field="name"
        )
    if type not in field_types.CUSTOM_FIELD_TYPES:
        raise errors.ValidationFailed(f"'{type}' is not a field type.", field="type")
    if on_delete not in OnDelete.__members__.values():
        raise errors.ValidationFailed(
            f"'{on_delete}' is not a delete behaviour.", field="on_delete"
        )
    _check_options(type, max_length, decimal_places)
    cleaned_choices: list[dict[str, str]] = []
    if type in ("picklist", "multi_picklist"):
        cleaned_choices = _check_choices(list(choices))
    if type == "lookup":
        target_type = registry.for_workspace(ctx.workspace).find(target or "")
        if target_type is None:
            raise errors.ValidationFailed(
                "A lookup needs a target object.", field="target"
            )
        target = target_type.api_name
    elif type == "user":
        target = "user"
    else:
        target = ""
    if default is not None:
        probe = FieldSpec(
            name=name,
            type=field_types.get(type),
            label=label,
            choices=tuple(Choice(c["value"], c["label"]) for c in cleaned_choices),
            max_length=max_length,
            decimal_places=decimal_places,
        )
        try:
            probe.type.clean(probe, default)
        except ValueError as exc:
            raise errors.ValidationFailed(
                f"Bad default: {exc}", field="default"
            ) from None
    definition = FieldDefinition.objects.create(
        workspace=ctx.workspace,
        object_name=object_type.api_name,
        name=name,
        label=label.strip() or name,
        type=type,
        required=required,
        unique=unique,
        indexed=indexed,
        track_history=track_history,
        choices=cleaned_choices,
        target=target,
        on_delete=on_delete if type == "lookup" else OnDelete.SET_NULL,
        default=default,
        max_length=max_length,
        decimal_places=decimal_places,
        help_text=help_text,
        order=FieldDefinition.objects.filter(
            workspace=ctx.workspace, object_name=object_type.api_name
        ).count(),
    )
    touch(ctx.workspace)
    indexes.on_field_created(ctx.workspace, definition)
    return definition


@transaction.atomic
def delete_field(ctx: Context, object_name: str, name: str) -> None:
    """Remove a custom field from the object (values stay in the JSON, unseen)."""
    _require_admin(ctx)
    object_type = registry.get(ctx, object_name)
    removed, _ = FieldDefinition.objects.filter(
        workspace=ctx.workspace, object_name=object_type.api_name, name=normalize(name)
    ).delete()
    if not removed:
        raise errors.NotFound(f"{object_type.label} has no custom field '{name}'.")
    touch(ctx.workspace)
    field_name = normalize(name)
    transaction.on_commit(
        lambda: indexes.drop(ctx.workspace, object_type.api_name, field_name)
    )


@transaction.atomic
def create_pipeline(
    ctx: Context,
    object_name: str,
    *,
    key: str,
    label: str,
    stages: Sequence[dict[str, Any]],
    is_default: bool = False,
) -> Pipeline:
    """Add a pipeline (with its stages) to an object that has one. Admins only."""
    _require_admin(ctx)
    object_type = registry.get(ctx, object_name)
    if not object_type.pipeline_field:
        raise errors.ValidationFailed(
            f"{object_type.label} has no pipeline.", field="object"
        )
    if not stages:
        raise errors.ValidationFailed("A pipeline needs stages.", field="stages")
    key = normalize(key)
    if object_type.pipeline(key) is not None:
        raise errors.ValidationFailed(f"Pipeline '{key}' exists already.", field="key")
    if is_default:
        Pipeline.objects.filter(
            workspace=ctx.workspace, object_name=object_type.api_name
        ).update(is_default=False)
    pipeline = Pipeline.objects.create(
        workspace=ctx.workspace,
        object_name=object_type.api_name,
        key=key,
        label=label,
        is_default=is_default,
        order=len(object_type.pipelines),
    )
    kinds = {choice.value for choice in Stage.Kind}
    seen = set()
    for order, stage in enumerate(stages):
        stage_key = normalize(str(stage.get("key") or stage.get("label") or ""))
        kind = stage.get("kind", "open")
        if not stage_key or stage_key in seen or kind not in kinds:
            raise errors.ValidationFailed(
                f"Stage {order + 1} needs a unique key and a kind (open, won, lost).",
                field="stages",
            )
        seen.add(stage_key)
        Stage.objects.create(
            pipeline=pipeline,
            key=stage_key,
            label=stage.get("label") or stage_key.replace("_", " ").title(),
            kind=kind,
            probability=Decimal(str(stage.get("probability", 0))),
            order=order,
            colour=stage.get("colour", "#64748b"),
        )
    touch(ctx.workspace)
    return pipeline


@transaction.atomic
def create_validation_rule(
    ctx: Context,
    object_name: str,
    *,
    name: str,
    condition: list,
    error_message: str,
    error_field: str = "",
) -> ValidationRule:
    """A rule that refuses writes matching ``condition``. Admins only.

    The condition is parsed now, so a rule that names an unknown field or
    operator is refused at once instead of failing every later write.
    """
    _require_admin(ctx)
    object_type = registry.get(ctx, object_name)
    if not filters.parse(object_type, condition):
        raise errors.ValidationFailed(
            "A rule needs at least one condition.", field="condition"
        )
    if error_field:
        error_field = object_type.field(error_field).name
    if not error_message.strip():
        raise errors.ValidationFailed(
            "An error message is required.", field="error_message"
        )
    rule = ValidationRule.objects.create(
        workspace=ctx.workspace,
        object_name=object_type.api_name,
        name=name,
        condition=condition,
        error_message=error_message.strip(),
        error_field=error_field,
    )
    touch(ctx.workspace)
    return rule
