"""References to other records: lookups, users and record ids."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django import forms
from django.db import models
from rest_framework import serializers

from crm.metadata.field_types.base import (
    EQUALITY,
    ORDERING,
    PEOPLE,
    ApiValue,
    FieldType,
    form_options,
)

if TYPE_CHECKING:
    from crm.metadata.types import FieldSpec


@lru_cache(maxsize=4096)
def _text(value: UUID) -> str:
    """An id as text, remembered: the rows of a batch name the same owners,
    accounts and users over and over, and ``UUID.__str__`` is slow."""
    return str(value)


class LookupType(FieldType):
    """A reference to one record of ``spec.target`` (any object, custom included).

    ``clean`` only parses the id; the lifecycle checks that the record exists,
    is alive and belongs to the same workspace.
    """

    key = "lookup"
    label = "Lookup"
    operators = EQUALITY

    def clean(self, spec: FieldSpec, value: object) -> UUID:
        if isinstance(value, UUID):
            return value
        pk = getattr(value, "pk", None)
        if isinstance(pk, UUID):
            return pk
        if isinstance(value, str):
            text = value.strip()
            _, _, tail = text.rpartition("_")
            for candidate in (tail, text):
                try:
                    return UUID(candidate)
                except ValueError:
                    continue
        raise ValueError("Enter the id of a record.")

    def to_json(self, value: Any) -> Any:
        if value is None:
            return None
        return _text(value) if isinstance(value, UUID) else str(value)

    def from_json(self, value: Any) -> Any:
        return None if value is None else UUID(value)

    def db_field(self) -> models.Field:
        return models.UUIDField()

    def api_field(self, spec: FieldSpec) -> serializers.Field:
        return ApiValue(
            json_types=(str,), message="Enter the id of a record, as a JSON string."
        )

    def form_field(self, spec: FieldSpec) -> forms.Field:
        """The id of the chosen record; the page offers a typeahead on the
        target object (``data-lookup``) that fills it."""
        return forms.UUIDField(
            widget=forms.HiddenInput(attrs={"data-lookup": spec.target or ""}),
            **form_options(spec),
        )


class UserType(LookupType):
    """A reference to a member of the workspace (owners, assignees)."""

    key = "user"
    label = "User"
    operators = EQUALITY | PEOPLE

    def form_field(self, spec: FieldSpec) -> forms.Field:
        """A choice of the workspace's members; the form fills ``choices``."""
        return forms.TypedChoiceField(
            coerce=UUID, empty_value=None, choices=[("", "—")], **form_options(spec)
        )


class IdType(LookupType):
    """The record's own primary key (read-only)."""

    key = "id"
    label = "Id"
    operators = EQUALITY | ORDERING

    def form_field(self, spec: FieldSpec) -> forms.Field:
        return forms.CharField(disabled=True, **form_options(spec))
