"""``GET /api/v1/{objects}``: fields, filters, sort, cursor and offset pages,
for a standard and a custom object."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from crm.models import Account, CustomRecord
from tests.api.conftest import ApiClient, pat

#: Per object: (number field as the API names it, a picklist field and its
#: values for the three seeded records).
SEEDS = {
    "accounts": ("annual_revenue", "industry", ["technology", "finance", "technology"]),
    "projects": ("budget", "phase", ["plan", "build", "plan"]),
}


def _q(value) -> str:
    return quote(json.dumps(value))


@pytest.fixture
def seeded(api, objects):
    """Three records (100, 200, 300), created oldest first; their bodies."""
    number, picklist, values = SEEDS[objects]
    made = []
    for n, value in enumerate(values):
        body = {"name": f"Rec {n}", number: 100 * (n + 1), picklist: value}
        answer = api.post(f"/api/v1/{objects}", body)
        assert answer.status_code == 201, answer.content
        made.append(answer.json())
    return made


def test_the_default_list_is_a_cursor_page_of_every_field_newest_first(
    api, objects, seeded
):
    answer = api.get(f"/api/v1/{objects}")
    assert answer.status_code == 200
    assert answer.json() == {
        "results": list(reversed(seeded)),
        "next_cursor": None,
        "has_more": False,
    }


def test_fields_filters_and_sort_shape_the_page(api, objects, seeded):
    number, picklist, values = SEEDS[objects]
    filters = [[number, ">", 100], [picklist, "in", [values[0]]]]
    answer = api.get(
        f"/api/v1/{objects}?fields=Name,{number},owner&filters={_q(filters)}"
        f"&sort=-{number}"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["results"] == [
        {
            "id": seeded[2]["id"],
            "name": "Rec 2",
            number: 300,
            "owner_id": seeded[2]["owner_id"],
        }
    ]


def test_sort_takes_a_comma_list_with_directions(api, objects, seeded):
    _, picklist, _ = SEEDS[objects]
    answer = api.get(f"/api/v1/{objects}?fields=name&sort={picklist},-name")
    names = [row["name"] for row in answer.json()["results"]]
    # build/finance first, then the two plan/technology records by name desc.
    assert names == ["Rec 1", "Rec 2", "Rec 0"]


def test_cursor_pages_walk_every_record_once(api, objects, seeded):
    number, _, _ = SEEDS[objects]
    url = f"/api/v1/{objects}?fields=name&sort={number}&limit=2"
    first = api.get(url).json()
    assert [r["name"] for r in first["results"]] == ["Rec 0", "Rec 1"]
    assert first["has_more"] is True
    second = api.get(f"{url}&cursor={quote(first['next_cursor'])}").json()
    assert second == {
        "results": [{"id": seeded[2]["id"], "name": "Rec 2"}],
        "next_cursor": None,
        "has_more": False,
    }


def test_offset_pages_have_the_second_documents_shape(api, objects, seeded):
    number, _, _ = SEEDS[objects]
    answer = api.get(f"/api/v1/{objects}?fields=name&sort={number}&limit=1&offset=1")
    assert answer.json() == {
        "records": [{"id": seeded[1]["id"], "name": "Rec 1"}],
        "totalCount": 3,
        "hasMore": True,
        "limit": 1,
        "offset": 1,
    }
    default = api.get(f"/api/v1/{objects}?fields=name&offset=0").json()
    assert (default["limit"], default["totalCount"], default["hasMore"]) == (
        50,
        3,
        False,
    )


def test_dot_paths_and_expansions_come_through_lookups(api, project):
    account = api.post("/api/v1/accounts", {"name": "Parent"}).json()
    child = api.post("/api/v1/projects", {"name": "Child", "account": account["id"]})
    child = child.json()
    answer = api.get(
        "/api/v1/projects?fields=name,Account.Name,account&expand="
        + _q([{"name": "account", "fields": ["name"]}])
    )
    assert answer.json()["results"] == [
        {
            "id": child["id"],
            "name": "Child",
            "account.name": "Parent",
            "account_id": account["id"],
            "account": {"id": account["id"], "name": "Parent"},
        }
    ]
    children = api.get("/api/v1/accounts?fields=name&expand=projects").json()
    assert children["results"][0]["projects"][0]["id"] == child["id"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("limit=0", "limit", "'limit' must be a whole number from 1 to 200."),
        ("limit=201", "limit", "'limit' must be a whole number from 1 to 200."),
        ("limit=ten", "limit", "'limit' must be a whole number from 1 to 200."),
        ("offset=-1", "offset", "'offset' must be a whole number, 0 or more."),
        (
            "cursor=bm90LWEtY3Vyc29y",
            "cursor",
            "The cursor is not valid: pass back next_cursor exactly as it was "
            "returned.",
        ),
        (
            "filters=[[",
            "filters",
            '\'filters\' must be JSON, e.g. filters=[["name","=","Acme"]].',
        ),
        (
            "filters=" + _q([["shoe_size", "=", 9]]),
            "shoe_size",
            "Account has no field 'shoe_size'.",
        ),
        (
            "filters=" + _q([["name", "~", "A"]]),
            "name",
            "'~' is not an operator (filter on name).",
        ),
        (
            "filters=" + _q([["annual_revenue", ">", "lots"]]),
            "annual_revenue",
            "Bad value for annual_revenue: Enter a number.",
        ),
        ("sort=-shoe_size", "shoe_size", "Account has no field 'shoe_size'."),
        ("fields=name,shoe_size", "shoe_size", "Account has no field 'shoe_size'."),
    ],
)
def test_bad_parameters_are_400_naming_the_problem(api, query, field, message):
    answer = api.get(f"/api/v1/accounts?{query}")
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert (error["code"], error["field"], error["message"]) == (
        "validation_failed",
        field,
        message,
    )


OFFSET_TOO_FAR = (
    "'offset' is at most 1,000,000; page further with cursors (next_cursor)."
)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        # Unicode digits pass str.isdigit() but are no number.
        ("limit=²", "limit", "'limit' must be a whole number from 1 to 200."),
        ("limit=٣", "limit", "'limit' must be a whole number from 1 to 200."),
        ("offset=²", "offset", "'offset' must be a whole number, 0 or more."),
        ("offset=1000001", "offset", OFFSET_TOO_FAR),
        (f"offset={2**63}", "offset", OFFSET_TOO_FAR),
        (
            "filters=" + _q([["close_date", "last_n_days", "²"]]),
            "close_date",
            "'last_n_days' on close_date needs a whole number.",
        ),
        (
            "filters=" + _q([["close_date", "in_year", "²"]]),
            "close_date",
            "'in_year' on close_date needs a whole number.",
        ),
        (
            "filters=" + _q([["close_date", "=", "²²²²²²²²²"]]),
            "close_date",
            "Bad value for close_date: Enter a date as YYYY-MM-DD.",
        ),
        (
            "filters=" + _q([["amount", ">", 1e30]]),
            "amount",
            "Bad value for amount: That number is too large: at most 16 digits "
            "before the decimal point.",
        ),
        (
            "filters=" + _q([["close_date", "=", 10**20]]),
            "close_date",
            "Bad value for close_date: 100000000000000000000 epoch milliseconds "
            "is outside the years 1 to 9999.",
        ),
        (
            "sort=,",
            "sort",
            "Sort is a comma-separated list of fields, each with an optional '-' "
            "for descending (-amount,name); an entry is empty.",
        ),
        (
            "sort=amount,",
            "sort",
            "Sort is a comma-separated list of fields, each with an optional '-' "
            "for descending (-amount,name); an entry is empty.",
        ),
        (
            "sort=--name",
            "sort",
            "Cannot read the sort entry '--name': a field with an optional '-' "
            "for descending (-amount).",
        ),
        (
            "sort=-",
            "sort",
            "Cannot read the sort entry '-': a field with an optional '-' for "
            "descending (-amount).",
        ),
    ],
)
def test_inputs_out_of_range_are_400_naming_the_parameter(api, query, field, message):
    answer = api.get(f"/api/v1/opportunities?{query}")
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert sorted(error) == ["code", "details", "field", "message", "request_id"]
    assert (error["code"], error["field"], error["message"]) == (
        "validation_failed",
        field,
        message,
    )


def test_an_offset_up_to_a_million_is_accepted(api, objects, seeded):
    answer = api.get(f"/api/v1/{objects}?offset=1000000")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "records": [],
        "totalCount": 3,
        "hasMore": False,
        "limit": 50,
        "offset": 1_000_000,
    }


@pytest.mark.parametrize("path", ["/api/v1/opportunities/query", "/api/v1/query"])
def test_an_offset_past_a_million_in_a_body_is_400(api, path):
    answer = api.post(path, {"object": "opportunity", "offset": 2**63})
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert (error["code"], error["field"], error["message"]) == (
        "validation_failed",
        "offset",
        OFFSET_TOO_FAR,
    )


def test_a_cursor_is_bound_to_its_filters_and_sort(api, objects, seeded):
    number, _, _ = SEEDS[objects]
    first = api.get(f"/api/v1/{objects}?sort={number}&limit=1").json()
    other = api.get(
        f"/api/v1/{objects}?sort=-{number}&limit=1&cursor={quote(first['next_cursor'])}"
    )
    assert other.status_code == 400
    assert other.json()["error"]["field"] == "cursor"
    both = api.get(
        f"/api/v1/{objects}?sort={number}&offset=1&cursor={quote(first['next_cursor'])}"
    )
    assert both.json()["error"]["message"] == (
        "Use either a cursor or an offset, not both."
    )


@pytest.mark.parametrize("name", ["accounts", "account", "crm_account", "Account"])
def test_lists_name_objects_every_way(api, name):
    made = api.post("/api/v1/accounts", {"name": "Named"}).json()
    assert api.get(f"/api/v1/{name}?fields=name").json()["results"] == [
        {"id": made["id"], "name": "Named"}
    ]


def test_another_workspace_lists_none_of_these_records(api, other_api, objects, seeded):
    if objects == "projects":  # Globex has no such object
        assert other_api.get(f"/api/v1/{objects}").status_code == 404
        return
    assert other_api.get("/api/v1/accounts").json()["results"] == []
    by_id = _q([["id", "=", seeded[0]["id"]]])
    assert other_api.get(f"/api/v1/accounts?filters={by_id}").json() == {
        "results": [],
        "next_cursor": None,
        "has_more": False,
    }
    assert other_api.get("/api/v1/accounts?offset=0").json()["totalCount"] == 0


def test_a_read_only_token_lists_but_does_not_write(ctx, objects, seeded):
    reader = ApiClient(pat(ctx, scopes=["read:crm"]))
    assert len(reader.get(f"/api/v1/{objects}").json()["results"]) == 3
    assert reader.post(f"/api/v1/{objects}/query", {}).status_code == 200
    refused = reader.post(f"/api/v1/{objects}", {"name": "Nope"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    model = Account if objects == "accounts" else CustomRecord
    assert model.objects.count() == 3


def test_a_token_scoped_to_one_object_lists_only_that_object(ctx, project):
    reader = ApiClient(pat(ctx, scopes=["read:project"]))
    assert reader.get("/api/v1/projects").status_code == 200
    assert reader.get("/api/v1/accounts").status_code == 404


def test_a_list_costs_a_fixed_number_of_queries(
    api, objects, seeded, django_assert_num_queries
):
    url = f"/api/v1/{objects}?fields=name,owner.name&expand=owner&limit=200"
    api.get(url)  # warm the registry cache
    # The token with its user, workspace, membership and profile (1), the page
    # (1) and the owners (1): an admin has no grants or sharing to read.
    with django_assert_num_queries(3):
        few = api.get(url)
    for n in range(10):
        api.post(f"/api/v1/{objects}", {"name": f"More {n}"})
    with django_assert_num_queries(3):
        many = api.get(url)
    assert (len(few.json()["results"]), len(many.json()["results"])) == (3, 13)


@pytest.mark.parametrize("access", ["public_read_write", "private"])
def test_a_members_list_costs_a_fixed_number_of_queries(
    ctx, member_api, access, django_assert_num_queries
):
    from crm import sharing

    sharing.set_default(ctx, "account", access)
    for n in range(3):
        made = member_api.post("/api/v1/accounts", {"name": f"Mine {n}"})
        assert made.status_code == 201, made.content
    filters = _q([["name", "starts_with", "Mine"]])
    fields = "name,annual_revenue,owner"
    url = f"/api/v1/accounts?fields={fields}&filters={filters}&sort=-name"
    member_api.get(url)  # warm the registry cache
    # The token with its membership (1), the profile's grants (1), the
    # object's sharing default (1), the page (1); a private object adds the
    # role tree and the sharing rules (2).
    with django_assert_num_queries(4 if access == "public_read_write" else 6):
        answer = member_api.get(url)
    assert [row["name"] for row in answer.json()["results"]] == [
        "Mine 2",
        "Mine 1",
        "Mine 0",
    ]


def test_nul_characters_in_the_query_string_are_400_not_a_server_error(api):
    raw = api.get("/api/v1/accounts?q=a%00b")
    assert raw.status_code == 400
    assert raw.json()["error"]["message"] == (
        "The query string may not contain NUL characters (%00)."
    )
    escaped = api.get("/api/v1/accounts/count?filters=" + _q([["name", "=", "\0"]]))
    assert escaped.status_code == 400
    assert escaped.json()["error"]["field"] == "filters"
