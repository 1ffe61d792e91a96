"""What the registry hands out: ``ObjectType`` and its ``FieldSpec``s.

Both are frozen: a registry entry never changes under a request. A change of
metadata builds new ones under a new ``metadata_version``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import models

from accounts import errors
from crm.metadata import field_types

if TYPE_CHECKING:
    from accounts.models import Workspace


class Storage(enum.StrEnum):
    COLUMN = "column"  # a model column (standard objects' built-in fields)
    CUSTOM_JSON = "custom_json"  # the ``custom`` JSON column of a standard object
    RECORD_JSON = "record_json"  # the ``data`` JSON column of a CustomRecord


class OnDelete(enum.StrEnum):
    """What deleting the target of a lookup does to the records that point at it."""

    CASCADE = "cascade"  # they go to the recycle bin with it
    RESTRICT = "restrict"  # the delete is refused while they exist
    SET_NULL = "set_null"  # they keep the link while the target is in the bin


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_UNDERSCORES = re.compile(r"_+")


@lru_cache(maxsize=8192)
def normalize(name: str) -> str:
    """``AnnualRevenue`` → ``annual_revenue``; ``Close Date`` → ``close_date``.
    Remembered: the same few keys come in every row of a bulk request."""
    snake = _CAMEL.sub("_", name.strip()).replace(" ", "_").replace("-", "_")
    return _UNDERSCORES.sub("_", snake).lower()


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FieldSpec:
    """One field of one object, as every consumer sees it."""

    name: str
    type: field_types.FieldType
    label: str
    storage: Storage = Storage.COLUMN
    #: The model attribute for COLUMN storage (``account_id`` for a lookup).
    column: str = ""
    required: bool = False
    unique: bool = False
    #: Set by the system (ids, audit stamps, derived values); refused as input.
    read_only: bool = False
    choices: tuple[Choice, ...] = ()
    #: Lookup target: an object api name, or ``user``.
    target: str | None = None
    on_delete: OnDelete = OnDelete.SET_NULL
    default: Any = None
    indexed: bool = False
    #: Changes are written to the record's history (FieldChange rows).
    tracked: bool = True
    max_length: int | None = None
    #: Digits a number column holds (its DecimalField's); None: the type's.
    max_digits: int | None = None
    decimal_places: int | None = None
    #: Bounds of an integer column (the database's integer range).
    min_value: int | None = None
    max_value: int | None = None
    help_text: str = ""
    is_custom: bool = False
    aliases: tuple[str, ...] = ()

    def choice(self, value: str) -> Choice | None:
        """The choice named by value or label, matched case-insensitively."""
        wanted = value.strip().lower()
        for choice in self.choices:
            if choice.value.lower() == wanted or choice.label.lower() == wanted:
                return choice
        wanted = normalize(value)
        for choice in self.choices:
            if choice.value.lower() == wanted:
                return choice
        return None

    @property
    def is_lookup(self) -> bool:
        return isinstance(self.type, field_types.LookupType) and self.type.key != "id"

    @property
    def key(self) -> str:
        """Where the value lives: the column's attribute or the JSON key."""
        return self.column if self.storage is Storage.COLUMN else self.name


@dataclass(frozen=True, slots=True)
class StageSpec:
    key: str
    label: str
    kind: str  # open | won | lost
    probability: Decimal
    order: int
    colour: str


