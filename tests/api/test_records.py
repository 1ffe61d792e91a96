"""Record endpoints for a standard and a custom object."""

from uuid import UUID

import pytest
from django.db import connection

from crm.metadata import registry
from crm.metadata import services as metadata
from crm.models import Account, CustomRecord, OutboxEvent
from tests.api.conftest import BODIES, CHANGES


def _pk(public_id: str) -> UUID:
    return UUID(public_id.rpartition("_")[2])


def test_create_answers_201_with_the_prefixed_record(api, ctx, objects):
    response = api.post(f"/api/v1/{objects}", BODIES[objects])
    assert response.status_code == 201, response.content
    body = response.json()
    object_type = registry.get(ctx, objects)
    assert body["id"] == object_type.public_id(_pk(body["id"]))
    assert response["Location"] == f"/api/v1/{objects}/{body['id']}"
    if objects == "accounts":
        assert (body["name"], body["annual_revenue"], body["industry"]) == (
            "Acme",
            5000000,
            "technology",
        )
        assert body["owner_id"] == f"usr_{ctx.user.pk.hex}"
    else:
        assert (body["name"], body["budget"], body["is_active"]) == (
            "Apollo",
            1200.5,
            True,
        )


def test_get_patch_put_delete_restore_round_trip(api, ctx, objects):
    created = api.post(f"/api/v1/{objects}", BODIES[objects]).json()
    url = f"/api/v1/{objects}/{created['id']}"

    got = api.get(url)
    assert (got.status_code, got.json()) == (200, created)

    change, key, value, reset = CHANGES[objects]
    patched = api.patch(url, change)
    assert (patched.status_code, patched.json()[key]) == (200, value)

    replaced = api.put(url, {"name": "Renamed"})
    assert replaced.status_code == 200
    assert (replaced.json()["name"], replaced.json()[key]) == ("Renamed", reset)

    deleted = api.delete(url)
    assert (deleted.status_code, deleted.json()) == (
        200,
        {"success": True, "message": "Record deleted successfully"},
    )
    assert api.get(url).status_code == 404

    restored = api.post(f"{url}/restore")
    assert (restored.status_code, restored.json()["id"]) == (200, created["id"])
    assert api.get(url).status_code == 200
    events = OutboxEvent.objects.filter(record_id=_pk(created["id"])).order_by("pk")
    assert [e.event for e in events] == [
        "created",
        "updated",
        "updated",
        "deleted",
        "restored",
    ]


def test_a_plain_uuid_is_accepted_and_a_foreign_prefix_is_not(api, objects):
    created = api.post(f"/api/v1/{objects}", BODIES[objects]).json()
    plain = str(_pk(created["id"]))
    assert api.get(f"/api/v1/{objects}/{plain}").json()["id"] == created["id"]
    wrong = api.get(f"/api/v1/{objects}/opp_{_pk(created['id']).hex}")
    assert wrong.status_code == 404
    assert api.get(f"/api/v1/{objects}/not-an-id").status_code == 404


@pytest.mark.parametrize("name", ["accounts", "account", "crm_account", "Account"])
def test_objects_are_named_by_plural_api_name_crm_name_or_label(api, name):
    answer = api.post(f"/api/v1/{name}", {"name": "Named"})
    assert answer.status_code == 201
    assert api.get(f"/api/v1/{name}/{answer.json()['id']}").status_code == 200


@pytest.mark.parametrize("key", ["AccountId", "account_id", "account", "Account"])
def test_lookups_are_written_either_way_and_read_as_name_id(api, project, key):
    account = api.post("/api/v1/accounts", {"name": "Parent"}).json()
    contact = api.post("/api/v1/contacts", {"LastName": "Doe", key: account["id"]})
    assert contact.status_code == 201, contact.content
    assert contact.json()["account_id"] == account["id"]
    custom = api.post("/api/v1/projects", {"name": "P", key: account["id"]})
    assert custom.status_code == 201, custom.content
    assert custom.json()["account_id"] == account["id"]


def test_fields_selects_what_comes_back(api, objects):
    created = api.post(f"/api/v1/{objects}", BODIES[objects]).json()
    answer = api.get(f"/api/v1/{objects}/{created['id']}?fields=Name,owner")
    assert answer.json() == {
        "id": created["id"],
        "name": created["name"],
        "owner_id": created["owner_id"],
    }
    unknown = api.get(f"/api/v1/{objects}/{created['id']}?fields=shoe_size")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["field"] == "shoe_size"


