"""What every field type shares: the operator sets, the ``FieldType``
strategy base class, and the DRF field that checks a value's JSON type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.db import models
from rest_framework import serializers

if TYPE_CHECKING:
    from crm.metadata.types import FieldSpec

EQUALITY = frozenset({"=", "!=", "in", "not_in", "is_null", "is_not_null"})
ORDERING = frozenset({">", ">=", "<", "<=", "between"})
TEXT_MATCH = frozenset({"contains", "starts_with", "ends_with", "like"})
RELATIVE_DATES = frozenset(
    {
        "today",
        "yesterday",
        "tomorrow",
        "this_week",
        "last_week",
        "next_week",
        "this_month",
        "last_month",
        "next_month",
        "this_quarter",
        "last_quarter",
        "next_quarter",
        "this_year",
        "last_year",
        "next_year",
        "in_year",
        "last_n_days",
        "next_n_days",
    }
)
PEOPLE = frozenset({"in_role_subordinates", "in_group"})


class FieldType:
    """All one field type knows. Subclasses set ``key`` and ``operators``."""

    key: ClassVar[str]
    label: ClassVar[str]
    operators: ClassVar[frozenset[str]] = EQUALITY
    #: The value a record holds when the field is empty.
    empty: ClassVar[Any] = None
    #: Whether values sort and compare by magnitude (numbers, dates).
    is_ordered: ClassVar[bool] = False

    def is_empty(self, value: object) -> bool:
        return value is None or value == "" or value == []

    def clean(self, spec: FieldSpec, value: object) -> Any:
        """Return the value to store; raise ValueError with a user-facing message."""
        return value

    def to_json(self, value: Any) -> Any:
        return value

    def from_json(self, value: Any) -> Any:
        return value

    def db_field(self) -> models.Field:
        """The Django field a JSON-stored value is cast to for comparison."""
        return models.TextField()

    def sample(self, spec: FieldSpec, n: int) -> Any:
        """A valid, varied value for tests and demo data (``n`` picks which)."""
        raise NotImplementedError(f"{self.key} has no sample")

    def __repr__(self) -> str:
        return f"<FieldType {self.key}>"

    def api_field(self, spec: FieldSpec) -> serializers.Field:
        """The DRF field that checks this field's JSON type in an API body."""
        return ApiValue(json_types=(str,), message="Enter text, as a JSON string.")

    def form_field(self, spec: FieldSpec) -> forms.Field:
        """The form field of the browser UI: shape and type conversion only
        (the lifecycle cleans and checks the value)."""
        return forms.CharField(**form_options(spec))


def form_options(spec: FieldSpec) -> dict[str, Any]:
    """What every form field takes from its spec."""
    return {
        "label": spec.label,
        "required": spec.required,
        "help_text": spec.help_text,
    }


# -- API values ---------------------------------------------------------------------
# ``api_field`` gives the DRF field that checks the JSON type of a value in an
# API body. The API is strict where the lifecycle is lenient: ``"12"`` is not a
# number and ``"yes"`` is not a boolean there. Cleaning stays ``clean``'s.


class ApiValue(serializers.Field):
    """One field's value in an API body: its JSON type is checked, nothing else."""

    def __init__(self, *, json_types: tuple[type, ...], message: str, **kwargs):
        self.json_types = json_types
        self.message = message
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        is_bool = isinstance(data, bool)
        if (is_bool and bool not in self.json_types) or not isinstance(
            data, self.json_types
        ):
            raise serializers.ValidationError(self.message)
        return data

    def to_representation(self, value: Any) -> Any:
        return value
