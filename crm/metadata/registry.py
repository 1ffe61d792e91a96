"""The object registry: every object of a workspace as an ``ObjectType``.

Standard objects are derived once per process from their models; a workspace's
custom fields, custom objects, pipelines and validation rules are layered on top
and cached per ``(workspace id, metadata_version)``. Looking an object up costs
no query once its workspace's entry is built.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import connection, models

from accounts import errors
from accounts.access import Action, Context
from crm import models as crm_models
from crm.metadata import field_types
from crm.metadata.types import (
    Choice,
    FieldSpec,
    ObjectType,
    OnDelete,
    PipelineSpec,
    RuleSpec,
    StageSpec,
    Storage,
    normalize,
)

if TYPE_CHECKING:
    from accounts.models import Workspace

#: Columns every record has that are the system's own, not fields.
_HIDDEN_COLUMNS = frozenset(
    {"workspace", "custom", "data", "definition", "deleted_at", "deletion"}
)
_SYSTEM_ALIASES = {
    "id": ("record_id",),
    "created_at": ("created_date", "createdate", "created"),
    "updated_at": ("modified_date", "last_modified_date", "updated", "modified_at"),
    "owner": ("assigned_to",),
}
_ON_DELETE = {
    models.CASCADE: OnDelete.CASCADE,
    models.PROTECT: OnDelete.RESTRICT,
    models.RESTRICT: OnDelete.RESTRICT,
}
_CACHE_SIZE = 512


@dataclass(frozen=True, eq=False)
class Registry:
    """All object types of one workspace at one metadata version."""

    types: tuple[ObjectType, ...]
    by_name: dict[str, ObjectType]

    def find(self, name: str) -> ObjectType | None:
        """The object called ``name`` in any accepted spelling; None when
        there is none or ``name`` is not text."""
        if not isinstance(name, str):
            return None
        return self.by_name.get(name) or self.by_name.get(normalize(name))


# -- standard objects, derived from models ---------------------------------------


def _type_key(field: models.Field, hints: dict[str, str]) -> str:
    if field.name in hints:
        return hints[field.name]
    if field.primary_key:
        return "id"
    if isinstance(field, models.ForeignKey):
        return "user" if field.related_model is get_user_model() else "lookup"
    if field.choices:
        return "picklist"
    for django_type, key in (
        (models.EmailField, "email"),
        (models.URLField, "url"),
        (models.TextField, "long_text"),
        (models.CharField, "text"),
        (models.BooleanField, "boolean"),
        (models.DateTimeField, "datetime"),
        (models.DateField, "date"),
        (models.DecimalField, "number"),
        (models.IntegerField, "number"),
    ):
        if isinstance(field, django_type):
            return key
    raise TypeError(f"No field type for {field!r}")


def _column_spec(
    field: models.Field,
    hints: dict[str, str],
    unique: Iterable[str],
    tracked: Iterable[str] = (),
) -> FieldSpec:
    key = _type_key(field, hints)
    target = None
    on_delete = OnDelete.SET_NULL
    if isinstance(field, models.ForeignKey):
        related = field.related_model
        target = "user" if key == "user" else related.CRM.api_name
        on_delete = _ON_DELETE.get(field.remote_field.on_delete, OnDelete.SET_NULL)
    has_default = field.has_default() and not callable(field.default)
    empty_allowed = field.blank or (
        field.null and not isinstance(field, models.CharField)
    )
    read_only = not field.editable or field.primary_key
    label = str(field.verbose_name)
    bounds = (None, None)
    if isinstance(field, models.IntegerField) and not field.primary_key:
        bounds = connection.ops.integer_field_range(field.get_internal_type())
    return FieldSpec(
        name=field.name,
        type=field_types.get(key),
        label=label[:1].upper() + label[1:],
        column=field.attname,
        required=not (empty_allowed or field.has_default() or read_only),
        unique=field.name in unique,
        read_only=read_only,
        choices=tuple(Choice(str(v), str(lbl)) for v, lbl in field.choices or ()),
        target=target,
        on_delete=on_delete,
        default=field.default if has_default else None,
        max_length=getattr(field, "max_length", None),
        max_digits=getattr(field, "max_digits", None),
        min_value=bounds[0],
        max_value=bounds[1],
        decimal_places=0
        if isinstance(field, models.IntegerField)
        else getattr(field, "decimal_places", None),
        help_text=str(field.help_text),
        # Read-only columns are the system's; a model may still name some
        # whose changes are history (``CRM.tracked``: kept figures).
        tracked=not read_only or field.name in tracked,
        aliases=_SYSTEM_ALIASES.get(field.name, ()),
    )


def _columns(
    model: type[models.Model], hints=None, unique=(), tracked=()
) -> dict[str, FieldSpec]:
    hints = hints or {}
    return {
        f.name: _column_spec(f, hints, unique, tracked)
        for f in model._meta.concrete_fields
        if f.name not in _HIDDEN_COLUMNS
    }


@cache
def standard_types() -> tuple[ObjectType, ...]:
    """The built-in objects with their built-in fields (no workspace layer)."""
    types = []
    for model in crm_models.STANDARD_MODELS:
        crm = model.CRM
        label = getattr(crm, "label", None) or str(model._meta.verbose_name).title()
        fields = _columns(
            model,
            getattr(crm, "field_types", {}),
            getattr(crm, "unique", ()),
            getattr(crm, "tracked", ()),
        )
        types.append(
            ObjectType(
                api_name=crm.api_name,
                plural=crm.plural,
                label=label,
                label_plural=getattr(crm, "label_plural", None) or f"{label}s",
                prefix=crm.prefix,
                model=model,
                fields=fields,
                name_field=getattr(crm, "name_field", "name"),
                hubspot_type_id=getattr(crm, "hubspot_type_id", None),
                pipeline_field=getattr(crm, "pipeline_field", None),
                amount_field=getattr(crm, "amount_field", None),
                description=getattr(crm, "description", ""),
                in_navigation=getattr(crm, "navigation", True),
            )
        )
    return tuple(types)


def standard_names() -> frozenset[str]:
    """Api names, plurals and prefixes taken by built-in objects."""
    taken = set()
    for t in standard_types():
        taken.update({t.api_name, t.plural, t.prefix})
    return frozenset(taken)


# -- a workspace's layer -----------------------------------------------------------


def _custom_spec(definition: crm_models.FieldDefinition, storage: Storage) -> FieldSpec:
    return FieldSpec(
        name=definition.name,
        type=field_types.get(definition.type),
        label=definition.label,
        storage=storage,
        required=definition.required,
        unique=definition.unique,
        choices=tuple(
            Choice(str(c["value"]), str(c.get("label") or c["value"]))
            for c in definition.choices
        ),
        target=definition.target or ("user" if definition.type == "user" else None),
        on_delete=OnDelete(definition.on_delete),
        default=definition.default,
        indexed=definition.indexed,
        tracked=definition.track_history,
        max_length=definition.max_length,
        decimal_places=definition.decimal_places,
        help_text=definition.help_text,
        is_custom=True,
    )


def _pipeline_choices(
    object_type: ObjectType, pipelines: tuple[PipelineSpec, ...]
) -> dict[str, FieldSpec]:
    """Stage and pipeline picklists take their values from the workspace's pipelines."""
    fields = dict(object_type.fields)
    stages: dict[str, Choice] = {}
    for pipeline in pipelines:
        for stage in pipeline.stages:
            stages.setdefault(stage.key, Choice(stage.key, stage.label))
    fields[object_type.pipeline_field] = replace(
        fields[object_type.pipeline_field], choices=tuple(stages.values())
    )
    if "pipeline" in fields:
        fields["pipeline"] = replace(
            fields["pipeline"],
            choices=tuple(Choice(p.key, p.label) for p in pipelines),
        )
    return fields


