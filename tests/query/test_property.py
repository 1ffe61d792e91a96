"""The two back ends agree: for generated records and generated filters, the
ORM compiler selects exactly the records the in-memory evaluator matches.

Runs on whichever database the suite uses (SQLite by default, PostgreSQL
with DATABASE_URL), over columns, custom fields in ``custom`` and a custom
object's ``data``.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm import query, records
from crm.metadata import registry
from crm.metadata import services as metadata
from crm.query import evaluate, filters, operators
from crm.records import validation
from tests.query.conftest import CHOICES, add_typed_fields

TODAY = timezone.localdate()
TEXT = "abAB _%éÉ"  # letters SQLite alone would not fold
SETTINGS = settings(
    max_examples=int(os.environ.get("HOTCRM_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Fields whose values the test sets, per object (others stay default).
FIELDS = {
    "account": [
        "name",
        "description",
        "phone",
        "website",
        "annual_revenue",
        "number_of_employees",
        "industry",
        "owner",
        *(f"cf_{k}" for k in ("text", "long_text", "email", "phone", "url")),
        *(f"cf_{k}" for k in ("number", "currency", "percent", "boolean")),
        *(f"cf_{k}" for k in ("date", "datetime", "picklist", "multi_picklist")),
        "cf_lookup",
        "cf_user",
    ],
    "event": [
        "subject",
        "location",
        "start_at",
        "end_at",
        "is_all_day",
        "contact",
        "owner",
        "cf_date",
        "cf_datetime",
        "cf_number",
    ],
    "project": [
        "name",
        *(f"cf_{k}" for k in ("text", "long_text", "email", "phone", "url")),
        *(f"cf_{k}" for k in ("number", "currency", "percent", "boolean")),
        *(f"cf_{k}" for k in ("date", "datetime", "picklist", "multi_picklist")),
        "cf_lookup",
        "cf_user",
        "owner",
    ],
}
REQUIRED_TEXT = {"name", "subject"}


def _datetimes():
    return st.datetimes(
        min_value=dt.datetime(2024, 1, 1),
        max_value=dt.datetime(2028, 12, 31),
        timezones=st.just(dt.UTC),
    ).map(lambda v: v if v.microsecond % 3 else v.replace(microsecond=0))


def value_strategy(spec, people: dict, *, for_filter: bool = False):
    """Values a field may hold (None for empty unless ``for_filter``)."""
    key = spec.type.key
    near = TODAY - dt.timedelta(days=400), TODAY + dt.timedelta(days=400)
    base = {
        "text": st.text(TEXT, min_size=1, max_size=6),
        "long_text": st.text(TEXT, min_size=1, max_size=6),
        "email": st.sampled_from(["ann@example.com", "bob@example.org", "cy@x.net"]),
        "phone": st.sampled_from(["+1 555 0001", "+44 20 0002", "+49 30 0003"]),
        "url": st.sampled_from(["https://a.example", "https://b.example/x"]),
        "number": st.decimals(-1000, 1000, places=2, allow_nan=False),
        "currency": st.decimals(-1000, 1000, places=2, allow_nan=False),
        "percent": st.decimals(0, 100, places=2, allow_nan=False),
        "boolean": st.booleans(),
        "date": st.dates(*near),
        "datetime": _datetimes(),
        "picklist": st.sampled_from([c.value for c in spec.choices]),
        "multi_picklist": st.lists(
            st.sampled_from([c.lower() for c in CHOICES]), min_size=1, max_size=3
        ),
        "lookup": st.sampled_from(people.get(spec.target, people["contacts"])),
        "user": st.sampled_from(people["users"]),
    }[key]
    if spec.decimal_places == 0:
        base = st.integers(0, 1000).map(Decimal)
    if spec.name in REQUIRED_TEXT:
        return st.text("abAB", min_size=1, max_size=5)
    if spec.name == "start_at":
        return _datetimes()
    if spec.name == "is_all_day":
        # A checkbox column is never empty (and the lifecycle refuses None).
        return st.booleans()
    if for_filter:
        # A blank operand is refused (use is_null), so filters never draw one.
        return base.filter(lambda v: not isinstance(v, str) or v.strip())
    return st.one_of(st.none(), base)


def _json(value):
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "hex") and not isinstance(value, str | int):
        return str(value)
    return value


@st.composite
def condition(draw, object_type, people):
    spec = object_type.fields[draw(st.sampled_from(FIELDS[object_type.api_name]))]
    op = draw(st.sampled_from(sorted(spec.type.operators)))
    values = value_strategy(spec, people, for_filter=True)
    if spec.type.key == "multi_picklist":
        values = st.sampled_from([c.lower() for c in CHOICES])
    if op in operators.UNARY:
        return [spec.name, op]
    if op in operators.TEXT_MATCH and spec.type.key != "multi_picklist":
        return [spec.name, op, draw(st.text(TEXT, min_size=1, max_size=3))]
    if op in operators.LISTS:
        return [spec.name, op, _json(draw(st.lists(values, min_size=1, max_size=3)))]
    if op == "between":
        return [spec.name, op, _json(draw(values)), _json(draw(values))]
    if op == "in_year":
        return [spec.name, op, draw(st.integers(2023, 2029))]
    if op in operators.COUNTED_DATES:
        return [spec.name, op, draw(st.integers(0, 500))]
    if op == "in_role_subordinates":
        return [spec.name, op, draw(st.sampled_from(["CEO", "Sales", "Sales rep"]))]
    if op == "in_group":
        return [spec.name, op, "Team"]
    if spec.type.key == "user" and draw(st.booleans()):
        return [spec.name, op, "$currentUser"]
    return [spec.name, op, _json(draw(values))]


@st.composite
def record_data(draw, object_type, people):
    data = {}
    for name in FIELDS[object_type.api_name]:
        spec = object_type.fields[name]
        data[name] = _json(draw(value_strategy(spec, people)))
    return data


@pytest.fixture
def world(ctx, people, request):
    object_name = request.param
    if object_name == "project":
        metadata.create_object(ctx, api_name="project", label="Project")
    add_typed_fields(ctx, "project" if object_name == "project" else object_name)
    if object_name != "account":
        add_typed_fields(ctx, "account")
    people = dict(people)
    people["account"] = [
        records.create(ctx, "account", data={"name": f"Acc {n}"}).pk for n in range(2)
    ]
    return World(registry.get(ctx, object_name), people)


class World(tuple):
    """(object type, people), shown briefly in hypothesis reports."""

    def __new__(cls, object_type, people):
        return super().__new__(cls, (object_type, people))

    def __repr__(self) -> str:
        return f"World({self[0].api_name})"


@pytest.mark.parametrize("world", ["account", "event", "project"], indirect=True)
@SETTINGS
@given(data=st.data())
def test_the_compiler_and_the_evaluator_select_the_same_records(ctx, world, data):
    object_type, people = world
    with transaction.atomic():
        created = [
            records.create(
                ctx,
                object_type.api_name,
                data=data.draw(record_data(object_type, people)),
            )
            for _ in range(data.draw(st.integers(1, 5)))
        ]
        groups = data.draw(
            st.lists(
                st.lists(condition(object_type, people), min_size=1, max_size=3),
                min_size=1,
                max_size=2,
            )
        )
        where = filters.parse_groups(object_type, groups)
        q = query.Query(object_type, where=where, limit=200, fields=())
        ids = {record.pk for record in created}
        compiled = {row.pk for row in query.page(ctx, q).rows} & ids
        evaluated = {
            record.pk
            for record in created
            if evaluate.matches_any(
                ctx, where, validation.state_of(object_type, record)
            )
        }
        assert compiled == evaluated, groups
        transaction.set_rollback(True)