def _refused(answer, details):
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["details"] == [{"field": f, "message": m} for f, m in details]
    return error


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"shoe_size": 9}, [("shoe_size", "Account has no field 'shoe_size'.")]),
        ({"id": "acc_1"}, [("id", "Id is read-only.")]),
        (
            {"created_at": "2026-01-01T00:00:00Z"},
            [("created_at", "Created at is read-only.")],
        ),
        ({"workspace": "x"}, [("workspace", "Account has no field 'workspace'.")]),
        (
            {"annual_revenue": "12"},
            [("annual_revenue", "Enter a number, as a JSON number.")],
        ),
        ({"name": 12}, [("name", "Enter text, as a JSON string.")]),
        ({"name": "A", "Name": "B"}, [("name", "Account name is given twice.")]),
    ],
)
def test_bad_account_bodies_are_refused_and_nothing_is_written(api, body, details):
    _refused(
        api.post(
            "/api/v1/accounts",
            {"name": "Acme", **body}
            if "name" not in body and "Name" not in body
            else body,
        ),
        details,
    )
    assert not Account.objects.exists()


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"budget": "12"}, [("budget", "Enter a number, as a JSON number.")]),
        ({"is_active": "yes"}, [("is_active", "Enter true or false.")]),
        ({"is_active": 1}, [("is_active", "Enter true or false.")]),
        ({"budget": True}, [("budget", "Enter a number, as a JSON number.")]),
        ({"tags": "red"}, [("tags", "Send a list of the listed values.")]),
        (
            {"starts_on": 20260101},
            [("starts_on", "Enter a date as a YYYY-MM-DD string.")],
        ),
        ({"starts_on": "31/12/2026"}, [("starts_on", "Enter a date as YYYY-MM-DD.")]),
        (
            {"phase": "Launch"},
            [
                (
                    "phase",
                    "'Launch' is not a valid choice. Use one of: plan, build, run.",
                )
            ],
        ),
    ],
)
def test_bad_custom_bodies_are_refused_and_nothing_is_written(
    api, project, body, details
):
    _refused(api.post("/api/v1/projects", {"name": "P", **body}), details)
    assert not CustomRecord.objects.exists()


def test_a_missing_required_field_is_named(api, objects):
    error = _refused(
        api.post(f"/api/v1/{objects}", {}),
        [
            (
                "name",
                "Account name is required."
                if objects == "accounts"
                else "Name is required.",
            )
        ],
    )
    assert error["field"] == "name"


def test_a_patch_with_a_bad_field_changes_nothing(api, objects):
    created = api.post(f"/api/v1/{objects}", BODIES[objects]).json()
    url = f"/api/v1/{objects}/{created['id']}"
    assert api.patch(url, {"name": "New", "nonsense": 1}).status_code == 400
    assert api.get(url).json() == created


@pytest.mark.parametrize(
    ("objects", "field", "value", "message"),
    [
        (
            "opportunities",
            "amount",
            1e308,
            "That number is too large: at most 16 digits before the decimal point.",
        ),
        (
            "opportunities",
            "amount",
            10**16,
            "That number is too large: at most 16 digits before the decimal point.",
        ),
        (
            "accounts",
            "annual_revenue",
            -1e30,
            "That number is too large: at most 16 digits before the decimal point.",
        ),
        # Custom numbers are JSON numbers: 15 digits, 2 of them decimals here.
        (
            "projects",
            "budget",
            1234567890123456.78,
            "That number is too large: at most 13 digits before the decimal point.",
        ),
        (
            "projects",
            "budget",
            1e308,
            "That number is too large: at most 13 digits before the decimal point.",
        ),
    ],
)
def test_a_number_too_large_for_its_field_is_400_and_changes_nothing(
    api, project, objects, field, value, message
):
    body = {
        "name": "Kept",
        **({"close_date": "2026-06-30"} if objects == "opportunities" else {}),
    }
    created = api.post(f"/api/v1/{objects}", body)
    assert created.status_code == 201, created.content
    url = f"/api/v1/{objects}/{created.json()['id']}"
    before = api.get(url).json()
    error = _refused(api.patch(url, {field: value}), [(field, message)])
    assert (error["field"], error["message"]) == (field, message)
    assert api.get(url).json() == before


