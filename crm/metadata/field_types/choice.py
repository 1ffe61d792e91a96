"""Picklists: one value, or several, from the field's choices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db import models
from rest_framework import serializers

from crm.metadata.field_types.base import (
    EQUALITY,
    ApiValue,
    FieldType,
    form_options,
)

if TYPE_CHECKING:
    from crm.metadata.types import FieldSpec


class PicklistType(FieldType):
    key = "picklist"
    label = "Picklist"
    operators = EQUALITY
    empty = ""

    def clean(self, spec: FieldSpec, value: object) -> str:
        if not isinstance(value, str):
            raise ValueError("Choose one of the listed values.")
        choice = spec.choice(value)
        if choice is None:
            allowed = ", ".join(c.value for c in spec.choices[:20])
            raise ValueError(
                f"'{value[:80]}' is not a valid choice. Use one of: {allowed}."
            )
        return choice.value

    def sample(self, spec: FieldSpec, n: int) -> str:
        return spec.choices[n % len(spec.choices)].value

    def form_field(self, spec: FieldSpec) -> forms.Field:
        return forms.ChoiceField(
            choices=[("", "—"), *((c.value, c.label) for c in spec.choices)],
            **form_options(spec),
        )


class MultiPicklistType(FieldType):
    key = "multi_picklist"
    label = "Multi-select picklist"
    operators = frozenset({"contains", "in", "not_in", "is_null", "is_not_null"})

    def clean(self, spec: FieldSpec, value: object) -> list[str]:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(";") if part.strip()]
        if not isinstance(value, list | tuple):
            raise ValueError("Choose a list of the listed values.")
        picked: list[str] = []
        for item in value:
            choice = spec.choice(item) if isinstance(item, str) else None
            if choice is None:
                raise ValueError(f"'{str(item)[:80]}' is not a valid choice.")
            if choice.value not in picked:
                picked.append(choice.value)
        return picked

    def to_json(self, value: Any) -> Any:
        return list(value) if value else []

    def db_field(self) -> models.Field:
        return models.JSONField()

    def sample(self, spec: FieldSpec, n: int) -> list[str]:
        return [spec.choices[n % len(spec.choices)].value]

    def api_field(self, spec: FieldSpec) -> serializers.Field:
        return ApiValue(json_types=(list,), message="Send a list of the listed values.")

    def form_field(self, spec: FieldSpec) -> forms.Field:
        return forms.MultipleChoiceField(
            choices=[(c.value, c.label) for c in spec.choices],
            widget=forms.CheckboxSelectMultiple,
            **form_options(spec),
        )
