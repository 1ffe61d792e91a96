"""Record bodies in and out of v1, generated from the registry's FieldSpecs.

In: keys in any accepted spelling (``AnnualRevenue`` ≡ ``annual_revenue``,
``AccountId`` ≡ ``account_id`` ≡ ``account``), values of the right JSON type
(each type's ``api_field``); unknown and read-only keys are refused. Cleaning,
required fields and rules stay with ``crm.records``.

Out: ``id`` prefixed, every field by its name, lookups as ``<name>_id`` holding
the target's prefixed id — from a model instance (``render``, after a write) or
from crm.query rows (``plan``, see ``api.v1.rows``). One serializer per
(workspace, metadata version, object) is built and cached, and with it one
row plan per field selection.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from rest_framework import serializers

from accounts import errors
from accounts.access import Context
from accounts.errors import FieldError
from api.v1 import ids, rows
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType
from crm.query import Query

_CACHE_SIZE = 2048
_PLANS_PER_SERIALIZER = 256


class RecordSerializer:
    """Parse bodies for, and render records of, one object type."""

    def __init__(self, object_type: ObjectType, prefixes: Mapping[str, str]) -> None:
        self.object_type = object_type
        self.prefixes = prefixes
        self._plans: dict[tuple, rows.Plan] = {}
        self._inputs = {
            spec.name: spec.type.api_field(spec) for spec in object_type.writable_fields
        }
        outputs: list[tuple[str, FieldSpec, str | None]] = []
        for name, spec in object_type.fields.items():
            if name == "id":
                continue
            if spec.is_lookup:
                prefix = prefixes.get(spec.target or "", spec.target or "")
                outputs.append((f"{name}_id", spec, prefix))
            else:
                outputs.append((name, spec, None))
        self._outputs = tuple(outputs)

    # -- in -------------------------------------------------------------------

    def parse(self, data: Any) -> dict[str, Any]:
        """Values by field name; ValidationFailed listing every bad key."""
        label = self.object_type.label
        if not isinstance(data, Mapping):
            raise errors.ValidationFailed(
                f"Send the {label}'s fields as a JSON object."
            )
        values: dict[str, Any] = {}
        problems: list[FieldError] = []
        for key, raw in data.items():
            spec = self.object_type.find_field(str(key))
            if spec is None:
                problems.append(FieldError(str(key), f"{label} has no field '{key}'."))
            elif spec.read_only:
                problems.append(FieldError(spec.name, f"{spec.label} is read-only."))
            elif spec.name in values:
                problems.append(FieldError(spec.name, f"{spec.label} is given twice."))
            else:
                try:
                    values[spec.name] = self._inputs[spec.name].run_validation(raw)
                except serializers.ValidationError as exc:
                    message = exc.detail[0] if isinstance(exc.detail, list) else exc
                    problems.append(FieldError(spec.name, str(message)))
        if problems:
            raise errors.ValidationFailed.from_errors(problems)
        return values

    # -- out ------------------------------------------------------------------

    def plan(self, ctx: Context, fields: Sequence, expand: Sequence = ()) -> rows.Plan:
        """How crm.query rows of ``fields`` (Paths) and ``expand`` become v1
        JSON; built once per selection and kept with this serializer."""

        def nested(object_type: ObjectType, sub_fields: Sequence) -> rows.Plan:
            return serializer_for(ctx, object_type).plan(ctx, sub_fields)

        return self._remember(
            rows.key_of(fields, expand),
            lambda: rows.build(self, fields, expand, nested),
        )

    def plan_named(self, ctx: Context, names: tuple[str, ...] | None) -> rows.Plan:
        """The plan of fields as the caller spelled them (``?fields=Name,
        Account.Name``; None: every field), parsed once; ValidationFailed
        naming a bad one."""

        def build() -> rows.Plan:
            wanted = list(names) if names else None
            parsed = Query.from_json(ctx, self.object_type.api_name, {"fields": wanted})
            return self.plan(ctx, parsed.fields)

        return self._remember(("named", names), build)

    def _remember(self, key: tuple, build) -> rows.Plan:
        found = self._plans.get(key)
        if found is None:
            found = build()
            if len(self._plans) >= _PLANS_PER_SERIALIZER:
                self._plans.clear()
            self._plans[key] = found
        return found

    def render(self, record) -> dict[str, Any]:
        """A model instance (just written) as v1 JSON: ``id``, then every field."""
        object_type = self.object_type
        out: dict[str, Any] = {"id": object_type.public_id(record.pk)}
        for key, spec, prefix in self._outputs:
            value = object_type.value(record, spec)
            if prefix is not None:
                out[key] = ids.public(prefix, value)
            else:
                out[key] = spec.type.to_json(value)
        return out


_cache: OrderedDict[tuple, RecordSerializer] = OrderedDict()
_lock = threading.Lock()


def serializer_for(ctx: Context, object_type: ObjectType) -> RecordSerializer:
    """The serializer of ``object_type`` at the workspace's metadata version."""
    workspace = ctx.workspace
    key = (workspace.pk, workspace.metadata_version, object_type.api_name)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    prefixes = {t.api_name: t.prefix for t in registry.for_workspace(workspace).types}
    prefixes["user"] = ids.USER_PREFIX
    built = RecordSerializer(object_type, prefixes)
    with _lock:
        _cache[key] = built
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return built
