"""``POST /api/v1/{objects}/query`` (ObjectQL) and ``POST /api/v1/query`` (the
second document's query with ``object`` and ``related``)."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient, pat

NUMBER = {"accounts": "annual_revenue", "projects": "budget"}


@pytest.fixture
def deals(api):
    """Acme with two contacts and four opportunities, one with a line item."""
    acme = api.post("/api/v1/accounts", {"name": "Acme", "Industry": "Technology"})
    acme = acme.json()
    contacts = [
        api.post(
            "/api/v1/contacts", {"LastName": name, "AccountId": acme["id"]}
        ).json()["id"]
        for name in ("Doe", "Roe")
    ]
    made = {}
    for name, stage, amount, close in (
        ("Small", "proposal", 50_000, "2026-02-01"),
        ("Big", "negotiation", 250_000, "2026-03-15"),
        ("Bigger", "proposal", 400_000, "2026-03-31"),
        ("Late", "proposal", 900_000, "2026-04-01"),
    ):
        answer = api.post(
            "/api/v1/opportunities",
            {
                "Name": name,
                "AccountId": acme["id"],
                "Stage": stage,
                "Amount": amount,
                "CloseDate": close,
            },
        )
        assert answer.status_code == 201, answer.content
        made[name] = answer.json()
    product = api.post("/api/v1/products", {"name": "Seat"}).json()
    item = api.post(
        "/api/v1/opportunity_line_items",
        {
            "opportunity": made["Big"]["id"],
            "product": product["id"],
            "unit_price": 1000,
            "quantity": 3,
        },
    )
    assert item.status_code == 201, item.content
    return {"acme": acme, "contacts": contacts, "deals": made, "item": item.json()}


def test_the_first_documents_objectql_example(api, ctx, deals):
    answer = api.post(
        "/api/v1/opportunities/query",
        {
            "filters": [
                ["stage", "in", ["proposal", "negotiation"]],
                ["amount", ">", 100000],
                ["close_date", "between", "2026-01-01", "2026-03-31"],
            ],
            "sort": [{"field": "amount", "direction": "desc"}],
            "limit": 200,
            "fields": ["id", "name", "amount", "stage", "account.name", "owner.name"],
            "expand": ["crm_account", "owner", "crm_opportunity_line_item"],
        },
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["next_cursor"], body["has_more"]) == (None, False)
    assert [r["name"] for r in body["results"]] == ["Bigger", "Big"]
    big = body["results"][1]
    inlined = ("account", "opportunity_line_items")
    assert {k: v for k, v in big.items() if k not in inlined} == {
        "id": deals["deals"]["Big"]["id"],
        "name": "Big",
        "amount": 250000,
        "stage": "negotiation",
        "account.name": "Acme",
        "owner.name": "Olivia Owner",
        "owner": {
            "id": f"usr_{ctx.user.pk.hex}",
            "name": "Olivia Owner",
            "email": "owner@example.com",
        },
    }
    assert big["account"]["id"] == deals["acme"]["id"]
    assert big["account"]["industry"] == "technology"
    assert [i["id"] for i in big["opportunity_line_items"]] == [deals["item"]["id"]]
    assert big["opportunity_line_items"][0]["total_price"] == 3000


def test_filter_groups_or_their_conditions(api, deals):
    answer = api.post(
        "/api/v1/opportunities/query",
        {
            "filter_groups": [
                [["name", "=", "Small"]],
                [["amount", ">=", 400000], ["stage", "=", "proposal"]],
            ],
            "sort": "name",
            "fields": ["name"],
        },
    )
    assert [r["name"] for r in answer.json()["results"]] == ["Bigger", "Late", "Small"]


def test_query_pages_by_cursor_and_by_offset(api, objects):
    number = NUMBER[objects]
    made = [
        api.post(f"/api/v1/{objects}", {"name": f"R{n}", number: n}).json()
        for n in range(3)
    ]
    body = {"sort": [[number, "asc"]], "fields": ["name"], "limit": 2}
    first = api.post(f"/api/v1/{objects}/query", body).json()
    assert [r["id"] for r in first["results"]] == [made[0]["id"], made[1]["id"]]
    rest = api.post(
        f"/api/v1/{objects}/query", {**body, "cursor": first["next_cursor"]}
    ).json()
    assert rest == {
        "results": [{"id": made[2]["id"], "name": "R2"}],
        "next_cursor": None,
        "has_more": False,
    }
    offset = api.post(f"/api/v1/{objects}/query", {**body, "offset": 2}).json()
    assert offset == {
        "records": [{"id": made[2]["id"], "name": "R2"}],
        "totalCount": 3,
        "hasMore": False,
        "limit": 2,
        "offset": 2,
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ([1], None, "Send the query as a JSON object."),
        ({"where_ever": 1}, "where_ever", "Unknown query key 'where_ever'."),
        ({"limit": 500}, "limit", "'limit' must be a whole number from 1 to 200."),
        ({"cursor": 5}, "cursor", "The cursor is the text of a previous next_cursor."),
        ({"object": 5}, "object", "'object' is the name of an object, as text."),
        ({"object": "contact"}, "object", "The body names Contact, the URL Account."),
        (
            {"expand": ["name"]},
            "name",
            "Account name is not a lookup; it cannot be expanded.",
        ),
        (
            {"filters": [["name"]]},
            None,
            "A filter is [field, operator, value]; got ['name'].",
        ),
    ],
)
def test_bad_query_bodies_are_400(api, body, field, message):
    answer = api.post("/api/v1/accounts/query", body)
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert (error["code"], error["field"], error["message"]) == (
        "validation_failed",
        field,
        message,
    )


def test_the_second_documents_query_with_related_lists(api, deals):
    answer = api.post(
        "/api/v1/query",
        {
            "object": "Account",
            "fields": ["Name", "Industry"],
            "filters": [["Industry", "=", "Technology"]],
            "related": {
                "Opportunities": {
                    "fields": ["Name", "Amount", "Stage"],
                    "filters": [["IsClosed", "=", False]],
                    "sort": [["Amount", "desc"]],
                    "limit": 2,
                },
                "Contacts": {"fields": ["LastName"], "sort": "LastName"},
            },
        },
    )
    assert answer.status_code == 200, answer.content
    deal = deals["deals"]
    assert answer.json() == {
        "records": [
            {
                "id": deals["acme"]["id"],
                "name": "Acme",
                "industry": "technology",
                "opportunities": [
                    {
                        "id": deal["Late"]["id"],
                        "name": "Late",
                        "amount": 900000,
                        "stage": "proposal",
                    },
                    {
                        "id": deal["Bigger"]["id"],
                        "name": "Bigger",
                        "amount": 400000,
                        "stage": "proposal",
                    },
                ],
                "contacts": [
                    {"id": deals["contacts"][0], "last_name": "Doe"},
                    {"id": deals["contacts"][1], "last_name": "Roe"},
                ],
            }
        ],
        "totalCount": 1,
        "hasMore": False,
        "next_cursor": None,
    }


def test_the_global_query_counts_every_match_and_pages_on(api, project):
    for n in range(3):
        api.post("/api/v1/projects", {"name": f"P{n}", "budget": n})
    answer = api.post(
        "/api/v1/query",
        {"object": "Project", "fields": ["Name"], "sort": "budget", "limit": 2},
    ).json()
    assert [r["name"] for r in answer["records"]] == ["P0", "P1"]
    assert (answer["totalCount"], answer["hasMore"]) == (3, True)
    more = api.post(
        "/api/v1/query",
        {
            "object": "Project",
            "fields": ["Name"],
            "sort": "budget",
            "limit": 2,
            "cursor": answer["next_cursor"],
        },
    ).json()
    assert [r["name"] for r in more["records"]] == ["P2"]
    assert (more["totalCount"], more["hasMore"]) == (3, False)


def test_the_global_query_needs_an_object(api):
    for body in ({}, {"object": ""}, {"object": ["Account"]}):
        error = api.post("/api/v1/query", body).json()["error"]
        assert (error["code"], error["field"]) == ("validation_failed", "object")
    missing = api.post("/api/v1/query", {"object": "Unicorn"})
    assert missing.status_code == 404


def test_queries_see_only_the_callers_workspace(api, other_api, objects):
    made = api.post(f"/api/v1/{objects}", {"name": "Mine"}).json()
    by_id = {"filters": [["id", "=", made["id"]]]}
    if objects == "projects":
        assert other_api.post(f"/api/v1/{objects}/query", by_id).status_code == 404
        assert other_api.post("/api/v1/query", {"object": "project"}).status_code == 404
        return
    assert other_api.post("/api/v1/accounts/query", by_id).json()["results"] == []
    answer = other_api.post("/api/v1/query", {"object": "Account", **by_id}).json()
    assert (answer["records"], answer["totalCount"]) == ([], 0)


def test_explain_is_for_admins(api, member_ctx):
    plan = api.post("/api/v1/accounts/query", {"explain": True}).json()
    assert "crm_account" in plan["explain"]["sql"]
    member = ApiClient(pat(member_ctx))
    refused = member.post("/api/v1/accounts/query", {"explain": True})
    assert refused.status_code == 403
