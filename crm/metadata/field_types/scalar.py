"""Numbers (number, currency, percent), booleans, dates and datetimes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.db import models
from django.utils import dateparse, timezone
from rest_framework import serializers

from crm.metadata.field_types.base import (
    EQUALITY,
    ORDERING,
    RELATIVE_DATES,
    ApiValue,
    FieldType,
    form_options,
)

if TYPE_CHECKING:
    from crm.metadata.types import FieldSpec


@lru_cache(maxsize=64)
def _bounds(places: int, whole_digits: int) -> tuple[Decimal, Decimal]:
    """The quantum of ``places`` decimals and the first number too large."""
    return Decimal(1).scaleb(-places), Decimal(10) ** whole_digits


@lru_cache(maxsize=1024)
def _iso_utc(value: dt.datetime) -> str:
    """ISO 8601 in UTC (``Z``), remembered: a batch stamps its rows with one
    time. Equal instants in other zones give the same text, as they must."""
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class NumberType(FieldType):
    key = "number"
    label = "Number"
    operators = EQUALITY | ORDERING
    is_ordered = True
    decimal_places = 2
    #: The digits of the standard objects' money columns (``crm.models.base``).
    max_digits = 18
    #: JSON-stored numbers are doubles: 15 significant digits survive the
    #: round trip (1234567890123456.78 would come back as …456.8).
    json_digits = 15

    def clean(self, spec: FieldSpec, value: object) -> Decimal:
        if isinstance(value, bool):
            raise ValueError("Enter a number.")
        if isinstance(value, str):
            value = value.strip().replace(",", "")
        try:
            number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError("Enter a number.") from None
        if not number.is_finite():
            raise ValueError("Enter a finite number.")
        places = self.places(spec)
        whole_digits = self.digits(spec) - places
        quantum, limit = _bounds(places, whole_digits)
        # Checked before rounding too: quantize refuses (InvalidOperation) a
        # result longer than the context's 28 digits, 1e308 say.
        if number and number.adjusted() >= whole_digits:
            raise self._too_large(whole_digits)
        number = number.quantize(quantum)
        if abs(number) >= limit:
            raise self._too_large(whole_digits)
        if spec.min_value is not None and number < spec.min_value:
            raise ValueError(f"Enter a number of at least {spec.min_value:,}.")
        if spec.max_value is not None and number > spec.max_value:
            raise ValueError(f"Enter a number of at most {spec.max_value:,}.")
        return number

    @staticmethod
    def _too_large(whole_digits: int) -> ValueError:
        return ValueError(
            f"That number is too large: at most {whole_digits} digits before "
            "the decimal point."
        )

    def digits(self, spec: FieldSpec) -> int:
        """Significant digits the field holds: its column's, or, for a custom
        field (kept in JSON), what a JSON number keeps exactly."""
        if spec.max_digits is not None:
            return spec.max_digits
        return self.json_digits if spec.is_custom else self.max_digits

    def places(self, spec: FieldSpec) -> int:
        return (
            spec.decimal_places
            if spec.decimal_places is not None
            else self.decimal_places
        )

    def to_json(self, value: Any) -> Any:
        if value is None:
            return None
        value = Decimal(value)
        return int(value) if value == value.to_integral_value() else float(value)

    def from_json(self, value: Any) -> Any:
        return None if value is None else Decimal(str(value))

    def db_field(self) -> models.Field:
        return models.DecimalField(max_digits=self.max_digits, decimal_places=6)

    def sample(self, spec: FieldSpec, n: int) -> Decimal:
        return Decimal((n * 37) % 1000)

    def api_field(self, spec: FieldSpec) -> serializers.Field:
        return ApiValue(
            json_types=(int, float), message="Enter a number, as a JSON number."
        )

    def form_field(self, spec: FieldSpec) -> forms.Field:
        places = self.places(spec)
        step = "1" if places == 0 else f"0.{'0' * (places - 1)}1"
        return forms.DecimalField(
            widget=forms.NumberInput(attrs={"step": step}), **form_options(spec)
        )


class CurrencyType(NumberType):
    key = "currency"
    label = "Currency"

    def sample(self, spec: FieldSpec, n: int) -> Decimal:
        return Decimal(1000 + (n * 7919) % 250_000)


class PercentType(NumberType):
    key = "percent"
    label = "Percent"

    def clean(self, spec: FieldSpec, value: object) -> Decimal:
        number = super().clean(spec, value)
        if not Decimal(0) <= number <= Decimal(100):
            raise ValueError("Enter a percentage between 0 and 100.")
        return number

    def sample(self, spec: FieldSpec, n: int) -> Decimal:
        return Decimal((n * 10) % 101)

    def form_field(self, spec: FieldSpec) -> forms.Field:
        field = super().form_field(spec)
        field.widget.attrs.update(min="0", max="100")
        return field


class BooleanType(FieldType):
    key = "boolean"
    label = "Checkbox"
    operators = frozenset({"=", "!=", "is_null", "is_not_null"})
    _words: ClassVar[dict[str, bool]] = {
        "true": True,
        "yes": True,
        "1": True,
        "on": True,
        "false": False,
        "no": False,
        "0": False,
        "off": False,
    }

    def is_empty(self, value: object) -> bool:
        return value is None or value == ""

    def clean(self, spec: FieldSpec, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in self._words:
            return self._words[value.strip().lower()]
        raise ValueError("Enter true or false.")

    def db_field(self) -> models.Field:
        return models.BooleanField()

    def sample(self, spec: FieldSpec, n: int) -> bool:
        return n % 2 == 0

    def api_field(self, spec: FieldSpec) -> serializers.Field:
        return ApiValue(json_types=(bool,), message="Enter true or false.")

    def form_field(self, spec: FieldSpec) -> forms.Field:
        # Unticked is False: a checkbox is never "required".
        return forms.BooleanField(**{**form_options(spec), "required": False})


class DateType(FieldType):
    key = "date"
    label = "Date"
    operators = EQUALITY | ORDERING | RELATIVE_DATES
    is_ordered = True

    def clean(self, spec: FieldSpec, value: object) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            text = value.strip()
            try:
                parsed = dateparse.parse_date(text) or dateparse.parse_datetime(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dt.datetime):
                return parsed.date()
            if parsed is not None:
                return parsed
        raise ValueError("Enter a date as YYYY-MM-DD.")

    def to_json(self, value: Any) -> Any:
        return None if value is None else value.isoformat()

    def from_json(self, value: Any) -> Any:
        return None if value is None else dt.date.fromisoformat(value)

    def db_field(self) -> models.Field:
        return models.DateField()

    def sample(self, spec: FieldSpec, n: int) -> dt.date:
        return dt.date(2026, 1, 1) + dt.timedelta(days=n % 365)

    def api_field(self, spec: FieldSpec) -> serializers.Field:
        return ApiValue(
            json_types=(str,), message="Enter a date as a YYYY-MM-DD string."
        )

    def form_field(self, spec: FieldSpec) -> forms.Field:
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **form_options(spec),
        )


class DateTimeType(FieldType):
    key = "datetime"
    label = "Date and time"
    operators = EQUALITY | ORDERING | RELATIVE_DATES
    is_ordered = True

    def clean(self, spec: FieldSpec, value: object) -> dt.datetime:
        if isinstance(value, str):
            try:
                parsed = dateparse.parse_datetime(value.strip().replace("z", "Z"))
            except ValueError:
                parsed = None
            if parsed is None:
                raise ValueError(
                    "Enter a date and time in ISO 8601 (2026-03-12T14:23:11Z)."
                )
            value = parsed
        if not isinstance(value, dt.datetime):
            raise ValueError(
                "Enter a date and time in ISO 8601 (2026-03-12T14:23:11Z)."
            )
        if timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        return value.astimezone(dt.UTC)

    def to_json(self, value: Any) -> Any:
        return None if value is None else _iso_utc(value)

    def from_json(self, value: Any) -> Any:
        return None if value is None else dateparse.parse_datetime(value)

    def db_field(self) -> models.Field:
        return models.DateTimeField()

    def sample(self, spec: FieldSpec, n: int) -> dt.datetime:
        return dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC) + dt.timedelta(hours=7 * n)

    def api_field(self, spec: FieldSpec) -> serializers.Field:
        return ApiValue(
            json_types=(str,),
            message="Enter a date and time as an ISO 8601 string "
            "(2026-03-12T14:23:11Z).",
        )

    def form_field(self, spec: FieldSpec) -> forms.Field:
        return forms.DateTimeField(
            widget=forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
            **form_options(spec),
        )
