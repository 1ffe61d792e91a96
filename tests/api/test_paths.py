"""v1 paths answer alike with or without a trailing slash: no redirect (a
redirected POST would lose its body in many clients)."""

from __future__ import annotations

import pytest

from crm.models import Account
from tests.api.conftest import BODIES


def test_every_method_works_with_a_trailing_slash(api, objects):
    created = api.post(f"/api/v1/{objects}/", BODIES[objects])
    assert created.status_code == 201, created.content
    url = f"/api/v1/{objects}/{created.json()['id']}/"
    assert api.get(url).json() == created.json()
    assert api.patch(url, {"name": "Slash"}).json()["name"] == "Slash"
    assert api.put(url, {"name": "Put"}).json()["name"] == "Put"
    assert api.get(f"/api/v1/{objects}/?fields=name").json()["results"] == [
        {"id": created.json()["id"], "name": "Put"}
    ]
    assert api.get(f"/api/v1/{objects}/count/").json() == {"count": 1}
    assert api.post(f"/api/v1/{objects}/query/", {}).status_code == 200
    assert api.delete(url).status_code == 200
    assert api.post(f"{url}restore/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/tokens/",
        "/api/v1/metadata/objects/",
        "/api/v1/metadata/objects/account/",
    ],
)
def test_fixed_paths_take_a_trailing_slash_too(api, path):
    assert api.get(path).status_code == 200


def test_a_post_with_a_slash_is_not_redirected(api):
    answer = api.post("/api/v1/batch/account/", {"records": [{"name": "A"}]})
    assert answer.status_code == 200
    assert answer.json()["successCount"] == 1
    assert Account.objects.count() == 1


def test_two_slashes_or_an_unknown_path_are_404_in_the_envelope(api):
    for path in ("/api/v1/accounts//", "/api/v1/accounts/x/y/z/"):
        answer = api.get(path)
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"