@dataclass(frozen=True, slots=True)
class PipelineSpec:
    id: int
    key: str
    label: str
    is_default: bool
    stages: tuple[StageSpec, ...]

    def stage(self, key: str) -> StageSpec | None:
        return next((s for s in self.stages if s.key == key), None)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A validation rule: when ``condition`` matches the record, it is refused."""

    id: int
    name: str
    condition: tuple
    message: str
    field: str | None


@dataclass(frozen=True, eq=False)
class ObjectType:
    """One object of one workspace: its names, its fields, where it is stored."""

    api_name: str
    plural: str
    label: str
    label_plural: str
    prefix: str
    model: type[models.Model]
    fields: Mapping[str, FieldSpec]
    name_field: str
    hubspot_type_id: str | None = None
    description: str = ""
    is_custom: bool = False
    #: The ObjectDefinition row of a custom object.
    definition_id: int | None = None
    #: The picklist that moves along a pipeline (``stage``, ``status``).
    pipeline_field: str | None = None
    #: The currency column a pipeline board totals (``amount``), if any.
    amount_field: str | None = None
    #: Shown in the app's navigation; child objects (line items) are not.
    in_navigation: bool = True
    pipelines: tuple[PipelineSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    _aliases: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        aliases: dict[str, str] = {}
        for spec in self.fields.values():
            for alias in (spec.name, *spec.aliases):
                aliases.setdefault(alias, spec.name)
            if spec.is_lookup:
                aliases.setdefault(f"{spec.name}_id", spec.name)
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))
        object.__setattr__(self, "_aliases", MappingProxyType(aliases))

    def __repr__(self) -> str:
        return f"<ObjectType {self.api_name}>"

    # -- fields ---------------------------------------------------------------

    def find_field(self, name: str) -> FieldSpec | None:
        """The field called ``name`` in any accepted spelling, or None."""
        if name in self.fields:
            return self.fields[name]
        canonical = self._aliases.get(normalize(name))
        return self.fields[canonical] if canonical else None

    def field(self, name: str) -> FieldSpec:
        """The field called ``name``; ValidationFailed naming it when unknown."""
        spec = self.find_field(name)
        if spec is None:
            raise errors.ValidationFailed(
                f"{self.label} has no field '{name}'.", field=name
            )
        return spec

    @property
    def writable_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(s for s in self.fields.values() if not s.read_only)

    @property
    def lookups(self) -> tuple[FieldSpec, ...]:
        return tuple(s for s in self.fields.values() if s.is_lookup)

    # -- pipelines ------------------------------------------------------------

    def pipeline(self, key: str | None) -> PipelineSpec | None:
        """The pipeline called ``key``, or the default one when ``key`` is empty."""
        if not self.pipelines:
            return None
        if key:
            return next((p for p in self.pipelines if p.key == key), None)
        return next((p for p in self.pipelines if p.is_default), self.pipelines[0])

    # -- records --------------------------------------------------------------

    def queryset(
        self, workspace: Workspace, *, deleted: bool = False
    ) -> models.QuerySet:
        """Rows of this object in ``workspace``: live ones, or those in the bin."""
        qs = self.model.objects.filter(
            workspace=workspace, deleted_at__isnull=not deleted
        )
        if self.is_custom:
            qs = qs.filter(definition_id=self.definition_id)
        return qs

    def new(self, workspace: Workspace) -> models.Model:
        record = self.model(workspace=workspace)
        if self.is_custom:
            record.definition_id = self.definition_id
        return record

    def value(self, record: models.Model, spec: FieldSpec) -> Any:
        """The Python value of one field of a record."""
        if spec.storage is Storage.COLUMN:
            return getattr(record, spec.column)
        bag = record.custom if spec.storage is Storage.CUSTOM_JSON else record.data
        return spec.type.from_json(bag.get(spec.name))

    def assign(self, record: models.Model, values: Mapping[str, Any]) -> None:
        """Set cleaned values (keyed by field name) on a record, without saving."""
        for name, value in values.items():
            spec = self.fields[name]
            if spec.storage is Storage.COLUMN:
                if value is None:
                    # A cleared column holds its default (a checkbox: False),
                    # else the type's empty value ("" for text, NULL otherwise).
                    value = spec.type.empty if spec.default is None else spec.default
                setattr(record, spec.column, value)
                continue
            bag = record.custom if spec.storage is Storage.CUSTOM_JSON else record.data
            if spec.type.is_empty(value):
                bag.pop(spec.name, None)
            else:
                bag[spec.name] = spec.type.to_json(value)

    def snapshot(self, record: models.Model) -> dict[str, Any]:
        """Every field of a record as JSON-ready values (events, history)."""
        return {
            name: spec.type.to_json(self.value(record, spec))
            for name, spec in self.fields.items()
        }

    def display_name(self, record: models.Model) -> str:
        value = self.value(record, self.fields[self.name_field])
        return str(value) if value not in (None, "") else f"{self.label} {record.pk}"

    def public_id(self, record_id: UUID) -> str:
        """The prefixed id of the v1 API (``opp_01933f…``)."""
        return f"{self.prefix}_{record_id.hex}"
