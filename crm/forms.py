"""Forms of the browser UI, generated from the registry's FieldSpecs.

A form only shapes and converts input (``FieldType.form_field``); the
lifecycle cleans, checks and writes. Its refusals are put back on the form
next to the field they name (``add_lifecycle_errors``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import dateparse, timezone

from accounts import errors
from crm.metadata.types import FieldSpec, ObjectType
from crm.query.members import Member


@dataclass(frozen=True)
class Entry:
    """One field of a form as a template shows it."""

    bf: forms.BoundField
    spec: FieldSpec
    label: str = ""

    @property
    def is_typeahead(self) -> bool:
        return self.spec.is_lookup and self.spec.target != "user"


class RecordForm(forms.Form):
    """A form over some fields of one object; ``specs`` keeps their specs."""

    object_type: ObjectType
    specs: dict[str, FieldSpec]
    lookup_labels: dict[str, str]

    @property
    def entries(self) -> list[Entry]:
        return [
            Entry(self[name], spec, self.lookup_labels.get(name, ""))
            for name, spec in self.specs.items()
        ]

    def values(self, *, only_changed: bool) -> dict[str, Any]:
        """Cleaned values for the lifecycle: the changed ones (an edit) or the
        filled ones (a create, so that defaults apply to the rest)."""
        data = {}
        for name, value in self.cleaned_data.items():
            spec = self.specs[name]
            if only_changed and name not in self.changed_data:
                continue
            if not only_changed and spec.type.is_empty(value):
                continue
            data[name] = value
        return data

    def add_lifecycle_errors(self, exc: errors.DomainError) -> None:
        """Put the lifecycle's refusal next to the fields it names; a problem
        naming no field of this form is a form-wide error."""
        details = exc.details or (errors.FieldError(exc.field, exc.message),)
        for detail in details:
            spec = self.object_type.find_field(detail.field) if detail.field else None
            if spec is not None and spec.name in self.fields:
                self.add_error(spec.name, detail.message)
            else:
                self.add_error(None, detail.message)


def editable_specs(
    object_type: ObjectType, names: Iterable[str] | None = None
) -> list[FieldSpec]:
    """Writable fields (all, or those named, in that order)."""
    if names is None:
        return list(object_type.writable_fields)
    found = []
    for name in names:
        spec = object_type.find_field(name)
        if spec is not None and not spec.read_only:
            found.append(spec)
    return found


def record_form(
    object_type: ObjectType,
    specs: list[FieldSpec],
    *,
    members: list[Member] = (),
    data: Mapping[str, Any] | None = None,
    initial: Mapping[str, Any] | None = None,
    lookup_labels: Mapping[str, str] | None = None,
    prefix: str | None = None,
) -> RecordForm:
    fields: dict[str, forms.Field] = {}
    if data is None:
        defaults = {s.name: s.default for s in specs if s.default not in (None, "")}
        initial = {**defaults, **(initial or {})}
    for spec in specs:
        field = spec.type.form_field(spec)
        if spec.target == "user":
            field.choices = [("", "—"), *((str(m.id), m.label) for m in members)]
        if field.required:
            # The lifecycle says what is missing, in its words, with the
            # rest of its checks; the browser gets the hint.
            field.required = False
            field.widget.attrs["required"] = True
        fields[spec.name] = field
    form_class = type(
        f"{object_type.label.replace(' ', '')}Form", (RecordForm,), dict(fields)
    )
    form = form_class(data=data, initial=initial, prefix=prefix, label_suffix="")
    form.object_type = object_type
    form.specs = {spec.name: spec for spec in specs}
    form.lookup_labels = dict(lookup_labels or {})
    return form


def _initial(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.type.key == "datetime" and isinstance(value, str):
        moment = dateparse.parse_datetime(value)
        return timezone.localtime(moment).replace(tzinfo=None) if moment else None
    if spec.type.key == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def initial_from_row(
    object_type: ObjectType, row: Mapping[str, Any], specs: list[FieldSpec]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Initial form values from a ``crm.query`` row, and the display names of
    its lookups (from ``<lookup>.<name>`` paths in the row)."""
    initial, labels = {}, {}
    for spec in specs:
        initial[spec.name] = _initial(spec, row.get(spec.name))
        if spec.is_lookup:
            for key, value in row.items():
                if key.startswith(f"{spec.name}.") and value:
                    labels[spec.name] = str(value)
                    break
    return initial, labels
