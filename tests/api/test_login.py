"""POST /api/v1/auth/token: email + password → token, expiresIn, refreshToken."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from accounts.models import User
from tests.api.conftest import ApiClient
from tests.conftest import PASSWORD


def _login(**body):
    return ApiClient().post("/api/v1/auth/token", body)


def test_signing_in_gives_a_one_hour_token_and_a_refresh_token(ctx, owner):
    answer = _login(email="OWNER@example.com", password=PASSWORD)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert sorted(body) == ["expiresIn", "refreshToken", "scope", "token", "tokenType"]
    assert (body["expiresIn"], body["tokenType"], body["scope"]) == (
        3600,
        "Bearer",
        "read:crm write:crm",
    )
    api = ApiClient(body["token"])
    created = api.post("/api/v1/accounts", {"name": "Signed in"})
    assert created.status_code == 201
    # The first-party token may manage the user's own tokens.
    assert api.get("/api/v1/auth/tokens").status_code == 200


def test_a_wrong_password_is_401_with_www_authenticate(ctx):
    answer = _login(email="owner@example.com", password="wrong")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == 'Bearer realm="HotCRM"'
    error = answer.json()["error"]
    assert (error["code"], error["message"]) == (
        "authentication_failed",
        "Invalid email or password.",
    )


def test_a_disabled_user_cannot_sign_in_and_their_token_stops(ctx, owner):
    token = _login(email=owner.email, password=PASSWORD).json()["token"]
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert ApiClient(token).get("/api/v1/metadata/objects").status_code == 401
    assert _login(email=owner.email, password=PASSWORD).status_code == 401


@override_settings(API_LOGIN_FAILURES_PER_USER=3, API_LOGIN_FAILURES_PER_IP=100)
def test_failed_sign_ins_are_throttled_per_user(ctx):
    for _ in range(3):
        assert _login(email="owner@example.com", password="wrong").status_code == 401
    locked = _login(email="owner@example.com", password=PASSWORD)
    assert locked.status_code == 429
    assert 1 <= int(locked["Retry-After"]) <= 900
    assert locked.json()["error"]["code"] == "rate_limited"
    # Another address does not reset the user's bucket.
    spoofed = Client(REMOTE_ADDR="10.9.9.9").post(
        "/api/v1/auth/token",
        {"email": "owner@example.com", "password": PASSWORD},
        content_type="application/json",
        headers={"X-Forwarded-For": "1.2.3.4"},
    )
    assert spoofed.status_code == 429


@override_settings(API_LOGIN_FAILURES_PER_USER=100, API_LOGIN_FAILURES_PER_IP=4)
def test_failed_sign_ins_are_throttled_per_address(ctx):
    for n in range(4):
        assert _login(email=f"nobody{n}@example.com", password="x").status_code == 401
    assert _login(email="owner@example.com", password=PASSWORD).status_code == 429
    # X-Forwarded-For does not give a new bucket.
    again = ApiClient().post(
        "/api/v1/auth/token",
        {"email": "owner@example.com", "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert again.status_code == 429


@override_settings(API_LOGIN_FAILURES_PER_USER=3)
def test_successful_sign_ins_do_not_use_up_the_allowance(ctx):
    for _ in range(5):
        assert _login(email="owner@example.com", password=PASSWORD).status_code == 200


def test_a_refresh_token_rotates_and_its_replay_revokes_the_family(ctx, owner):
    first = _login(email=owner.email, password=PASSWORD).json()
    second = _login(refreshToken=first["refreshToken"])
    assert second.status_code == 200, second.content
    second = second.json()
    assert second["expiresIn"] == 3600
    assert ApiClient(second["token"]).get("/api/v1/metadata/objects").status_code == 200
    assert ApiClient(first["token"]).get("/api/v1/metadata/objects").status_code == 401

    replay = _login(refreshToken=first["refreshToken"])
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "authentication_failed"
    assert ApiClient(second["token"]).get("/api/v1/metadata/objects").status_code == 401
    assert _login(refreshToken=second["refreshToken"]).status_code == 401


def test_the_oauth_token_endpoint_refreshes_sign_in_tokens_too(ctx, owner):
    first = _login(email=owner.email, password=PASSWORD).json()
    answer = Client().post(
        "/oauth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refreshToken"],
            "client_id": "hotcrm-api",
        },
    )
    assert answer.status_code == 200, answer.content
    token = answer.json()["access_token"]
    assert ApiClient(token).get("/api/v1/metadata/objects").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": 5, "password": PASSWORD}, "email"),
        ({"email": "owner@example.com", "password": PASSWORD, "extra": 1}, "extra"),
    ],
)
def test_a_malformed_sign_in_body_is_400(ctx, body, field):
    answer = _login(**body)
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == field
