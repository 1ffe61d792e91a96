"""The query model: what it accepts, and errors that name what is wrong."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.http import QueryDict

from accounts import errors
from crm import query, records
from crm.metadata import registry
from crm.metadata import services as metadata
from crm.query import ListQuery, Query, evaluate, filters


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"filters": [["amont", ">", 1]]}, "amont", "has no field 'amont'"),
        ({"filters": [["amount", "~", 1]]}, "amount", "'~' is not an operator"),
        (
            {"filters": [["amount", "contains", "1"]]},
            "amount",
            "does not apply to amount",
        ),
        ({"filters": [["amount", ">", "lots"]]}, "amount", "Enter a number"),
        ({"filters": [["close_date", ">", "soon"]]}, "close_date", "YYYY-MM-DD"),
        ({"filters": [["stage", "=", "won-ish"]]}, "stage", "not a valid choice"),
        ({"filters": [["stage", "in", []]]}, "stage", "non-empty list"),
        ({"filters": [["amount", "between", 1]]}, "amount", "two values"),
        ({"filters": [["amount", "is_null", 1]]}, "amount", "takes no value"),
        (
            {"filters": [["close_date", "last_n_days", "x"]]},
            "close_date",
            "whole number",
        ),
        ({"filters": [["name", "=", "$currentUser"]]}, "name", "only applies to user"),
        ({"filters": [["owner", "in_group", "Nobody"]]}, "owner", "No group 'Nobody'"),
        (
            {"filters": [["owner", "in_role_subordinates", 999]]},
            "owner",
            "No role '999'",
        ),
        ({"filters": "stage = won"}, None, "list of"),
        ({"sort": [{"field": "amount", "direction": "up"}]}, "sort", "not asc or desc"),
        ({"sort": "description"}, "description", "cannot be sorted"),
        ({"fields": ["name", "nope"]}, "nope", "no field 'nope'"),
        ({"limit": 0}, "limit", "from 1 to 200"),
        ({"offset": -1}, "offset", "0 or more"),
        ({"colour": "blue"}, "colour", "Unknown query key 'colour'"),
        ({"filterGroups": [{"filters": [{"operator": "EQ"}]}]}, None, "needs a field"),
        (
            {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": "amount", "operator": "NOPE", "value": 1}
                        ]
                    }
                ]
            },
            "amount",
            "'NOPE' is not an operator",
        ),
        ({"object": "account"}, "object", "URL Opportunity"),
        ({"object": 5}, "object", "'object' is the name of an object, as text."),
        ({"object": ["opportunity"]}, "object", "as text"),
        # Unicode digits pass str.isdigit(); int() refuses or misreads them.
        ({"limit": "²"}, "limit", "from 1 to 200"),
        ({"limit": "٣"}, "limit", "from 1 to 200"),
        ({"offset": "²"}, "offset", "0 or more"),
        ({"offset": 1_000_001}, "offset", "at most 1,000,000; page further"),
        ({"offset": 2**63}, "offset", "at most 1,000,000; page further"),
        ({"offset": str(2**63)}, "offset", "at most 1,000,000; page further"),
        (
            {"filters": [["close_date", "last_n_days", "²"]]},
            "close_date",
            "needs a whole number",
        ),
        ({"filters": [["close_date", "in_year", "²"]]}, "close_date", "whole number"),
        (
            {"filters": [["amount", ">", 1e30]]},
            "amount",
            "too large: at most 16 digits before the decimal point",
        ),
        ({"filters": [["amount", "in", [1, 1e308]]]}, "amount", "too large"),
        (
            {"filters": [["close_date", "=", 10**20]]},
            "close_date",
            "outside the years 1 to 9999",
        ),
        (
            {"filters": [["close_date", ">", -(10**20)]]},
            "close_date",
            "outside the years 1 to 9999",
        ),
        (
            {"filters": [["close_date", "=", str(10**20)]]},
            "close_date",
            "outside the years 1 to 9999",
        ),
        ({"sort": ","}, "sort", "an entry is empty"),
        ({"sort": "amount,,name"}, "sort", "an entry is empty"),
        ({"sort": "--amount"}, "sort", "Cannot read the sort entry '--amount'"),
        ({"sort": ["+-amount"]}, "sort", "Cannot read the sort entry '[+]-amount'"),
    ],
)
def test_a_bad_query_names_what_is_wrong(ctx, payload, field, message):
    with pytest.raises(errors.ValidationFailed, match=message) as info:
        query.page(ctx, Query.from_json(ctx, "opportunity", payload))
    assert info.value.code == "validation_failed"
    assert info.value.field == field


def test_a_custom_number_filter_is_held_to_what_json_keeps(ctx):
    metadata.create_field(ctx, "account", name="arr", label="ARR", type="number")
    ok = Query.from_json(ctx, "account", {"filters": [["arr", ">", 9999999999999.99]]})
    assert ok.where[0][0].value == Decimal("9999999999999.99")
    with pytest.raises(errors.ValidationFailed, match="at most 13 digits") as info:
        Query.from_json(ctx, "account", {"filters": [["arr", ">", 1e13]]})
    assert info.value.field == "arr"


def test_epoch_milliseconds_in_range_still_mean_a_date(ctx):
    q = Query.from_json(ctx, "opportunity", {"filters": [["close_date", "=", 10**12]]})
    assert q.where[0][0].value == dt.date(2001, 9, 9)


def test_a_sign_before_a_sort_field_is_read_once(ctx):
    q = Query.from_json(ctx, "opportunity", {"sort": " -amount, +name"})
    assert [(s.path.name, s.descending) for s in q.sort] == [
        ("amount", True),
        ("name", False),
    ]


def test_names_are_matched_in_any_documented_spelling(ctx):
    q = Query.from_json(
        ctx,
        "Opportunity",
        {
            "fields": ["Name", "Amount", "Stage", "CloseDate", "Account.Name"],
            "filters": [["Stage", "!=", "Closed Lost"], ["CloseDate", "this_quarter"]],
            "sort": [["Amount", "desc"]],
        },
    )
    assert q.field_names == ("name", "amount", "stage", "close_date", "account.name")
    assert [(c.spec.name, c.op, c.value) for c in q.where[0]] == [
        ("stage", "!=", "closed_lost"),
        ("close_date", "this_quarter", None),
    ]
    assert [(s.path.name, s.descending) for s in q.sort] == [("amount", True)]


def test_equality_with_null_means_is_null(ctx):
    q = Query.from_json(
        ctx, "opportunity", {"filters": [["amount", "=", None], ["name", "!=", " "]]}
    )
    assert [c.op for c in q.where[0]] == ["is_null", "is_not_null"]


def test_a_list_query_reads_url_parameters(ctx):
    records.create(ctx, "account", data={"name": "Acme", "industry": "technology"})
    records.create(ctx, "account", data={"name": "Beta", "industry": "finance"})
    params = QueryDict(mutable=True)
    params.update(
        {
            "filters": '[["Industry","in",["Technology","Finance"]]]',
            "sort": "-name",
            "fields": "Name,Industry",
            "limit": "1",
            "page_size_ui": "ignored",
        }
    )
    page = query.page(ctx, ListQuery.from_querydict(ctx, "accounts", params))
    assert [row["name"] for row in page.rows] == ["Beta"]
    assert page.has_more
    params["filters"] = "not json"
    with pytest.raises(errors.ValidationFailed, match="must be JSON"):
        ListQuery.from_querydict(ctx, "accounts", params)


def test_like_and_between_in_the_documented_forms(ctx):
    records.create(ctx, "account", data={"name": "Acme Corp"})
    records.create(ctx, "account", data={"name": "Initech"})
    rows = query.page(
        ctx, Query.from_json(ctx, "accounts", {"filters": [["Name", "like", "%Corp%"]]})
    ).rows
    assert [r["name"] for r in rows] == ["Acme Corp"]
    records.create(ctx, "opportunity", data={"name": "Q1", "close_date": "2026-02-01"})
    records.create(ctx, "opportunity", data={"name": "Q4", "close_date": "2026-11-01"})
    for between in (
        ["CloseDate", "between", ["2026-01-01", "2026-03-31"]],
        ["close_date", "between", "2026-01-01", "2026-03-31"],
    ):
        rows = query.page(
            ctx, Query.from_json(ctx, "opportunities", {"filters": [between]})
        ).rows
        assert [r["name"] for r in rows] == ["Q1"]


def test_a_stored_rule_cannot_use_a_path(ctx):
    opportunity = registry.get(ctx, "opportunity")
    with pytest.raises(errors.ValidationFailed, match=r"has no field 'account\.name'"):
        filters.parse(opportunity, [["account.name", "=", "Acme"]])


def test_the_evaluator_keeps_the_validation_rule_signature(ctx):
    opportunity = registry.get(ctx, "opportunity")
    conditions = filters.parse(
        opportunity, [["stage", "=", "negotiation"], ["amount", "is_null"]]
    )
    state = {"stage": "negotiation", "amount": None, "close_date": dt.date(2026, 1, 1)}
    assert evaluate.matches(ctx, conditions, state) is True
    assert evaluate.matches(ctx, conditions, dict(state, stage="proposal")) is False


def test_a_validation_rule_refuses_a_matching_write(ctx):
    from crm.metadata import services as metadata

    metadata.create_validation_rule(
        ctx,
        "opportunity",
        name="Amount in negotiation",
        condition=[["stage", "=", "negotiation"], ["amount", "is_null"]],
        error_message="Amount is required when moving to Negotiation",
        error_field="amount",
    )
    with pytest.raises(errors.ValidationFailed, match="Amount is required") as info:
        records.create(
            ctx,
            "opportunity",
            data={"name": "X", "close_date": "2026-01-01", "stage": "negotiation"},
        )
    assert info.value.field == "amount"


def test_a_body_may_name_the_object_of_its_url(ctx):
    found = Query.from_json(ctx, "opportunities", {"object": "crm_opportunity"})
    assert found.object_type.api_name == "opportunity"


@pytest.mark.parametrize("name", [5, None, 2.5, ["account"], {"a": 1}])
def test_the_registry_finds_nothing_for_a_name_that_is_not_text(ctx, name):
    from crm.metadata import registry

    assert registry.for_workspace(ctx.workspace).find(name) is None


@pytest.mark.parametrize("ref", ["²", "99999999999999999999", "0"])
def test_an_unknown_role_or_group_reference_is_400_naming_the_field(ctx, ref):
    for op in ("in_role_subordinates", "in_group"):
        value = [ref] if op == "in_group" else ref
        q = Query.from_json(ctx, "opportunity", {"filters": [["owner", op, value]]})
        with pytest.raises(errors.ValidationFailed) as info:
            query.page(ctx, q)
        assert info.value.field == "owner"
