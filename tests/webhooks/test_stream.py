"""``GET /api/v1/events``: pages, long-poll, server-sent events, visibility and
tenancy; ``POST /api/v1/events`` still creates an Event record."""

from __future__ import annotations

import json
import time

import pytest

from api.v1 import events as events_view
from crm import records
from crm.models import Event, ObjectSharing
from tests.api.conftest import ApiClient, pat
from webhooks import dispatch, payloads
from webhooks.models import PublishedEvent


@pytest.fixture
def api(ctx):
    return ApiClient(pat(ctx))


@pytest.fixture(autouse=True)
def _quick_polls(settings):
    settings.EVENT_STREAM_POLL_SECONDS = 0.05
    settings.EVENT_STREAM_SSE_SECONDS = 0.3


def _accounts(ctx, *names):
    made = [records.create(ctx, "account", data={"name": n}) for n in names]
    dispatch.run()
    return made


def test_events_page_in_commit_order_with_the_webhook_payload(ctx, api):
    made = _accounts(ctx, "One", "Two", "Three")
    first = api.get("/api/v1/events", QUERY_STRING="limit=2").json()
    assert first["has_more"] is True
    second = api.get(
        "/api/v1/events", QUERY_STRING=f"limit=2&cursor={first['next_cursor']}"
    ).json()
    assert second["has_more"] is False
    got = first["results"] + second["results"]
    assert [e["record_id"] for e in got] == [f"acc_{a.pk.hex}" for a in made]
    assert [e["event"] for e in got] == ["account.created"] * 3
    entry = PublishedEvent.objects.select_related("event").order_by("seq").first()
    assert got[0]["event_id"] == payloads.event_id(entry.event_id)
    assert got[0]["tenant_id"] == f"ten_{ctx.workspace.pk.hex}"
    empty = api.get(
        "/api/v1/events", QUERY_STRING=f"cursor={second['next_cursor']}"
    ).json()
    assert empty == {
        "results": [],
        "next_cursor": second["next_cursor"],
        "has_more": False,
    }


def test_start_latest_skips_history_and_filters_narrow_the_stream(ctx, api):
    _accounts(ctx, "Old")
    start = api.get("/api/v1/events", QUERY_STRING="start=latest").json()
    assert start["results"] == []
    account = records.create(ctx, "account", data={"name": "New"})
    records.update(ctx, "account", account.pk, data={"name": "Newer"})
    records.create(ctx, "contact", data={"last_name": "Doe"})
    dispatch.run()
    cursor = start["next_cursor"]
    query = f"cursor={cursor}&object=Account&events=update"
    got = api.get("/api/v1/events", QUERY_STRING=query).json()["results"]
    assert [e["event"] for e in got] == ["account.updated"]
    everything = api.get("/api/v1/events", QUERY_STRING=f"cursor={cursor}").json()
    assert [e["event"] for e in everything["results"]] == [
        "account.created",
        "account.updated",
        "contact.created",
    ]


def test_private_records_appear_only_to_those_who_may_read_them(ctx, member_ctx, api):
    ObjectSharing.objects.create(
        workspace=ctx.workspace, object_name="account", access="private"
    )
    records.create(ctx, "account", data={"name": "Admin's"})
    theirs = records.create(member_ctx, "account", data={"name": "Rep's"})
    dispatch.run()
    member = ApiClient(pat(member_ctx))
    seen = member.get("/api/v1/events").json()["results"]
    assert [e["record_id"] for e in seen] == [f"acc_{theirs.pk.hex}"]
    assert len(api.get("/api/v1/events").json()["results"]) == 2


def test_another_workspace_sees_none_of_the_events_nor_uses_the_cursors(
    ctx, other_ctx, api
):
    _accounts(ctx, "Acme")
    other = ApiClient(pat(other_ctx))
    assert other.get("/api/v1/events").json()["results"] == []
    cursor = api.get("/api/v1/events").json()["next_cursor"]
    answer = other.get("/api/v1/events", QUERY_STRING=f"cursor={cursor}")
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "cursor"


def test_a_long_poll_waits_and_answers_empty_when_nothing_comes(ctx, api):
    _accounts(ctx, "Acme")
    cursor = api.get("/api/v1/events").json()["next_cursor"]
    started = time.monotonic()
    answer = api.get("/api/v1/events", QUERY_STRING=f"cursor={cursor}&wait=0.3")
    assert time.monotonic() - started >= 0.3
    assert answer.json()["results"] == []
    assert api.get("/api/v1/events", QUERY_STRING="wait=999").status_code == 400


def test_a_long_poll_answers_as_soon_as_an_event_arrives(ctx, api, monkeypatch):
    cursor = api.get("/api/v1/events").json()["next_cursor"]
    real_sleep = time.sleep

    def sleep(seconds):
        _accounts(ctx, "Arrives while waiting")
        monkeypatch.setattr(events_view.time, "sleep", real_sleep)

    monkeypatch.setattr(events_view.time, "sleep", sleep)
    started = time.monotonic()
    answer = api.get("/api/v1/events", QUERY_STRING=f"cursor={cursor}&wait=20")
    assert time.monotonic() - started < 5
    assert [e["after"]["name"] for e in answer.json()["results"]] == [
        "Arrives while waiting"
    ]


def _sse(answer) -> list[dict]:
    assert answer["Content-Type"] == "text/event-stream"
    text = b"".join(answer.streaming_content).decode()
    found = []
    for block in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line
        )
        if "data" in fields:
            found.append(
                {
                    "id": fields["id"],
                    "event": fields["event"],
                    **json.loads(fields["data"]),
                }
            )
    return found


def test_server_sent_events_carry_the_cursor_as_their_id(ctx, api):
    _accounts(ctx, "One", "Two")
    sse = {"Accept": "text/event-stream"}
    first = _sse(api.get("/api/v1/events", headers=sse))
    assert [e["after"]["name"] for e in first] == ["One", "Two"]
    assert first[0]["event"] == "account.created"
    _accounts(ctx, "Three")
    resumed = _sse(
        api.get("/api/v1/events", headers={**sse, "Last-Event-ID": first[-1]["id"]})
    )
    assert [e["after"]["name"] for e in resumed] == ["Three"]


def test_posting_to_events_still_creates_an_event_record(ctx, api):
    answer = api.post(
        "/api/v1/events",
        {"subject": "Kick-off", "start_at": "2026-04-01T09:00:00Z"},
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["id"].startswith("evt_")
    assert Event.objects.get().subject == "Kick-off"
