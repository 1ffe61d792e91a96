"""Rate-limit headers on every response, 429 with Retry-After, exact counts
under concurrency, and buckets that X-Forwarded-For cannot reset."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client, override_settings

from accounts import credentials, ratelimit
from tests.api.conftest import ApiClient, pat


def _headers(response):
    return tuple(
        response[h]
        for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
    )


@override_settings(API_RATE_LIMIT=3, API_RATE_LIMIT_WINDOW=3600)
def test_headers_count_down_then_429_with_retry_after(ctx):
    api = ApiClient(pat(ctx))
    reset = str((int(time.time()) // 3600 + 1) * 3600)
    seen = [_headers(api.get("/api/v1/metadata/objects")) for _ in range(3)]
    assert seen == [("3", "2", reset), ("3", "1", reset), ("3", "0", reset)]
    refused = api.get("/api/v1/metadata/objects")
    assert refused.status_code == 429
    assert _headers(refused) == ("3", "0", reset)
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert refused.json()["error"]["code"] == "rate_limited"


@override_settings(API_RATE_LIMIT=2)
def test_error_responses_carry_the_headers_too(api):
    answer = api.get("/api/v1/unicorns/x")
    assert answer.status_code == 404
    assert _headers(answer)[:2] == ("2", "1")


def test_a_key_has_its_own_limit_and_bucket(ctx):
    _, secret = credentials.issue_api_key(
        ctx, name="Tight", scopes=["read:crm"], rate_limit=1
    )
    key = ApiClient(secret)
    assert key.get("/api/v1/metadata/objects").status_code == 200
    assert key.get("/api/v1/metadata/objects").status_code == 429
    # The admin's own token is another bucket.
    assert ApiClient(pat(ctx)).get("/api/v1/metadata/objects").status_code == 200


@override_settings(API_RATE_LIMIT_ANONYMOUS=2)
def test_anonymous_callers_are_counted_per_socket_address(db):
    caller = ApiClient()
    for forwarded in ("1.1.1.1", "2.2.2.2"):
        caller.get("/api/v1/metadata/objects", headers={"X-Forwarded-For": forwarded})
    spoofed = caller.get(
        "/api/v1/metadata/objects", headers={"X-Forwarded-For": "3.3.3.3"}
    )
    assert spoofed.status_code == 429


@override_settings(API_RATE_LIMIT_ANONYMOUS=2, TRUSTED_PROXIES=1)
def test_behind_one_trusted_proxy_anonymous_callers_are_counted_per_forwarded_address(
    db,
):
    proxy = ApiClient()  # every request comes from the proxy's socket
    for _ in range(2):
        proxy.get("/api/v1/metadata/objects", headers={"X-Forwarded-For": "1.1.1.1"})
    # What the client wrote left of the proxy's entry does not reset its bucket.
    spoofed = proxy.get(
        "/api/v1/metadata/objects", headers={"X-Forwarded-For": "9.9.9.9, 1.1.1.1"}
    )
    assert spoofed.status_code == 429
    other = proxy.get(
        "/api/v1/metadata/objects", headers={"X-Forwarded-For": "2.2.2.2"}
    )
    assert other.status_code == 401
    assert other["X-RateLimit-Remaining"] == "1"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "address"),
    [
        (0, "203.0.113.7", "10.0.0.1"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "2001:db8::1 , 10.0.0.2", "2001:db8::1"),
        # Fewer entries than proxies, or no address: the socket's address.
        (2, "203.0.113.7", "10.0.0.1"),
        (1, "", "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(
    settings, proxies, forwarded, address
):
    settings.TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": forwarded}
    assert ratelimit.client_address(meta) == address


@override_settings(API_RATE_LIMIT=2)
def test_x_forwarded_for_does_not_reset_a_tokens_bucket(ctx):
    api = ApiClient(pat(ctx))
    api.get("/api/v1/metadata/objects")
    api.get("/api/v1/metadata/objects")
    again = api.get("/api/v1/metadata/objects", headers={"X-Forwarded-For": "9.9.9.9"})
    assert again.status_code == 429


def test_concurrent_hits_are_counted_exactly():
    def hit(_):
        return ratelimit.hit("concurrency-test", 10_000, 3600).count

    with ThreadPoolExecutor(max_workers=16) as pool:
        counts = sorted(pool.map(hit, range(400)))
    assert counts == list(range(1, 401))


@override_settings(API_RATE_LIMIT_ANONYMOUS=3)
def test_the_schema_and_the_explorer_are_counted_with_the_headers(db):
    caller = ApiClient()
    schema = caller.get("/api/schema?format=json")
    explorer = caller.get("/api/explorer")
    assert (schema.status_code, explorer.status_code) == (200, 200)
    assert [_headers(schema)[:2], _headers(explorer)[:2]] == [("3", "2"), ("3", "1")]
    caller.get("/api/schema?format=json")
    refused = caller.get("/api/schema?format=json")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1


@override_settings(OAUTH_RATE_LIMIT=2)
def test_the_oauth_token_endpoint_is_counted_per_address_then_429(db):
    caller = Client()
    body = {"grant_type": "authorization_code", "code": "nope", "client_id": "x"}
    answers = [caller.post("/oauth/token", body) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [401, 401]  # unknown client
    assert [_headers(a)[:2] for a in answers] == [("2", "1"), ("2", "0"), ("2", "0")]
    refused = answers[2]
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
    # Another address has its bucket of its own.
    other = caller.post("/oauth/token", body, REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 401
