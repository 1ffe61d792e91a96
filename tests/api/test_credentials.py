"""Personal access tokens and API keys: shown once, hashed, revocable, scoped;
every credential stops with its holder's membership."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import Client
from django.utils import timezone

from accounts import credentials
from accounts.models import ApiKey, Membership, PersonalAccessToken, User, Workspace
from crm.models import Account
from tests.api.conftest import ApiClient, pat


def test_a_pat_is_shown_once_and_stored_hashed(api):
    answer = api.post("/api/v1/auth/tokens", {"name": "Script"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    secret = body["token"]
    assert (secret[:4], len(secret)) == ("pat_", 47)
    stored = PersonalAccessToken.objects.get(pk=body["id"])
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(
        PersonalAccessToken.objects.filter(pk=stored.pk).values().get()
    )
    assert body["token_prefix"] == secret[:12]
    listed = api.get("/api/v1/auth/tokens").json()["results"]
    assert {t["id"] for t in listed} == {str(stored.pk), listed[-1]["id"]}
    assert all("token" not in t for t in listed)
    assert ApiClient(secret).get("/api/v1/metadata/objects").status_code == 200


def test_a_revoked_pat_is_refused_with_401(api):
    created = api.post("/api/v1/auth/tokens", {"name": "Short-lived"}).json()
    script = ApiClient(created["token"])
    assert script.get("/api/v1/metadata/objects").status_code == 200
    revoked = api.delete(f"/api/v1/auth/tokens/{created['id']}")
    assert (revoked.status_code, revoked.json()["revoked_at"] is not None) == (
        200,
        True,
    )
    refused = script.get("/api/v1/metadata/objects")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="HotCRM", error="invalid_token"'
    assert refused.json()["error"]["code"] == "authentication_failed"


def test_an_expired_pat_is_refused(ctx):
    secret = pat(ctx, expires_at=timezone.now() + dt.timedelta(hours=1))
    PersonalAccessToken.objects.update(expires_at=timezone.now() - dt.timedelta(1))
    assert ApiClient(secret).get("/api/v1/metadata/objects").status_code == 401


def test_a_pat_records_when_it_was_last_used(ctx):
    secret = pat(ctx)
    ApiClient(secret).get("/api/v1/metadata/objects")
    assert PersonalAccessToken.objects.get().last_used_at is not None


def test_someone_elses_pat_cannot_be_revoked(api, member_ctx):
    theirs, _ = credentials.issue_pat(member_ctx, name="Rita's")
    answer = api.delete(f"/api/v1/auth/tokens/{theirs.pk}")
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_a_pat_inherits_its_users_rights(member_api, read_only_ctx):
    assert member_api.post("/api/v1/accounts", {"name": "Fine"}).status_code == 201
    viewer = ApiClient(pat(read_only_ctx))
    refused = viewer.post("/api/v1/accounts", {"name": "No"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (
        403,
        "permission_denied",
    )
    assert Account.objects.filter(name="No").count() == 0


def test_a_disabled_user_or_membership_stops_every_pat(ctx, owner):
    secret = pat(ctx)
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert ApiClient(secret).get("/api/v1/metadata/objects").status_code == 401
    User.objects.filter(pk=owner.pk).update(is_active=True)
    Membership.objects.filter(user=owner).update(is_active=False)
    assert ApiClient(secret).get("/api/v1/metadata/objects").status_code == 401


def test_an_api_key_is_admin_made_scoped_hashed_and_revocable(api):
    answer = api.post(
        "/api/v1/auth/api-keys",
        {"name": "Stripe sync", "scopes": ["read:account"], "rate_limit": 50},
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["token"].startswith("ak_")
    assert (body["scopes"], body["rate_limit"]) == (["read:account"], 50)
    stored = ApiKey.objects.get()
    assert stored.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    key = ApiClient(body["token"])
    account = api.post("/api/v1/accounts", {"name": "Acme"}).json()
    assert key.get(f"/api/v1/accounts/{account['id']}").status_code == 200
    write = key.patch(f"/api/v1/accounts/{account['id']}", {"name": "Hacked"})
    assert (write.status_code, write.json()["error"]["code"]) == (
        403,
        "permission_denied",
    )
    assert Account.objects.get().name == "Acme"
    assert key.get("/api/v1/metadata/objects/contacts").status_code == 404
    # Its own rate limit.
    assert key.get("/api/v1/metadata/objects")["X-RateLimit-Limit"] == "50"

    revoked = api.delete(f"/api/v1/auth/api-keys/{stored.pk}")
    assert revoked.status_code == 200
    assert key.get(f"/api/v1/accounts/{account['id']}").status_code == 401


def test_an_admin_changes_a_keys_scopes_and_limit_and_the_secret_still_works(api):
    made = api.post(
        "/api/v1/auth/api-keys",
        {"name": "Sync", "scopes": ["read:account"], "rate_limit": 50},
    ).json()
    key = ApiClient(made["token"])
    account = api.post("/api/v1/accounts", {"name": "Acme"}).json()
    url = f"/api/v1/auth/api-keys/{ApiKey.objects.get().pk}"
    changed = api.patch(url, {"scopes": ["write:account"], "rate_limit": 75})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["scopes"], changed.json()["rate_limit"]) == (
        ["write:account"],
        75,
    )
    assert "token" not in changed.json()
    renamed = key.patch(f"/api/v1/accounts/{account['id']}", {"name": "Renamed"})
    assert renamed.status_code == 200
    assert renamed["X-RateLimit-Limit"] == "75"
    assert api.patch(url, {"rate_limit": None}).json()["rate_limit"] is None
    assert api.get(url).json()["name"] == "Sync"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"scopes": []}, "scopes"), ({"rate_limit": 0}, "rate_limit"), ({"x": 1}, "x")],
)
def test_a_bad_key_change_is_400_and_changes_nothing(api, body, field):
    api.post("/api/v1/auth/api-keys", {"name": "Sync", "scopes": ["read:account"]})
    stored = ApiKey.objects.get()
    answer = api.patch(f"/api/v1/auth/api-keys/{stored.pk}", body)
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert field in {error["field"], *(d["field"] for d in error["details"])}
    stored.refresh_from_db()
    assert (stored.scopes, stored.rate_limit) == (["read:account"], None)


def test_a_member_may_not_change_an_api_key(api, member_api):
    api.post("/api/v1/auth/api-keys", {"name": "Sync", "scopes": ["read:account"]})
    url = f"/api/v1/auth/api-keys/{ApiKey.objects.get().pk}"
    assert member_api.patch(url, {"rate_limit": 5}).status_code == 403
    assert ApiKey.objects.get().rate_limit is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/auth/tokens"),
        ("post", "/api/v1/auth/tokens"),
        ("get", "/api/v1/auth/api-keys"),
        ("post", "/api/v1/auth/api-keys"),
    ],
)
def test_an_api_key_may_not_manage_credentials(ctx, method, path):
    _, secret = credentials.issue_api_key(ctx, name="Full", scopes=["write:crm"])
    answer = getattr(ApiClient(secret), method)(
        path, {"name": "x", "scopes": ["write:crm"]} if method == "post" else None
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (
        403,
        "permission_denied",
    )
    assert PersonalAccessToken.objects.count() == 0
    assert ApiKey.objects.count() == 1


def test_only_admins_make_api_keys(member_api):
    answer = member_api.post(
        "/api/v1/auth/api-keys", {"name": "Mine", "scopes": ["read:crm"]}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (
        403,
        "permission_denied",
    )
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    ("scopes", "status", "field"),
    [
        (["admin"], 400, "scopes"),
        (["read:unicorn"], 404, None),
        ([], 400, "scopes"),
        ("read:crm", 201, None),
    ],
)
def test_api_key_scopes_are_checked(api, scopes, status, field):
    answer = api.post("/api/v1/auth/api-keys", {"name": "K", "scopes": scopes})
    assert answer.status_code == status
    if status != 201:
        assert answer.json()["error"]["field"] == field
        assert not ApiKey.objects.exists()


def test_an_api_key_stops_when_its_creator_leaves(ctx, owner):
    _, secret = credentials.issue_api_key(ctx, name="K", scopes=["read:crm"])
    Membership.objects.filter(user=owner).update(is_active=False)
    assert ApiClient(secret).get("/api/v1/metadata/objects").status_code == 401


def test_tokens_in_the_query_string_are_refused(ctx):
    secret = pat(ctx)
    answer = ApiClient().get(f"/api/v1/metadata/objects?access_token={secret}")
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == (
        "Send the token in the Authorization header, never in the URL."
    )


@pytest.mark.parametrize(
    "header", ["Bearer nonsense", "Basic b3duZXI6cGFzcw==", "Bearer ", "Bearer pat_x"]
)
def test_bad_authorization_headers_are_401(ctx, header):
    answer = ApiClient().get(
        "/api/v1/metadata/objects", headers={"Authorization": header}
    )
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == 'Bearer realm="HotCRM", error="invalid_token"'


def test_no_credentials_is_401(anonymous):
    answer = anonymous.get("/api/v1/metadata/objects")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == 'Bearer realm="HotCRM"'
    assert answer.json()["error"]["code"] == "authentication_failed"


def test_the_browser_session_works_with_csrf(owner, workspace):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.get("/api/v1/metadata/objects").status_code == 200
    refused = browser.post(
        "/api/v1/accounts", {"name": "X"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    browser.get("/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/v1/accounts",
        {"name": "X"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 201, accepted.content


def test_a_scoped_pat_cannot_mint_a_wider_one(ctx):
    scoped = ApiClient(pat(ctx, scopes=["read:crm"]))
    answer = scoped.post("/api/v1/auth/tokens", {"name": "Wider"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (
        403,
        "permission_denied",
    )
    assert PersonalAccessToken.objects.count() == 1
    # It still reads.
    assert scoped.get("/api/v1/metadata/objects").status_code == 200


def test_an_inactive_workspace_stops_every_credential(ctx, workspace):
    secret = pat(ctx)
    _, key = credentials.issue_api_key(ctx, name="K", scopes=["read:crm"])
    Workspace.objects.filter(pk=workspace.pk).update(is_active=False)
    for held in (secret, key):
        assert ApiClient(held).get("/api/v1/metadata/objects").status_code == 401


def test_only_the_membership_of_the_credentials_workspace_counts(ctx, owner, other_ctx):
    from accounts import services

    services.add_member(other_ctx.workspace, owner)
    secret = pat(ctx)
    Membership.objects.filter(user=owner, workspace=ctx.workspace).delete()
    answer = ApiClient(secret).get("/api/v1/metadata/objects")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "authentication_failed"


def test_a_pat_authenticates_in_one_query_with_its_membership(
    ctx, member_ctx, django_assert_num_queries
):
    admin, member = ApiClient(pat(ctx)), ApiClient(pat(member_ctx))
    for client in (admin, member):
        client.get("/api/v1/metadata/objects")  # warm up; records the last use
    with django_assert_num_queries(1):  # the token, user, membership, profile
        assert admin.get("/api/v1/metadata/objects").status_code == 200
    with django_assert_num_queries(2):  # and a standard user's grants
        assert member.get("/api/v1/metadata/objects").status_code == 200
