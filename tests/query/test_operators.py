"""Every operator on every field type, in every storage kind.

Each case stores three ascending values (and one empty record) in a field and
checks which records a filter selects: through the ORM compiler and through
the in-memory evaluator, against expectations written from the values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.access import Action
from crm import query, records
from crm.metadata import field_types, registry
from crm.query import evaluate, filters, operators
from crm.records import validation
from tests.query.conftest import add_typed_fields

TODAY = timezone.localdate()


def _values(type_key: str, people: dict) -> list:
    """Three ascending values of a type (booleans: two)."""
    return {
        "text": ["Alpha one", "Beta two", "Gamma three"],
        "long_text": ["Alpha one", "Beta two", "Gamma three"],
        "email": ["ann@example.com", "bob@example.org", "cy@example.net"],
        "phone": ["+1 555 0001", "+44 20 0002", "+49 30 0003"],
        "url": [
            "http://alpha.example",
            "https://beta.example.org",
            "https://gamma.example",
        ],
        "number": [Decimal("-1.5"), Decimal("20"), Decimal("300.25")],
        "currency": [Decimal("10"), Decimal("2000.50"), Decimal("30000")],
        "percent": [Decimal("0"), Decimal("12.5"), Decimal("100")],
        "boolean": [False, True],
        "date": [TODAY - dt.timedelta(days=40), TODAY, TODAY + dt.timedelta(days=40)],
        "datetime": [
            timezone.now() - dt.timedelta(days=40),
            timezone.now().replace(microsecond=0),
            timezone.now().replace(microsecond=0) + dt.timedelta(days=40, seconds=1),
        ],
        "picklist": ["gold", "silver", "bronze"],
        "multi_picklist": [["gold"], ["silver", "bronze"], ["bronze"]],
        "lookup": people["contacts"],
        "user": people["users"],
        "id": None,
    }[type_key]


#: Text-match operands per type, matching value 1 (contains, like), 2
#: (starts_with) and 0 (ends_with) of ``_values``.
NEEDLES = {
    "text": {
        "contains": "ETA",
        "starts_with": "gam",
        "ends_with": "ONE",
        "like": "%a_tw%",
    },
    "email": {
        "contains": "OB@",
        "starts_with": "cy",
        "ends_with": ".COM",
        "like": "%b_b@%",
    },
    "phone": {
        "contains": "20 0",
        "starts_with": "+49",
        "ends_with": "001",
        "like": "%4_ 20%",
    },
    "url": {
        "contains": "BETA",
        "starts_with": "https://gam",
        "ends_with": "alpha.example",
        "like": "%b_ta%",
    },
}
NEEDLES["long_text"] = NEEDLES["text"]
TEXT_HITS = {"contains": 1, "like": 1, "starts_with": 2, "ends_with": 0}


def _cases(spec, values: list, people: dict):
    """(operator, operand, expected indices) for every operator of the type;
    index 3 is the record with the field empty."""
    key = spec.type.key
    v = values
    everyone = set(range(len(v)))
    cases = []
    for op in sorted(spec.type.operators):
        if op == "is_null":
            cases.append((op, None, {len(v)}))
        elif op == "is_not_null":
            cases.append((op, None, everyone))
        elif key == "multi_picklist":
            cases += {
                "contains": [(op, "Bronze", {1, 2})],
                "in": [(op, ["gold", "silver"], {0, 1})],
                "not_in": [(op, ["gold"], {1, 2})],
            }[op]
        elif op == "=":
            cases.append((op, v[1], {1}))
        elif op == "!=":
            cases.append((op, v[1], everyone - {1}))
        elif op == "in":
            cases.append((op, [v[0], v[-1]], {0, len(v) - 1}))
        elif op == "not_in":
            cases.append((op, [v[0]], everyone - {0}))
        elif op == ">":
            cases.append((op, v[1], {2}))
        elif op == ">=":
            cases.append((op, v[1], {1, 2}))
        elif op == "<":
            cases.append((op, v[1], {0}))
        elif op == "<=":
            cases.append((op, v[1], {0, 1}))
        elif op == "between":
            cases.append((op, [v[0], v[1]], {0, 1}))
        elif op in operators.TEXT_MATCH:
            cases.append((op, NEEDLES[key][op], {TEXT_HITS[op]}))
        elif op in ("today", "this_week", "this_month"):
            cases.append((op, None, {1}))
        elif op in ("yesterday", "tomorrow", "last_week", "next_week"):
            cases.append((op, None, set()))
        elif op in operators.RELATIVE_DATES - operators.COUNTED_DATES:
            # Months, quarters, years: which of ±40 days fall in depends on
            # today, so the expectation comes from the calendar.
            cases.append((op, None, _in_range(op, None, v)))
        elif op == "in_year":
            cases.append((op, TODAY.year, _in_range(op, TODAY.year, v)))
        elif op == "last_n_days":
            cases.append((op, 45, {0, 1}))
        elif op == "next_n_days":
            cases.append((op, 45, {1, 2}))
        elif op == "in_role_subordinates":
            cases.append((op, "Sales", {1, 2}))
        elif op == "in_group":
            cases.append((op, "Team", {0, 2}))
        else:
            raise AssertionError(f"no case for {key} {op}")
    return cases


def _in_range(op, value, values) -> set[int]:
    from crm.query import dates

    first, after = dates.date_range(op, value, TODAY)
    found = set()
    for i, item in enumerate(values):
        day = timezone.localtime(item).date() if isinstance(item, dt.datetime) else item
        if first <= day < after:
            found.add(i)
    return found


#: A standard column of each field type: (object, field, required data).
COLUMNS = {
    "text": ("account", "name", {}),
    "long_text": ("account", "description", {"name": "A"}),
    "email": ("contact", "email", {"last_name": "L"}),
    "phone": ("account", "phone", {"name": "A"}),
    "url": ("account", "website", {"name": "A"}),
    "number": ("account", "number_of_employees", {"name": "A"}),
    "currency": ("account", "annual_revenue", {"name": "A"}),
    "percent": ("opportunity", "probability", {"name": "O", "close_date": TODAY}),
    "boolean": ("contact", "do_not_call", {"last_name": "L"}),
    "date": ("contact", "birthdate", {"last_name": "L"}),
    "datetime": ("event", "start_at", {"subject": "S"}),
    "picklist": ("account", "industry", {"name": "A"}),
    "lookup": ("contact", "account", {"last_name": "L"}),
    "user": ("account", "owner", {"name": "A"}),
}

CASES = [("column", key) for key in COLUMNS] + [
    (storage, key)
    for storage in ("custom_json", "record_json")
    for key in field_types.CUSTOM_FIELD_TYPES
]


def _setup(ctx, storage: str, key: str, people: dict):
    if storage == "column":
        object_name, field, base = COLUMNS[key]
    else:
        object_name = "account" if storage == "custom_json" else "project"
        if storage == "record_json":
            from crm.metadata import services as metadata

            metadata.create_object(ctx, api_name="project", label="Project")
        add_typed_fields(ctx, object_name)
        field, base = f"cf_{key}", {"name": "A"}
    object_type = registry.get(ctx, object_name)
    spec = object_type.fields[field]
    values = _values(key, people)
    if key == "number" and storage == "column":  # a whole-number column
        values = [Decimal(1), Decimal(20), Decimal(300)]
    if key == "lookup" and storage == "column":
        values = sorted(
            records.create(ctx, "account", data={"name": f"Acc {n}"}).pk
            for n in range(3)
        )
    if key == "picklist" and storage == "column":
        values = ["banking", "finance", "technology"]
    if key == "percent" and storage == "column":
        values = [Decimal("5"), Decimal("12.5"), Decimal("80")]
    ids = []
    for value in [*values, None]:
        data = dict(base)
        if key == "text" and storage == "column" and value is None:
            continue  # account name is required
        if key == "datetime" and storage == "column" and value is None:
            continue  # an event's start is required
        if key == "boolean" and storage == "column" and value is None:
            continue  # a checkbox column is never empty
        data[field] = value
        if key == "user" and storage == "column" and value is None:
            data[field] = None
        record = records.create(ctx, object_name, data=data)
        if key == "user" and storage == "column" and value is None:
            assert record.owner_id is None
        ids.append(record.pk)
    return object_type, spec, values, ids


@pytest.mark.parametrize(("storage", "key"), CASES)
def test_every_operator_selects_the_expected_records(ctx, people, storage, key):
    object_type, spec, values, ids = _setup(ctx, storage, key, people)
    cases = _cases(spec, values, people)
    covered = {op for op, _, _ in cases}
    assert covered == set(spec.type.operators)
    states = {
        record.pk: validation.state_of(object_type, record)
        for record in object_type.queryset(ctx.workspace).filter(pk__in=ids)
    }
    for op, operand, expected in cases:
        if len(ids) == len(values):  # no empty record for this column
            expected = expected - {len(values)}
        want = {ids[i] for i in expected}
        raw = [spec.name, op] if operand is None else [spec.name, op, operand]
        if isinstance(operand, list) and op == "between":
            raw = [spec.name, op, *operand]
        payload = {"filters": [_jsonable(raw)], "fields": ["id"], "limit": 200}
        page = query.page(
            ctx, query.Query.from_json(ctx, object_type.api_name, payload)
        )
        got = {row.pk for row in page.rows} & set(ids)
        assert got == want, (op, operand)
        conditions = filters.parse(object_type, [raw])
        matched = {
            pk
            for pk, state in states.items()
            if evaluate.matches(ctx, conditions, state)
        }
        assert matched == want, ("evaluator", op, operand)


def _jsonable(value):
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "hex") and not isinstance(value, str):
        return str(value)
    return value


def test_every_field_type_operator_is_known_to_the_engine():
    for field_type in field_types.TYPES.values():
        assert field_type.operators <= operators.ALL, field_type.key


@pytest.mark.parametrize(
    ("hubspot", "canonical"),
    [
        ("EQ", "="),
        ("NEQ", "!="),
        ("GT", ">"),
        ("GTE", ">="),
        ("LT", "<"),
        ("LTE", "<="),
        ("CONTAINS_TOKEN", "contains"),
        ("IN", "in"),
        ("NOT_IN", "not_in"),
        ("HAS_PROPERTY", "is_not_null"),
        ("NOT_HAS_PROPERTY", "is_null"),
        ("BETWEEN", "between"),
    ],
)
def test_hubspot_operators_map_onto_objectql(hubspot, canonical):
    assert operators.canonical(hubspot) == canonical


def test_hubspot_filters_select_the_same_records_as_objectql(ctx):
    for n, amount in enumerate([10, 20, 30]):
        records.create(
            ctx,
            "opportunity",
            data={"name": f"Deal {n}", "amount": amount, "close_date": TODAY},
        )
    hubspot = {
        "filterGroups": [
            {
                "filters": [
                    {
                        "propertyName": "amount",
                        "operator": "BETWEEN",
                        "value": "15",
                        "highValue": "25",
                    }
                ]
            },
            {
                "filters": [
                    {"propertyName": "amount", "operator": "IN", "values": ["10"]}
                ]
            },
        ],
        "properties": ["name"],
        "sorts": [{"propertyName": "amount", "direction": "DESCENDING"}],
    }
    page = query.page(ctx, query.Query.from_json(ctx, "opportunity", hubspot))
    assert [row["name"] for row in page.rows] == ["Deal 1", "Deal 0"]


def test_hubspot_dates_in_epoch_milliseconds_are_understood(ctx):
    records.create(ctx, "opportunity", data={"name": "Old", "close_date": "2025-01-01"})
    records.create(ctx, "opportunity", data={"name": "New", "close_date": "2026-06-01"})
    millis = str(int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp() * 1000))
    payload = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "close_date", "operator": "GTE", "value": millis}
                ]
            }
        ]
    }
    page = query.page(ctx, query.Query.from_json(ctx, "opportunity", payload))
    assert [row["name"] for row in page.rows] == ["New"]


def test_current_user_means_the_caller(ctx, member_ctx):
    records.create(ctx, "account", data={"name": "Mine"})
    records.create(member_ctx, "account", data={"name": "Theirs"})
    payload = {"filters": [["OwnerId", "=", "$currentUser"]], "fields": ["name"]}
    assert [
        r["name"]
        for r in query.page(
            member_ctx, query.Query.from_json(member_ctx, "account", payload)
        ).rows
    ] == ["Theirs"]
    assert [
        r["name"]
        for r in query.page(ctx, query.Query.from_json(ctx, "account", payload)).rows
    ] == ["Mine"]


def test_current_user_of_a_system_context_matches_nobody(ctx):
    from accounts.access import system_context

    records.create(ctx, "account", data={"name": "Mine"})
    system = system_context(ctx.workspace)
    payload = {"filters": [["owner", "=", "$currentUser"]]}
    assert (
        query.page(system, query.Query.from_json(system, "account", payload)).rows == []
    )


def test_a_profile_without_read_sees_no_object(member_ctx):
    assert not member_ctx.can("secret", Action.READ)