def _build(workspace: Workspace) -> Registry:
    definitions = list(crm_models.ObjectDefinition.objects.filter(workspace=workspace))
    field_defs: dict[str, list[crm_models.FieldDefinition]] = {}
    for fd in crm_models.FieldDefinition.objects.filter(workspace=workspace):
        field_defs.setdefault(fd.object_name, []).append(fd)
    pipelines: dict[str, list[PipelineSpec]] = {}
    for p in crm_models.Pipeline.objects.filter(workspace=workspace).prefetch_related(
        "stages"
    ):
        stages = tuple(
            StageSpec(s.key, s.label, s.kind, s.probability, s.order, s.colour)
            for s in p.stages.all()
        )
        pipelines.setdefault(p.object_name, []).append(
            PipelineSpec(p.pk, p.key, p.label, p.is_default, stages)
        )
    rules: dict[str, list[RuleSpec]] = {}
    for r in crm_models.ValidationRule.objects.filter(
        workspace=workspace, is_active=True
    ):
        rules.setdefault(r.object_name, []).append(
            RuleSpec(
                r.pk, r.name, tuple(r.condition), r.error_message, r.error_field or None
            )
        )

    types: list[ObjectType] = []
    for base in standard_types():
        fields = dict(base.fields)
        for fd in field_defs.get(base.api_name, ()):
            fields[fd.name] = _custom_spec(fd, Storage.CUSTOM_JSON)
        object_pipelines = tuple(pipelines.get(base.api_name, ()))
        object_type = replace(base, fields=fields, pipelines=object_pipelines)
        if base.pipeline_field:
            object_type = replace(
                object_type, fields=_pipeline_choices(object_type, object_pipelines)
            )
        types.append(replace(object_type, rules=tuple(rules.get(base.api_name, ()))))

    system = _columns(crm_models.CustomRecord)
    for definition in definitions:
        fields = {"id": system["id"]}
        for fd in field_defs.get(definition.api_name, ()):
            fields[fd.name] = _custom_spec(fd, Storage.RECORD_JSON)
        fields.update((k, v) for k, v in system.items() if k != "id")
        types.append(
            ObjectType(
                api_name=definition.api_name,
                plural=definition.plural,
                label=definition.label,
                label_plural=definition.label_plural,
                prefix=definition.prefix,
                model=crm_models.CustomRecord,
                fields=fields,
                name_field=definition.name_field,
                hubspot_type_id=definition.hubspot_type_id,
                description=definition.description,
                is_custom=True,
                definition_id=definition.pk,
                rules=tuple(rules.get(definition.api_name, ())),
            )
        )

    by_name: dict[str, ObjectType] = {}
    for t in types:
        for key in (
            t.api_name,
            t.plural,
            f"crm_{t.api_name}",
            t.hubspot_type_id,
            normalize(t.label),
            normalize(t.label_plural),
        ):
            if key:
                by_name.setdefault(key, t)
    return Registry(types=tuple(types), by_name=by_name)


