"""OAuth 2.0: authorization code + PKCE S256 with Django's test client, refresh
rotation with reuse detection, and the password sign-in of POST /auth/token."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from accounts.models import Membership, OAuthTokenWorkspace
from tests.api.conftest import ApiClient
from tests.conftest import PASSWORD

REDIRECT = "https://client.example/callback"
CLIENT_SECRET = "client-secret-for-tests"


@pytest.fixture
def app(owner):
    return Application.objects.create(
        name="Client",
        user=owner,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
        client_secret=CLIENT_SECRET,
        algorithm="",
    )


@pytest.fixture
def browser(owner, workspace):
    client = Client()
    client.force_login(owner)
    return client


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return verifier, challenge


def _authorize(browser, app, workspace, *, scope="read:account write:account", **extra):
    verifier, challenge = _pkce()
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    page = browser.get("/oauth/authorize", params)
    assert page.status_code == 200, page.content
    form = {**page.context["form"].initial, "allow": "Authorize"}
    form["workspace"] = str(workspace.pk)
    answer = browser.post("/oauth/authorize", {k: v for k, v in form.items() if v})
    assert answer.status_code == 302, answer.content
    location = urlparse(answer["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    return query["code"][0], verifier


def _exchange(code, verifier, app, **extra):
    return Client().post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": app.client_id,
            "client_secret": CLIENT_SECRET,
            "code_verifier": verifier,
            **extra,
        },
    )


def _refresh(app, refresh_token):
    return Client().post(
        "/oauth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": app.client_id,
            "client_secret": CLIENT_SECRET,
        },
    )


def test_the_code_and_pkce_dance_gives_a_token_bound_to_the_chosen_workspace(
    browser, app, workspace, ctx
):
    code, verifier = _authorize(browser, app, workspace)
    answer = _exchange(code, verifier, app)
    assert answer.status_code == 200, answer.content
    tokens = answer.json()
    assert (tokens["expires_in"], tokens["scope"], tokens["token_type"]) == (
        3600,
        "read:account write:account",
        "Bearer",
    )
    stored = AccessToken.objects.get()
    assert stored.token == ""  # hashed at rest: only the checksum is kept
    assert (
        stored.token_checksum
        == hashlib.sha256(tokens["access_token"].encode()).hexdigest()
    )
    assert OAuthTokenWorkspace.objects.get().workspace_id == workspace.pk

    api = ApiClient(tokens["access_token"])
    created = api.post("/api/v1/accounts", {"name": "Via OAuth"})
    assert created.status_code == 201, created.content
    assert api.get(f"/api/v1/accounts/{created.json()['id']}").status_code == 200
    # Scopes name accounts only: contacts are out of reach.
    assert api.post("/api/v1/contacts", {"last_name": "X"}).status_code == 404


def test_a_read_scope_refuses_writes(browser, app, workspace):
    code, verifier = _authorize(browser, app, workspace, scope="read:crm")
    api = ApiClient(_exchange(code, verifier, app).json()["access_token"])
    answer = api.post("/api/v1/accounts", {"name": "Nope"})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_family(
    browser, app, workspace
):
    code, verifier = _authorize(browser, app, workspace)
    first = _exchange(code, verifier, app).json()
    second = _refresh(app, first["refresh_token"])
    assert second.status_code == 200, second.content
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (
        ApiClient(first["access_token"]).get("/api/v1/metadata/objects").status_code
        == 401
    )
    assert (
        ApiClient(second["access_token"]).get("/api/v1/metadata/objects").status_code
        == 200
    )
    # The new token keeps the workspace.
    assert OAuthTokenWorkspace.objects.get().workspace_id == workspace.pk

    replay = _refresh(app, first["refresh_token"])
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    # The whole family is dead: the latest access and refresh tokens too.
    assert (
        ApiClient(second["access_token"]).get("/api/v1/metadata/objects").status_code
        == 401
    )
    assert _refresh(app, second["refresh_token"]).status_code == 400
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()


def test_pkce_is_required_and_plain_is_refused(browser, app):
    base = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "read:crm",
    }
    missing = parse_qs(
        urlparse(browser.get("/oauth/authorize", base)["Location"]).query
    )
    assert (missing["error"], missing["error_description"]) == (
        ["invalid_request"],
        ["Code challenge required."],
    )
    page = browser.get(
        "/oauth/authorize",
        {**base, "code_challenge": "a" * 43, "code_challenge_method": "plain"},
    )
    form = {**page.context["form"].initial, "allow": "Authorize"}
    answer = browser.post("/oauth/authorize", {k: v for k, v in form.items() if v})
    refused = parse_qs(urlparse(answer["Location"]).query)
    assert (refused["error"], refused["error_description"]) == (
        ["invalid_request"],
        ['Unsupported "plain" code_challenge_method; use "S256".'],
    )
    assert not Grant.objects.exists()


def test_a_wrong_verifier_or_redirect_uri_gets_no_token(browser, app, workspace):
    code, _ = _authorize(browser, app, workspace)
    assert _exchange(code, "x" * 50, app).json()["error"] == "invalid_grant"
    code, verifier = _authorize(browser, app, workspace)
    other = _exchange(code, verifier, app, redirect_uri=REDIRECT + "/other")
    assert other.json()["error"] == "invalid_request"
    assert not AccessToken.objects.exists()


def test_an_unregistered_redirect_uri_is_not_redirected_to(browser, app):
    _, challenge = _pkce()
    answer = browser.get(
        "/oauth/authorize",
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": "https://evil.example/callback",
            "scope": "read:crm",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert answer.status_code == 400


@pytest.mark.parametrize("grant_type", ["authorization-code", "implicit"])
def test_the_implicit_grant_is_refused_even_to_an_implicit_client(
    browser, app, grant_type
):
    Application.objects.filter(pk=app.pk).update(authorization_grant_type=grant_type)
    implicit = browser.get(
        "/oauth/authorize",
        {
            "response_type": "token",
            "client_id": app.client_id,
            "redirect_uri": REDIRECT,
            "scope": "read:crm",
        },
    )
    query = parse_qs(urlparse(implicit["Location"]).query)
    assert query["error"] == ["unauthorized_client"]
    assert not AccessToken.objects.exists()


def test_the_password_grant_is_refused(app, owner):
    Application.objects.filter(pk=app.pk).update(authorization_grant_type="password")
    password = Client().post(
        "/oauth/token",
        {
            "grant_type": "password",
            "username": owner.email,
            "password": PASSWORD,
            "client_id": app.client_id,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert (password.status_code, password.json()["error"]) == (
        400,
        "unauthorized_client",
    )
    assert not AccessToken.objects.exists()


def test_a_deactivated_membership_stops_its_oauth_token(browser, app, workspace, owner):
    code, verifier = _authorize(browser, app, workspace)
    api = ApiClient(_exchange(code, verifier, app).json()["access_token"])
    assert api.get("/api/v1/metadata/objects").status_code == 200
    Membership.objects.filter(user=owner).update(is_active=False)
    answer = api.get("/api/v1/metadata/objects")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == 'Bearer realm="HotCRM", error="invalid_token"'


def test_a_revoked_access_token_is_refused(browser, app, workspace):
    code, verifier = _authorize(browser, app, workspace)
    tokens = _exchange(code, verifier, app).json()
    api = ApiClient(tokens["access_token"])
    assert api.get("/api/v1/metadata/objects").status_code == 200
    revoked = Client().post(
        "/oauth/revoke_token",
        {
            "token": tokens["access_token"],
            "client_id": app.client_id,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert revoked.status_code == 200
    assert api.get("/api/v1/metadata/objects").status_code == 401


def test_the_consent_screen_offers_only_the_users_workspaces(
    browser, app, workspace, other_ctx
):
    _, challenge = _pkce()
    page = browser.get(
        "/oauth/authorize",
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": REDIRECT,
            "scope": "read:crm",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert page.context["form"].fields["workspace"].choices == [
        (str(workspace.pk), "Acme Inc")
    ]
    assert b"Read every object you can read" in page.content
    form = {**page.context["form"].initial, "allow": "Authorize"}
    form["workspace"] = str(other_ctx.workspace.pk)  # not theirs
    answer = browser.post("/oauth/authorize", {k: v for k, v in form.items() if v})
    assert answer.status_code == 200  # the form again, with an error
    assert not Grant.objects.exists()
