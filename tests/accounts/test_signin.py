"""The sign-in throttle on the browser's /login/ and the admin's /admin/login/:
the same buckets as POST /api/v1/auth/token, per email and per client address."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from accounts import ratelimit
from tests.api.conftest import ApiClient
from tests.conftest import PASSWORD
from tests.factories import UserFactory

WINDOW = 900
LOCKED = "Too many failed sign-ins. Try again in 15 minutes."


class _Clock:
    """The rate limiter's clock, at the start of a sign-in window."""

    def __init__(self) -> None:
        self.now = 2_000_000 * WINDOW

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = _Clock()
    monkeypatch.setattr(ratelimit, "time", fake)
    return fake


def _sign_in(client: Client, path: str, email: str, password: str, **headers):
    return client.post(path, {"username": email, "password": password}, headers=headers)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def staff(db):
    return UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)


@override_settings(API_LOGIN_FAILURES_PER_USER=3, API_LOGIN_FAILURES_PER_IP=100)
@pytest.mark.parametrize(
    ("path", "email"),
    [("/login/", "owner@example.com"), ("/admin/login/", "ops@example.com")],
)
def test_spent_sign_ins_refuse_even_the_right_password_until_the_window_ends(
    ctx, staff, clock, path, email
):
    client = Client()
    for _ in range(3):
        refused = _sign_in(client, path, email.upper(), "wrong")
        assert refused.status_code == 200
        assert LOCKED not in refused.content.decode()
    locked = _sign_in(client, path, email, PASSWORD)
    assert locked.status_code == 200
    assert LOCKED in locked.content.decode()
    assert not _signed_in(client)
    # Another address does not unlock the email.
    elsewhere = Client(REMOTE_ADDR="10.9.9.9")
    assert LOCKED in _sign_in(elsewhere, path, email, PASSWORD).content.decode()
    assert not _signed_in(elsewhere)

    clock.now += WINDOW
    signed_in = _sign_in(client, path, email, PASSWORD)
    assert signed_in.status_code == 302
    assert _signed_in(client)


@override_settings(API_LOGIN_FAILURES_PER_USER=100, API_LOGIN_FAILURES_PER_IP=3)
def test_failed_sign_ins_from_one_address_lock_that_address(ctx, clock):
    client = Client()
    for n in range(3):
        _sign_in(client, "/login/", f"nobody{n}@example.com", "wrong")
    locked = _sign_in(client, "/login/", "owner@example.com", PASSWORD)
    assert LOCKED in locked.content.decode()
    assert not _signed_in(client)
    # X-Forwarded-For is the client's own say: it names no other bucket.
    spoofed = _sign_in(
        client,
        "/login/",
        "owner@example.com",
        PASSWORD,
        **{"X-Forwarded-For": "1.2.3.4"},
    )
    assert LOCKED in spoofed.content.decode()
    other = Client(REMOTE_ADDR="10.1.1.1")
    assert _sign_in(other, "/login/", "owner@example.com", PASSWORD).status_code == 302


@override_settings(API_LOGIN_FAILURES_PER_USER=3)
def test_successful_browser_sign_ins_do_not_use_up_the_allowance(ctx, clock):
    for _ in range(5):
        client = Client()
        assert (
            _sign_in(client, "/login/", "owner@example.com", PASSWORD).status_code
            == 302
        )
        assert _signed_in(client)


@override_settings(API_LOGIN_FAILURES_PER_USER=3, API_LOGIN_FAILURES_PER_IP=100)
def test_the_browser_and_the_api_share_one_throttle(ctx, clock):
    for _ in range(3):
        _sign_in(Client(), "/login/", "owner@example.com", "wrong")
    answer = ApiClient().post(
        "/api/v1/auth/token", {"email": "owner@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 429
    assert answer["Retry-After"] == str(WINDOW)
    error = answer.json()["error"]
    assert (error["code"], error["message"]) == ("rate_limited", LOCKED)


@override_settings(
    TRUSTED_PROXIES=1, API_LOGIN_FAILURES_PER_USER=100, API_LOGIN_FAILURES_PER_IP=2
)
def test_behind_a_trusted_proxy_the_forwarded_address_is_throttled(ctx, clock):
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    for n in range(2):
        forwarded = {"X-Forwarded-For": "203.0.113.7"}
        _sign_in(proxy, "/login/", f"nobody{n}@example.com", "wrong", **forwarded)
    # The proxy appends the address it saw; what the client wrote before it
    # does not change the bucket.
    spoofed = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    locked = _sign_in(proxy, "/login/", "owner@example.com", PASSWORD, **spoofed)
    assert LOCKED in locked.content.decode()
    neighbour = {"X-Forwarded-For": "203.0.113.8"}
    signed_in = _sign_in(proxy, "/login/", "owner@example.com", PASSWORD, **neighbour)
    assert signed_in.status_code == 302
