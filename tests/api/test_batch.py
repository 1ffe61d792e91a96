"""POST/PATCH/DELETE /api/v1/batch/{object}: per-row results."""

from __future__ import annotations

from uuid import UUID

import pytest
from django.test import override_settings

from crm.models import Account, CustomRecord
from tests.api.conftest import BODIES

SINGULAR = {"accounts": "account", "projects": "project"}


def _count(objects):
    if objects == "accounts":
        return Account.objects.filter(deleted_at__isnull=True).count()
    return CustomRecord.objects.filter(deleted_at__isnull=True).count()


def test_batch_create_reports_each_row(api, objects):
    good = BODIES[objects]
    answer = api.post(
        f"/api/v1/batch/{SINGULAR[objects]}",
        {"records": [good, {"nonsense": 1}, {**good, "name": "Second"}]},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["successCount"], body["errorCount"]) == (2, 1)
    first, bad, second = body["results"]
    assert (first["success"], second["success"], bad["success"]) == (True, True, False)
    assert bad["error"]["code"] == "validation_failed"
    assert bad["error"]["details"][0]["field"] == "nonsense"
    assert _count(objects) == 2
    assert api.get(f"/api/v1/{objects}/{first['id']}").json()["name"] == good["name"]


def test_batch_update_and_delete(api, objects):
    made = [
        api.post(f"/api/v1/{objects}", {**BODIES[objects], "name": f"R{n}"}).json()
        for n in range(3)
    ]
    updates = [{"Id": r["id"], "name": f"New {n}"} for n, r in enumerate(made)]
    ghost = f"{made[0]['id'].partition('_')[0]}_{UUID(int=7).hex}"
    updates.append({"id": ghost, "name": "Ghost"})
    answer = api.patch(f"/api/v1/batch/{objects}", {"updates": updates})
    body = answer.json()
    assert (body["successCount"], body["errorCount"]) == (3, 1)
    assert body["results"][3]["error"]["code"] == "not_found"
    assert [api.get(f"/api/v1/{objects}/{r['id']}").json()["name"] for r in made] == [
        "New 0",
        "New 1",
        "New 2",
    ]

    ids = [made[0]["id"], made[1]["id"], "nope"]
    deleted = api.delete(f"/api/v1/batch/{objects}", {"ids": ids}).json()
    assert (deleted["successCount"], deleted["errorCount"]) == (2, 1)
    assert [r["success"] for r in deleted["results"]] == [True, True, False]
    assert _count(objects) == 1


@pytest.mark.parametrize(
    ("method", "body", "field"),
    [
        ("post", {"records": "x"}, "records"),
        ("post", {"records": []}, "records"),
        ("patch", {"records": [{}]}, "records"),
        ("patch", {}, "updates"),
        ("delete", {}, "ids"),
    ],
)
def test_a_malformed_batch_is_400(api, method, body, field):
    answer = getattr(api, method)("/api/v1/batch/accounts", body)
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == field


@pytest.mark.parametrize(
    ("method", "key", "unknown"),
    [
        ("post", "records", "allOrNone"),
        ("post", "records", "updates"),
        ("patch", "updates", "dryRun"),
        ("delete", "ids", "cascade"),
    ],
)
def test_an_unknown_batch_key_is_400_naming_it_and_writes_nothing(
    api, method, key, unknown
):
    kept = api.post("/api/v1/accounts", {"name": "Kept"}).json()
    rows = {
        "records": [{"name": "New"}],
        "updates": [{"id": kept["id"], "name": "Changed"}],
        "ids": [kept["id"]],
    }
    body = {key: rows[key], unknown: True}
    answer = getattr(api, method)("/api/v1/batch/accounts", body)
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert (error["code"], error["field"], error["message"]) == (
        "validation_failed",
        unknown,
        f"Unknown key '{unknown}': this batch takes only '{key}'.",
    )
    assert list(Account.objects.values_list("name", "deleted_at")) == [("Kept", None)]


@override_settings(API_BATCH_MAX_ROWS=2)
def test_a_batch_over_the_limit_is_refused_whole(api):
    rows = [{"name": f"A{n}"} for n in range(3)]
    answer = api.post("/api/v1/batch/accounts", {"records": rows})
    assert answer.status_code == 400
    assert not Account.objects.exists()


def test_a_batch_the_caller_may_not_write_is_403(read_only_ctx):
    from tests.api.conftest import ApiClient, pat

    viewer = ApiClient(pat(read_only_ctx))
    answer = viewer.post("/api/v1/batch/accounts", {"records": [{"name": "A"}]})
    assert (answer.status_code, answer.json()["error"]["code"]) == (
        403,
        "permission_denied",
    )
    assert not Account.objects.exists()
