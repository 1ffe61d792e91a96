"""``POST /api/v1/{objects}/bulk``: the whole request is checked now; the job
itself is the bulk-jobs issue's (501 until then). Nothing is ever written."""

from __future__ import annotations

import pytest

from crm.models import Account, CustomRecord
from tests.api.conftest import BODIES, ApiClient, pat


def _count(objects: str) -> int:
    model = Account if objects == "accounts" else CustomRecord
    return model.objects.count()


def _not_implemented(answer, rows: str, operation: str, name: str):
    assert answer.status_code == 501, answer.content
    error = answer.json()["error"]
    assert (error["code"], error["message"]) == (
        "not_implemented",
        f"The request is valid ({rows} to {operation}), but bulk jobs are not "
        "available yet. Send up to 200 rows at a time to "
        f"/api/v1/batch/{name} meanwhile.",
    )


def test_valid_requests_of_every_operation_are_501_and_write_nothing(api, objects):
    name = "account" if objects == "accounts" else "project"
    existing = api.post(f"/api/v1/{objects}", BODIES[objects]).json()
    before = _count(objects)
    requests = [
        ("create", {"records": [BODIES[objects]] * 3}, "3 rows"),
        ("update", {"records": [{"Id": existing["id"], "name": "New"}]}, "1 row"),
        (
            "upsert",
            {"records": [{"id": existing["id"], "name": "U"}], "id_field": "Id"},
            "1 row",
        ),
        ("delete", {"records": [existing["id"], {"id": existing["id"]}]}, "2 rows"),
    ]
    for operation, body, rows in requests:
        answer = api.post(
            f"/api/v1/{objects}/bulk", {"operation": operation.upper(), **body}
        )
        _not_implemented(answer, rows, operation, name)
    assert _count(objects) == before
    assert api.get(f"/api/v1/{objects}/{existing['id']}").json() == existing


def test_ten_thousand_rows_are_accepted_and_one_more_is_not(api):
    rows = [{"name": f"Account {n}", "annual_revenue": n} for n in range(10_000)]
    answer = api.post("/api/v1/accounts/bulk", {"operation": "create", "records": rows})
    _not_implemented(answer, "10,000 rows", "create", "account")
    rows.append({"name": "One too many"})
    refused = api.post(
        "/api/v1/accounts/bulk", {"operation": "create", "records": rows}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        "Send 1 to 10,000 rows in 'records' (this has 10,001)."
    )
    assert not Account.objects.exists()


def test_bulk_bodies_may_pass_the_usual_size_cap(api):
    rows = [{"name": f"A{n}", "description": "x" * 300} for n in range(8_000)]
    body = {"operation": "create", "records": rows}
    assert api.post("/api/v1/batch/account", {"records": rows}).status_code == 413
    _not_implemented(
        api.post("/api/v1/accounts/bulk", body), "8,000 rows", "create", "account"
    )


@pytest.mark.parametrize(
    ("body", "details"),
    [
        (
            {"operation": "merge", "records": [{}]},
            [("operation", "'operation' is one of create, update, upsert or delete.")],
        ),
        ({"records": [{}]}, [("operation", "'operation' is required.")]),
        (
            {"operation": "create", "records": {}},
            [("records", "Send 'records' as a list.")],
        ),
        (
            {"operation": "create", "records": [], "extra": 1},
            [("extra", "Unknown field 'extra'.")],
        ),
        (
            {"operation": "create", "records": []},
            [("records", "Send 1 to 10,000 rows in 'records' (this has 0).")],
        ),
        (
            {"operation": "create", "records": [{"name": "A"}], "id_field": "name"},
            [("id_field", "'id_field' applies to upserts only.")],
        ),
        (
            {"operation": "upsert", "records": [{"name": "A"}]},
            [("id_field", "An upsert needs 'id_field': id or a unique field.")],
        ),
        (
            {"operation": "upsert", "records": [{"name": "A"}], "id_field": "name"},
            [("id_field", "'name' is not id or a unique field of Account.")],
        ),
        (
            {
                "operation": "create",
                "records": [
                    {"name": "Fine"},
                    {"name": "A", "annual_revenue": "12"},
                    {"phone": "+1 555 0100"},
                    "nope",
                    {"name": "B", "shoe_size": 9, "id": "acc_1"},
                    {"name": "C", "industry": "Knitting"},
                ],
            },
            [
                ("records[1].annual_revenue", "Enter a number, as a JSON number."),
                ("records[2].name", "Account name is required."),
                ("records[3]", "Each row is a JSON object of fields."),
                ("records[4].shoe_size", "Account has no field 'shoe_size'."),
                ("records[4].id", "Id is read-only."),
                (
                    "records[5].industry",
                    "'Knitting' is not a valid choice. Use one of: agriculture, "
                    "banking, construction, consulting, education, energy, finance, "
                    "government, healthcare, hospitality, insurance, manufacturing, "
                    "media, not_for_profit, retail, technology, telecommunications, "
                    "transportation, other.",
                ),
            ],
        ),
        (
            {
                "operation": "update",
                "records": [{"name": "No id"}, {"id": "opp_1", "name": "X"}, 4],
            },
            [
                ("records[0].id", "Each row needs one 'id'."),
                ("records[1].id", "'opp_1' is not the id of any Account."),
                ("records[2]", "Each row is a JSON object with 'id'."),
            ],
        ),
        (
            {"operation": "delete", "records": [12, {"id": "x", "name": "y"}]},
            [
                ("records[0]", "'12' is not the id of any Account."),
                ("records[1]", 'Each row is an id, or {"id": …} alone.'),
            ],
        ),
    ],
)
def test_bad_requests_are_400_naming_each_bad_row(api, body, details):
    answer = api.post("/api/v1/accounts/bulk", body)
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["details"] == [{"field": f, "message": m} for f, m in details]
    assert not Account.objects.exists()


def test_a_read_only_token_may_not_bulk_write(ctx, objects):
    reader = ApiClient(pat(ctx, scopes=["read:crm"]))
    answer = reader.post(
        f"/api/v1/{objects}/bulk", {"operation": "create", "records": [{"name": "A"}]}
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"


def test_another_workspaces_custom_object_is_not_found(other_api, project):
    answer = other_api.post(
        "/api/v1/projects/bulk", {"operation": "create", "records": [{"name": "A"}]}
    )
    assert answer.status_code == 404
