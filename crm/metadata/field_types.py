"""Field types: everything one type of field knows, one class each.

A new type is a new subclass registered in ``TYPES``, never an ``elif``.
``clean`` turns input into the Python value the record holds; ``to_json`` and
``from_json`` move it in and out of JSON (snapshots, events, JSON storage).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import models
from django.utils import dateparse, timezone
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
        return forms.CharField(**_form_options(spec))


class TextType(FieldType):
    key = "text"
    label = "Text"
    operators = EQUALITY | TEXT_MATCH | ORDERING
    empty = ""
    default_max_length = 255

    def clean(self, spec: FieldSpec, value: object) -> str:
        if isinstance(value, bool) or not isinstance(
            value, str | int | float | Decimal
        ):
            raise ValueError("Enter text.")
        text = str(value).strip()
        if "\x00" in text:
            raise ValueError("Text may not contain NUL characters.")
        limit = spec.max_length or self.default_max_length
        if len(text) > limit:
            raise ValueError(f"Use at most {limit} characters (it has {len(text)}).")
        return text

    def db_field(self) -> models.Field:
        return models.TextField()

    def sample(self, spec: FieldSpec, n: int) -> str:
        limit = spec.max_length or self.default_max_length
        return f"{spec.label} {n}"[-limit:]

    def form_field(self, spec: FieldSpec) -> forms.Field:
        return forms.CharField(
            max_length=spec.max_length or self.default_max_length,
            **_form_options(spec),
        )


class LongTextType(TextType):
    key = "long_text"
    label = "Long text"
    operators = EQUALITY | TEXT_MATCH
    default_max_length = 32_000

    def clean(self, spec: FieldSpec, value: object) -> str:
        if isinstance(value, str):
            # Keep inner line breaks; only trim the ends.
            value = value.replace("\r\n", "\n")
        return super().clean(spec, value)

    def sample(self, spec: FieldSpec, n: int) -> str:
        return f"{spec.label} number {n}.\nA second line."

    def form_field(self, spec: FieldSpec) -> forms.Field:
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 3}),
            max_length=spec.max_length or self.default_max_length,
            strip=False,
            **_form_options(spec),
        )


class EmailType(TextType):
    key = "email"
    label = "Email"
    _validate = EmailValidator()

    def clean(self, spec: FieldSpec, value: object) -> str:
        text = super().clean(spec, value).lower()
        try:
            self._validate(text)
        except DjangoValidationError:
            raise ValueError("Enter a valid email address.") from None
        return text

    def sample(self, spec: FieldSpec, n: int) -> str:
        return f"person{n}@example.com"

    def form_field(self, spec: FieldSpec) -> forms.Field:
        return forms.CharField(
            widget=forms.EmailInput(attrs={"autocomplete": "off"}),
            **_form_options(spec),
        )


class PhoneType(TextType):
    key = "phone"
    label = "Phone"
    default_max_length = 40
    _allowed = re.compile(
        r"^\+?[0-9 ()./\-]{3,30}(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?$", re.I
    )

    def clean(self, spec: FieldSpec, value: object) -> str:
        text = super().clean(spec, value)
        if not self._allowed.match(text):
            raise ValueError("Enter a phone number: digits, spaces, + ( ) - . and ext.")
        return text

    def sample(self, spec: FieldSpec, n: int) -> str:
        return f"+1-555-{n % 10000:04d}"

    def form_field(self, spec: FieldSpec) -> forms.Field:
        return forms.CharField(
            widget=forms.TextInput(attrs={"type": "tel"}), **_form_options(spec)
        )


class UrlType(TextType):
    key = "url"
    label = "URL"
    _validate = URLValidator(schemes=["http", "https"])

    def clean(self, spec: FieldSpec, value: object) -> str:
        text = super().clean(spec, value)
        if "://" not in text:
            text = f"https://{text}"
        try:
            self._validate(text)
        except DjangoValidationError:
            raise ValueError("Enter a valid http(s) URL.") from None
        return text

    def sample(self, spec: FieldSpec, n: int) -> str:
        return f"https://example{n}.com"

    def form_field(self, spec: FieldSpec) -> forms.Field:
        # Plain text: the lifecycle adds a missing https:// that a url input refuses.
        return forms.CharField(
            widget=forms.TextInput(attrs={"inputmode": "url"}), **_form_options(spec)
        )


class NumberType(FieldType):
    key = "number"
    label = "Number"
    operators = EQUALITY | ORDERING
    is_ordered = True
    decimal_places = 2
    max_digits = 18

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
        quantum = Decimal(1).scaleb(-places)
        number = number.quantize(quantum)
        if abs(number) >= Decimal(10) ** (self.max_digits - places):
            raise ValueError("That number is too large.")
        return number

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
            widget=forms.NumberInput(attrs={"step": step}), **_form_options(spec)
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
        return forms.BooleanField(**{**_form_options(spec), "required": False})


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
            **_form_options(spec),
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
        if value is None:
            return None
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")

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
            **_form_options(spec),
        )


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
            **_form_options(spec),
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
            **_form_options(spec),
        )


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
        return None if value is None else str(value)

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
            **_form_options(spec),
        )


class UserType(LookupType):
    """A reference to a member of the workspace (owners, assignees)."""

    key = "user"
    label = "User"
    operators = EQUALITY | PEOPLE

    def form_field(self, spec: FieldSpec) -> forms.Field:
        """A choice of the workspace's members; the form fills ``choices``."""
        return forms.TypedChoiceField(
            coerce=UUID, empty_value=None, choices=[("", "—")], **_form_options(spec)
        )


class IdType(LookupType):
    """The record's own primary key (read-only)."""

    key = "id"
    label = "Id"
    operators = EQUALITY | ORDERING

    def form_field(self, spec: FieldSpec) -> forms.Field:
        return forms.CharField(disabled=True, **_form_options(spec))


TYPES: dict[str, FieldType] = {
    t.key: t
    for t in (
        TextType(),
        LongTextType(),
        EmailType(),
        PhoneType(),
        UrlType(),
        NumberType(),
        CurrencyType(),
        PercentType(),
        BooleanType(),
        DateType(),
        DateTimeType(),
        PicklistType(),
        MultiPicklistType(),
        LookupType(),
        UserType(),
        IdType(),
    )
}

#: Types an admin may choose for a custom field.
CUSTOM_FIELD_TYPES = tuple(key for key in TYPES if key != "id")


def get(key: str) -> FieldType:
    return TYPES[key]


def _form_options(spec: FieldSpec) -> dict[str, Any]:
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
