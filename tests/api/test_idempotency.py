"""Idempotency-Key on POST: replay, mismatch, in progress, scope, and 50
parallel identical requests making one record."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from api.models import IdempotencyKey
from crm import records
from crm.models import Account
from tests.api.conftest import ApiClient, pat

KEY = {"Idempotency-Key": "order-7f3a-0001"}


def test_a_retry_returns_the_first_response(api):
    first = api.post("/api/v1/accounts", {"name": "Once"}, headers=KEY)
    again = api.post("/api/v1/accounts", {"name": "Once"}, headers=KEY)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again["Location"] == first["Location"]
    assert again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert Account.objects.count() == 1


def test_a_retry_with_or_without_the_trailing_slash_is_the_same_request(api):
    first = api.post("/api/v1/accounts", {"name": "Once"}, headers=KEY)
    again = api.post("/api/v1/accounts/", {"name": "Once"}, headers=KEY)
    assert again.status_code == 201
    assert again.content == first.content
    assert Account.objects.count() == 1


def test_the_same_key_with_another_body_is_422(api):
    api.post("/api/v1/accounts", {"name": "Once"}, headers=KEY)
    answer = api.post("/api/v1/accounts", {"name": "Twice"}, headers=KEY)
    assert (answer.status_code, answer.json()["error"]["code"]) == (
        422,
        "idempotency_key_reused",
    )
    assert list(Account.objects.values_list("name", flat=True)) == ["Once"]


def test_a_key_still_running_is_409(api, monkeypatch):
    def busy(*args, **kwargs):
        # Another request with the same key arrives while this one runs.
        inner = api.post("/api/v1/accounts", {"name": "Once"}, headers=KEY)
        busy.inner = inner
        return original(*args, **kwargs)

    original = records.create
    monkeypatch.setattr(records, "create", busy)
    first = api.post("/api/v1/accounts", {"name": "Once"}, headers=KEY)
    assert first.status_code == 201
    assert (busy.inner.status_code, busy.inner.json()["error"]["code"]) == (
        409,
        "request_in_progress",
    )
    assert Account.objects.count() == 1


def test_validation_errors_are_kept_and_server_errors_free_the_key(api, monkeypatch):
    bad = api.post("/api/v1/accounts", {"nonsense": 1}, headers=KEY)
    assert bad.status_code == 400
    assert api.post("/api/v1/accounts", {"nonsense": 1}, headers=KEY).content == (
        bad.content
    )

    other = {"Idempotency-Key": "second-key"}
    original = records.create
    monkeypatch.setattr(records, "create", lambda *a, **k: 1 / 0)
    assert api.post("/api/v1/accounts", {"name": "A"}, headers=other).status_code == 500
    monkeypatch.setattr(records, "create", original)
    retried = api.post("/api/v1/accounts", {"name": "A"}, headers=other)
    assert retried.status_code == 201
    assert Account.objects.count() == 1


def test_keys_are_scoped_to_the_caller(ctx, member_ctx, other_ctx):
    mine = ApiClient(pat(ctx)).post("/api/v1/accounts", {"name": "A"}, headers=KEY)
    colleague = ApiClient(pat(member_ctx)).post(
        "/api/v1/accounts", {"name": "A"}, headers=KEY
    )
    stranger = ApiClient(pat(other_ctx)).post(
        "/api/v1/accounts", {"name": "A"}, headers=KEY
    )
    assert len({mine.json()["id"], colleague.json()["id"], stranger.json()["id"]}) == 3
    assert Account.objects.count() == 3
    assert IdempotencyKey.objects.count() == 3


def test_a_bad_key_is_400(api):
    answer = api.post(
        "/api/v1/accounts", {"name": "A"}, headers={"Idempotency-Key": "a b"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "Idempotency-Key"
    assert not Account.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises them)",
)
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_identical_requests_create_one_record(ctx):
    secret = pat(ctx)
    start = threading.Barrier(50)

    def send(_):
        try:
            client = ApiClient(secret)
            start.wait()
            answer = client.post("/api/v1/accounts", {"name": "Once"}, headers=KEY)
            return answer.status_code, answer.content
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(send, range(50)))
    assert {status for status, _ in answers} <= {201, 409}
    created = {content for status, content in answers if status == 201}
    assert len(created) == 1  # the first answer, and replays of it
    assert Account.objects.count() == 1


def test_keys_older_than_a_day_are_purged_and_no_longer_replayed(api):
    import datetime as dt

    from django.utils import timezone

    from api import tasks

    api.post("/api/v1/accounts", {"name": "Once"}, headers=KEY)
    IdempotencyKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    again = api.post("/api/v1/accounts", {"name": "Once"}, headers=KEY)
    assert again.status_code == 201
    assert Account.objects.count() == 2
    IdempotencyKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert tasks.purge_idempotency_keys() == 1
    assert not IdempotencyKey.objects.exists()