_cache: OrderedDict[tuple, Registry] = OrderedDict()
_lock = threading.Lock()


def for_workspace(workspace: Workspace) -> Registry:
    """The registry of ``workspace`` at its current metadata version (cached)."""
    key = (workspace.pk, workspace.metadata_version)
    with _lock:
        entry = _cache.get(key)
        if entry is not None:
            _cache.move_to_end(key)
            return entry
    entry = _build(workspace)
    with _lock:
        _cache[key] = entry
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return entry


def get(ctx: Context, name: str) -> ObjectType:
    """The object called ``name`` (api name, plural, ``crm_`` name or label).

    NotFound when there is no such object or the context may not read it.
    """
    object_type = for_workspace(ctx.workspace).find(name)
    if object_type is None or not ctx.can(object_type.api_name, Action.READ):
        raise errors.NotFound(f"There is no object called '{name[:80]}'.")
    return object_type


def all_types(ctx: Context) -> list[ObjectType]:
    """Every object the context may read, standard first."""
    return [
        t
        for t in for_workspace(ctx.workspace).types
        if ctx.can(t.api_name, Action.READ)
    ]


def referrers(workspace: Workspace, target: str) -> list[tuple[ObjectType, FieldSpec]]:
    """Every lookup field, on any object, that points at ``target``."""
    return [
        (t, spec)
        for t in for_workspace(workspace).types
        for spec in t.lookups
        if spec.target == target
    ]


def standard_api_names() -> frozenset[str]:
    return frozenset(t.api_name for t in standard_types())
