"""Ids from another workspace are not found: never data, never a change."""

from __future__ import annotations

from tests.api.conftest import BODIES


def test_another_workspaces_record_is_404_for_every_endpoint(api, other_api, objects):
    mine = api.post(f"/api/v1/{objects}", BODIES[objects]).json()
    url = f"/api/v1/{objects}/{mine['id']}"
    singular = "account" if objects == "accounts" else "project"
    # Globex has no ``project`` object: the custom object itself is not found.
    for method, body in (
        ("get", None),
        ("patch", {"name": "Stolen"}),
        ("put", {"name": "Stolen"}),
        ("delete", None),
    ):
        answer = getattr(other_api, method)(url, body)
        assert answer.status_code == 404, (method, answer.content)
        assert answer.json()["error"]["code"] == "not_found"
        assert mine["name"] not in answer.content.decode()
    assert other_api.post(f"{url}/restore").status_code == 404
    batch = other_api.patch(
        f"/api/v1/batch/{singular}", {"updates": [{"id": mine["id"], "name": "X"}]}
    )
    if objects == "accounts":
        assert batch.json()["results"][0]["error"]["code"] == "not_found"
    else:
        assert batch.status_code == 404
    deleted = other_api.delete(f"/api/v1/batch/{singular}", {"ids": [mine["id"]]})
    if objects == "accounts":
        assert deleted.json()["results"][0]["error"]["code"] == "not_found"
    else:
        assert deleted.status_code == 404
    assert api.get(url).json() == mine


def test_another_workspaces_deleted_record_cannot_be_restored(api, other_api):
    mine = api.post("/api/v1/accounts", {"name": "Mine"}).json()
    url = f"/api/v1/accounts/{mine['id']}"
    api.delete(url)
    assert other_api.post(f"{url}/restore").status_code == 404
    assert api.get(url).status_code == 404


def test_a_lookup_to_another_workspaces_record_is_refused(api, other_api):
    theirs = other_api.post("/api/v1/accounts", {"name": "Theirs"}).json()
    answer = api.post("/api/v1/contacts", {"last_name": "Doe", "account": theirs["id"]})
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "account"
