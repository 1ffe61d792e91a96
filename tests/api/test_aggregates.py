"""Figures: ``POST {objects}/aggregate``, ``GET {objects}/count``, ``GET
{objects}/sum/{field}``, ``GET {objects}/avg/{field}``, ``POST
{objects}/groupby``."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.api.conftest import ApiClient, pat

#: Per object: its number field and picklist, and three records' values.
SEEDS = {
    "accounts": ("annual_revenue", "industry", ["technology", "finance", "technology"]),
    "projects": ("budget", "phase", ["plan", "build", "plan"]),
}


def _q(value) -> str:
    return quote(json.dumps(value))


@pytest.fixture
def seeded(api, objects):
    number, picklist, values = SEEDS[objects]
    for n, value in enumerate(values):
        body = {"name": f"Rec {n}", number: 100.5 * (n + 1), picklist: value}
        assert api.post(f"/api/v1/{objects}", body).status_code == 201
    api.post(f"/api/v1/{objects}", {"name": "Empty"})
    return objects


def test_count_with_and_without_filters(api, objects, seeded):
    _, picklist, values = SEEDS[objects]
    assert api.get(f"/api/v1/{objects}/count").json() == {"count": 4}
    only = _q([[picklist, "=", values[0]]])
    assert api.get(f"/api/v1/{objects}/count?filters={only}").json() == {"count": 2}
    groups = _q([[[picklist, "=", values[1]]], [["name", "=", "Empty"]]])
    answer = api.get(f"/api/v1/{objects}/count?filter_groups={groups}")
    assert answer.json() == {"count": 2}


def test_sum_and_average_of_a_number_field(api, objects, seeded):
    number, picklist, values = SEEDS[objects]
    spelled = "AnnualRevenue" if objects == "accounts" else "Budget"
    assert api.get(f"/api/v1/{objects}/sum/{spelled}").json() == {
        "sum": 603,
        "count": 4,
    }
    only = _q([[picklist, "=", values[0]]])
    assert api.get(f"/api/v1/{objects}/sum/{number}?filters={only}").json() == {
        "sum": 402,
        "count": 2,
    }
    assert api.get(f"/api/v1/{objects}/avg/{number}").json() == {
        "average": 201,
        "count": 4,
    }
    assert api.get(f"/api/v1/{objects}/avg/{number}?filters={only}").json() == {
        "average": 201,
        "count": 2,
    }
    none = _q([["name", "=", "Nobody"]])
    assert api.get(f"/api/v1/{objects}/avg/{number}?filters={none}").json() == {
        "average": None,
        "count": 0,
    }
    assert api.get(f"/api/v1/{objects}/sum/{number}?filters={none}").json() == {
        "sum": 0,
        "count": 0,
    }


@pytest.mark.parametrize(
    ("path", "field", "message"),
    [
        ("sum/name", "name", "'sum' needs a number field; name is not."),
        ("avg/shoe_size", "shoe_size", "Account has no field 'shoe_size'."),
        ("count?filters=[1]", None, "A filter is [field, operator, value]; got 1."),
        ("count?filter_groups={", "filter_groups", None),
    ],
)
def test_bad_figures_are_400(api, path, field, message):
    answer = api.get(f"/api/v1/accounts/{path}")
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("validation_failed", field)
    if message:
        assert error["message"] == message


def test_the_first_documents_aggregate_example(api, ctx, member):
    rep = f"usr_{member.pk.hex}"
    for name, owner, amount, close, stage in (
        ("A", None, 100_000, "2026-01-10", "closed_won"),
        ("B", None, 50_000, "2026-01-20", "closed_won"),
        ("C", None, 30_000, "2026-02-05", "closed_won"),
        ("D", rep, 70_000, "2026-01-15", "closed_won"),
        ("E", rep, 99_000, "2026-01-15", "proposal"),
        ("F", rep, 11_000, "2025-12-31", "closed_won"),
    ):
        body = {"name": name, "amount": amount, "close_date": close, "stage": stage}
        if owner:
            body["owner"] = owner
        assert api.post("/api/v1/opportunities", body).status_code == 201
    answer = api.post(
        "/api/v1/opportunities/aggregate",
        {
            "filters": [["stage", "=", "closed_won"], ["close_date", "in_year", 2026]],
            "group_by": ["owner", "month(close_date)"],
            "metrics": [
                {"field": "amount", "op": "sum", "as": "total_bookings"},
                {"field": "amount", "op": "avg", "as": "avg_deal_size"},
                {"field": "id", "op": "count", "as": "deal_count"},
            ],
            "sort": ["-total_bookings"],
        },
    )
    assert answer.status_code == 200, answer.content
    me = f"usr_{ctx.user.pk.hex}"
    assert answer.json() == {
        "results": [
            {
                "owner": me,
                "month(close_date)": "2026-01",
                "total_bookings": 150000,
                "avg_deal_size": 75000,
                "deal_count": 2,
            },
            {
                "owner": rep,
                "month(close_date)": "2026-01",
                "total_bookings": 70000,
                "avg_deal_size": 70000,
                "deal_count": 1,
            },
            {
                "owner": me,
                "month(close_date)": "2026-02",
                "total_bookings": 30000,
                "avg_deal_size": 30000,
                "deal_count": 1,
            },
        ],
        "has_more": False,
    }


def test_aggregate_groups_a_custom_object_by_picklist_and_lookup(api, project):
    acme = api.post("/api/v1/accounts", {"name": "Acme"}).json()
    for phase, budget, account in (
        ("plan", 10, acme["id"]),
        ("plan", 20, None),
        ("run", 5, acme["id"]),
    ):
        api.post(
            "/api/v1/projects",
            {"name": "P", "phase": phase, "budget": budget, "account": account},
        )
    answer = api.post(
        "/api/v1/projects/aggregate",
        {
            "group_by": ["phase", "account"],
            "metrics": [{"field": "budget", "op": "max", "as": "top"}],
        },
    )
    assert answer.json()["results"] == [
        {"phase": "plan", "account": acme["id"], "top": 10},
        {"phase": "plan", "account": None, "top": 20},
        {"phase": "run", "account": acme["id"], "top": 5},
    ]


def test_groupby_in_the_second_documents_shape(api, objects, seeded):
    number, picklist, values = SEEDS[objects]
    answer = api.post(
        f"/api/v1/{objects}/groupby",
        {
            "groupBy": picklist.title(),
            "aggregations": {
                "count": {"function": "COUNT", "field": "Id"},
                "totalAmount": {"function": "SUM", "field": number},
                "avgAmount": {"function": "AVG", "field": number},
            },
            "filters": [["name", "!=", "Empty"]],
        },
    )
    assert answer.status_code == 200, answer.content
    first, second = sorted({values[0], values[1]})
    by_value = {
        values[0]: {"count": 2, "totalAmount": 402, "avgAmount": 201},
        values[1]: {"count": 1, "totalAmount": 201, "avgAmount": 201},
    }
    assert answer.json() == {
        "groups": [
            {picklist: first, **by_value[first]},
            {picklist: second, **by_value[second]},
        ],
        "has_more": False,
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"group_by": ["shoe_size"]}, "shoe_size", "Account has no field 'shoe_size'."),
        (
            {"group_by": ["month(name)"]},
            "name",
            "name is not a date; month() needs one.",
        ),
        (
            {"metrics": [{"field": "amount", "op": "median"}]},
            "metrics",
            "'median' is not a metric; use one of "
            "['avg', 'count', 'count_distinct', 'max', 'min', 'sum'].",
        ),
        ({"nonsense": 1}, None, "Unknown aggregate key 'nonsense'."),
        ({"object": "contact"}, "object", "The body names Contact, the URL Account."),
        ({"object": 7}, "object", "'object' is the name of an object, as text."),
    ],
)
def test_bad_aggregates_are_400(api, body, field, message):
    answer = api.post("/api/v1/accounts/aggregate", body)
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert (error["code"], error["field"], error["message"]) == (
        "validation_failed",
        field,
        message,
    )


def test_figures_count_only_the_callers_workspace(api, other_api, objects, seeded):
    number, _, _ = SEEDS[objects]
    urls = ["count", f"sum/{number}", f"avg/{number}"]
    if objects == "projects":
        for url in urls:
            assert other_api.get(f"/api/v1/{objects}/{url}").status_code == 404
        assert other_api.post(f"/api/v1/{objects}/aggregate", {}).status_code == 404
        return
    assert other_api.get("/api/v1/accounts/count").json() == {"count": 0}
    assert other_api.get(f"/api/v1/accounts/sum/{number}").json() == {
        "sum": 0,
        "count": 0,
    }
    assert other_api.post("/api/v1/accounts/aggregate", {}).json() == {
        "results": [{"count": 0}],
        "has_more": False,
    }


def test_a_read_only_token_may_compute_figures(ctx, objects, seeded):
    reader = ApiClient(pat(ctx, scopes=["read:crm"]))
    assert reader.get(f"/api/v1/{objects}/count").json() == {"count": 4}
    groups = reader.post(f"/api/v1/{objects}/groupby", {"groupBy": "name"})
    assert len(groups.json()["groups"]) == 4


def test_an_admin_may_explain_an_aggregate(api, objects, seeded):
    _, picklist, _ = SEEDS[objects]
    body = {"group_by": [picklist], "metrics": [{"op": "count", "as": "n"}]}
    plain = api.post(f"/api/v1/{objects}/aggregate", body).json()
    answer = api.post(f"/api/v1/{objects}/aggregate", {**body, "explain": True})
    assert answer.status_code == 200, answer.content
    found = answer.json()
    assert (found["results"], found["has_more"]) == (plain["results"], False)
    assert "explain" not in plain
    assert found["explain"]["source"] == "records"
    table = "crm_account" if objects == "accounts" else "crm_customrecord"
    assert table in found["explain"]["sql"]
    assert found["explain"]["plan"]
    grouped = api.post(
        f"/api/v1/{objects}/groupby", {"groupBy": picklist, "explain": True}
    ).json()
    assert grouped["explain"]["source"] == "records"


def test_explain_tells_when_the_pipeline_totals_answer(api):
    for name, stage in (("A", "proposal"), ("B", "proposal"), ("C", "closed_won")):
        body = {"name": name, "close_date": "2026-06-30", "stage": stage}
        assert api.post("/api/v1/opportunities", body).status_code == 201
    answer = api.post(
        "/api/v1/opportunities/aggregate",
        {
            "group_by": ["stage"],
            "metrics": [{"op": "count", "as": "n"}],
            "explain": True,
        },
    ).json()
    assert answer["results"] == [
        {"stage": "closed_won", "n": 1},
        {"stage": "proposal", "n": 2},
    ]
    assert answer["explain"]["source"] == "stage_totals"
    assert "crm_stagetotal" in answer["explain"]["sql"]


def test_explaining_an_aggregate_is_for_admins(member_api):
    answer = member_api.post(
        "/api/v1/opportunities/aggregate", {"group_by": ["stage"], "explain": True}
    )
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert (error["code"], error["message"]) == (
        "permission_denied",
        "Only admins may explain queries.",
    )
    plain = member_api.post("/api/v1/opportunities/aggregate", {"group_by": ["stage"]})
    assert plain.status_code == 200