def test_the_largest_numbers_a_field_holds_are_kept_exactly(api, project):
    made = api.post("/api/v1/projects", {"name": "P", "budget": 9999999999999.99})
    assert made.status_code == 201, made.content
    assert api.get(f"/api/v1/projects/{made.json()['id']}").json()["budget"] == (
        9999999999999.99
    )
    body = {"name": "O", "close_date": "2026-06-30", "amount": 10**16 - 1}
    made = api.post("/api/v1/opportunities", body)
    assert made.status_code == 201, made.content
    assert made.json()["amount"] == 10**16 - 1


def test_missing_records_are_404(api, objects):
    missing = f"/api/v1/{objects}/{UUID(int=7)}"
    for method in ("get", "patch", "put", "delete"):
        answer = getattr(api, method)(
            missing, {} if method in ("patch", "put") else None
        )
        assert answer.status_code == 404, method
        assert answer.json()["error"]["code"] == "not_found"
    assert api.post(f"{missing}/restore").status_code == 404


def test_a_delete_blocked_by_references_is_409(api, ctx):
    metadata.create_field(
        ctx,
        "contact",
        name="supplier",
        label="Supplier",
        type="lookup",
        target="account",
        on_delete="restrict",
    )
    account = api.post("/api/v1/accounts", {"name": "Supplier Inc"}).json()
    made = api.post("/api/v1/contacts", {"last_name": "Doe", "supplier": account["id"]})
    assert made.json()["supplier_id"] == account["id"]
    answer = api.delete(f"/api/v1/accounts/{account['id']}")
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("reference_conflict", "supplier")
    assert api.get(f"/api/v1/accounts/{account['id']}").status_code == 200


def test_reading_a_record_costs_a_handful_of_queries(
    api, objects, django_assert_num_queries
):
    created = api.post(f"/api/v1/{objects}", BODIES[objects]).json()
    api.get(f"/api/v1/{objects}/{created['id']}")  # warm the registry cache
    # The token with its membership (1), the record (1); the token's last use
    # is recent, so it is not written.
    with django_assert_num_queries(2):
        answer = api.get(f"/api/v1/{objects}/{created['id']}")
    assert answer.status_code == 200


def test_integer_columns_keep_to_their_range(api):
    top = connection.ops.integer_field_range("PositiveIntegerField")[1]
    too_many = "That number is too large: at most 18 digits before the decimal point."
    for value, message in (
        # PostgreSQL's integer is 32-bit; SQLite's 64-bit range is past 18 digits.
        (top + 1, f"Enter a number of at most {top:,}." if top < 10**18 else too_many),
        (-5, "Enter a number of at least 0."),
    ):
        body = {"name": "A", "number_of_employees": value}
        _refused(api.post("/api/v1/accounts", body), [("number_of_employees", message)])
    assert not Account.objects.exists()


def test_a_line_items_quantity_keeps_to_its_column(api):
    product = api.post("/api/v1/products", {"name": "W"}).json()
    deal = api.post(
        "/api/v1/opportunities", {"name": "o", "close_date": "2026-01-01"}
    ).json()
    body = {"opportunity_id": deal["id"], "product_id": product["id"], "unit_price": 1}
    _refused(
        api.post("/api/v1/opportunity_line_items", {**body, "quantity": 10**11}),
        [
            (
                "quantity",
                "That number is too large: at most 10 digits before the decimal point.",
            )
        ],
    )
    assert (
        api.post(
            "/api/v1/opportunity_line_items", {**body, "quantity": 10**10 - 1}
        ).status_code
        == 201
    )


def _server_prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize("prepared", [True, False])
def test_reads_answer_the_same_with_lookups_prepared_on_the_server_or_not(
    api, objects, settings, prepared
):
    settings.DATABASE_PREPARED_LOOKUPS = prepared
    postgres = connection.vendor == "postgresql"
    before = _server_prepared() if postgres else set()
    created = api.post(f"/api/v1/{objects}", BODIES[objects]).json()
    for _ in range(2):
        one = api.get(f"/api/v1/{objects}/{created['id']}")
        listed = api.get(f"/api/v1/{objects}")
    assert one.json() == created
    assert listed.json()["results"] == [created]
    if postgres:
        after = _server_prepared()
        if prepared:  # the credential's lookup is kept by the server
            assert any("token_hash" in statement for statement in after)
        else:
            assert after == before
