"""Text field types: text, long text, email, phone and url."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import models

from crm.metadata.field_types.base import (
    EQUALITY,
    ORDERING,
    TEXT_MATCH,
    FieldType,
    form_options,
)

if TYPE_CHECKING:
    from crm.metadata.types import FieldSpec


def _eager(validator, *names: str):
    """``validator`` with its patterns compiled now: Django's validators keep
    them lazily compiled and reach them through a proxy on every call, a cost
    every row of a bulk load pays."""
    for name in names:
        lazy = getattr(validator, name)
        setattr(validator, name, re.compile(lazy.pattern, lazy.flags))
    return validator


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
            **form_options(spec),
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
            **form_options(spec),
        )


class EmailType(TextType):
    key = "email"
    label = "Email"
    _validate = _eager(EmailValidator(), "user_regex", "domain_regex", "literal_regex")

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
            **form_options(spec),
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
            widget=forms.TextInput(attrs={"type": "tel"}), **form_options(spec)
        )


class UrlType(TextType):
    key = "url"
    label = "URL"
    _validate = _eager(URLValidator(schemes=["http", "https"]), "regex")

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
            widget=forms.TextInput(attrs={"inputmode": "url"}), **form_options(spec)
        )
