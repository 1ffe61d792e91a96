"""ETags on one record; ``If-Match`` makes writes conditional (412) and
``If-None-Match`` makes reads conditional (304)."""

from __future__ import annotations

import re
from uuid import UUID

from crm.models import OutboxEvent
from tests.api.conftest import BODIES, CHANGES


def _made(api, objects):
    answer = api.post(f"/api/v1/{objects}", BODIES[objects])
    return answer, f"/api/v1/{objects}/{answer.json()['id']}"


def _stale(answer) -> None:
    assert answer.status_code == 412, answer.content
    error = answer.json()["error"]
    assert error["code"] == "precondition_failed"
    assert error["message"].endswith(
        "has changed since you read it; read it again and retry."
    )


def test_reads_and_writes_carry_the_records_etag(api, objects):
    created, url = _made(api, objects)
    etag = created["ETag"]
    assert re.fullmatch(r'"[0-9]{16,}"', etag)
    assert api.get(url)["ETag"] == etag
    assert api.get(f"{url}?fields=name")["ETag"] == etag
    change, *_ = CHANGES[objects]
    patched = api.patch(url, change, headers={"If-Match": etag})
    assert patched.status_code == 200
    assert patched["ETag"] not in (None, etag)
    assert api.get(url)["ETag"] == patched["ETag"]
    same = api.patch(url, change, headers={"If-Match": patched["ETag"]})
    assert same["ETag"] == patched["ETag"]  # nothing changed, same version
    replaced = api.put(url, {"name": "New"}, headers={"If-Match": patched["ETag"]})
    assert replaced.status_code == 200
    deleted = api.delete(url, headers={"If-Match": replaced["ETag"]})
    assert deleted.status_code == 200


def test_a_stale_etag_is_412_and_changes_nothing(api, objects):
    created, url = _made(api, objects)
    stale = created["ETag"]
    change, *_ = CHANGES[objects]
    current = api.patch(url, change).json()
    _stale(api.patch(url, {"name": "Lost"}, headers={"If-Match": stale}))
    _stale(api.put(url, {"name": "Lost"}, headers={"If-Match": stale}))
    _stale(api.delete(url, headers={"If-Match": stale}))
    assert api.get(url).json() == current
    record_id = UUID(created.json()["id"].rpartition("_")[2])
    events = OutboxEvent.objects.filter(record_id=record_id).order_by("pk")
    assert [e.event for e in events] == ["created", "updated"]


def test_if_match_star_a_list_and_weak_tags(api, objects):
    created, url = _made(api, objects)
    etag = created["ETag"]
    assert api.patch(url, {"name": "A"}, headers={"If-Match": "*"}).status_code == 200
    etag = api.get(url)["ETag"]
    listed = api.patch(url, {"name": "B"}, headers={"If-Match": f'"1", {etag}'})
    assert listed.status_code == 200
    _stale(api.patch(url, {"name": "C"}, headers={"If-Match": f"W/{listed['ETag']}"}))
    _stale(api.patch(url, {"name": "C"}, headers={"If-Match": "garbage"}))
    assert api.get(url).json()["name"] == "B"


def test_if_none_match_answers_304_while_unchanged(api, objects):
    created, url = _made(api, objects)
    etag = created["ETag"]
    unchanged = api.get(url, headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (
        304,
        b"",
        etag,
    )
    assert api.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    change, *_ = CHANGES[objects]
    api.patch(url, change)
    assert api.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_a_missing_record_is_404_before_any_precondition(api, other_api, objects):
    _, url = _made(api, objects)
    answer = other_api.patch(url, {"name": "X"}, headers={"If-Match": "*"})
    assert answer.status_code == 404
