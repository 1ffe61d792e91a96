"""``/api/v1/webhooks…`` over HTTP: both documents' bodies, the secret shown
once, validation, tenancy, ownership, scopes, the delivery log and replays."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts import credentials
from crm import records
from tests.api.conftest import ApiClient, pat
from tests.webhooks.conftest import pump
from webhooks import signing
from webhooks.models import Delivery, Subscription


@pytest.fixture
def api(ctx):
    return ApiClient(pat(ctx))


def _create(api, receiver, **extra):
    body = {
        "name": "stripe-sync-on-contract-active",
        "object": "crm_contract",
        "events": ["updated"],
        "filter": [["status", "=", "activated"]],
        "url": receiver.url,
        "secret": "shhh",
        "auth": {"type": "hmac_sha256", "header": "X-Signature"},
        **extra,
    }
    return api.post("/api/v1/webhooks", body)


def test_the_first_documents_example_subscribes_and_shows_the_secret_once(
    api, receiver
):
    answer = _create(api, receiver)
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["id"].startswith("whk_")
    assert answer["Location"] == f"/api/v1/webhooks/{body['id']}"
    assert body["secret"] == "shhh"
    assert body["object"] == "contract"
    assert body["events"] == ["updated"]
    assert body["filter"] == [["status", "=", "activated"]]
    assert body["auth"] == {"type": "hmac_sha256", "header": "X-Signature"}
    assert body["is_active"] is True
    shown = api.get(f"/api/v1/webhooks/{body['id']}").json()
    assert "secret" not in shown
    listed = api.get("/api/v1/webhooks").json()["results"]
    assert [w["id"] for w in listed] == [body["id"]]
    assert "secret" not in listed[0]


def test_the_second_documents_example_is_accepted_with_its_event_names(api):
    answer = api.post(
        "/api/v1/webhooks",
        {
            "name": "Opportunity Webhook",
            "object": "Opportunity",
            "events": ["create", "update"],
            "url": "https://93.184.215.14/webhooks/opportunity",
            "secret": "webhook_secret_key",
        },
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["object"] == "opportunity"
    assert body["events"] == ["created", "updated"]
    assert body["secret"] == "webhook_secret_key"
    deleted = api.delete(f"/api/v1/webhooks/{body['id']}")
    assert deleted.json() == {
        "success": True,
        "message": "Webhook deleted successfully",
    }
    assert api.get(f"/api/v1/webhooks/{body['id']}").status_code == 404


def test_without_a_secret_one_of_32_random_bytes_is_generated(api, receiver):
    body = _create(api, receiver, secret=None).json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(signing.standard_key(secret)) == 32
    other = _create(api, receiver, secret=None).json()["secret"]
    assert other != secret


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"object": "spaceship"}, "object"),
        ({"events": ["exploded"]}, "events"),
        ({"events": []}, "events"),
        ({"filter": [["no_such_field", "=", 1]]}, "filter"),
        ({"filter": [["status", "between", 1]]}, "filter"),
        ({"filter": [["account.name", "=", "x"]]}, "filter"),
        ({"url": "ftp://example.com"}, "url"),
        ({"name": ""}, "name"),
        ({"auth": {"type": "basic"}}, "auth"),
        ({"auth": {"type": "hmac_sha256", "header": "webhook-id"}}, "auth"),
        ({"secret": ""}, "secret"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field(api, receiver, change, field):
    answer = _create(api, receiver, **change)
    assert answer.status_code == 400, answer.json()
    assert answer.json()["error"]["field"] == field
    assert not Subscription.objects.exists()


def test_patch_changes_fields_and_revalidates_the_filter(api, receiver):
    hook = _create(api, receiver).json()
    path = f"/api/v1/webhooks/{hook['id']}"
    changed = api.patch(path, {"events": ["updated", "deleted"], "name": "Renamed"})
    assert changed.status_code == 200
    assert changed.json()["events"] == ["updated", "deleted"]
    assert changed.json()["name"] == "Renamed"
    refused = api.patch(path, {"object": "account"})  # status is no account field
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "filter"
    moved = api.patch(path, {"object": "account", "filter": [["name", "=", "Acme"]]})
    assert moved.json()["object"] == "account"
    assert api.patch(path, {"secret": "new"}).status_code == 400


def test_turning_off_and_on_keeps_and_clears_the_reason(api, receiver):
    hook = _create(api, receiver).json()
    path = f"/api/v1/webhooks/{hook['id']}"
    off = api.patch(path, {"is_active": False}).json()
    assert off["is_active"] is False
    assert off["disabled_reason"]
    on = api.patch(path, {"is_active": True}).json()
    assert on["is_active"] is True
    assert on["disabled_reason"] is None


def test_rotating_the_secret_signs_with_both_during_the_overlap(
    ctx, api, receiver, contract
):
    hook = _create(api, receiver, filter=None).json()
    rotated = api.post(f"/api/v1/webhooks/{hook['id']}/rotate_secret", {})
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new.startswith("whsec_")
    assert new != "shhh"
    assert rotated.json()["previous_secret_expires_at"]
    records.update(ctx, "contract", contract.pk, data={"status": "in_approval"})
    pump()
    [got] = receiver.wait_for(1)
    for secret in ("shhh", new):
        receiver.secret = secret
        assert signing.verify(got.headers["x-signature"], got.body, secret)
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Subscription.objects.update(
        previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    records.update(ctx, "contract", contract.pk, data={"status": "activated"})
    pump()
    second = receiver.wait_for(2)[1]
    assert signing.verify(second.headers["x-signature"], second.body, new)
    assert not signing.verify(second.headers["x-signature"], second.body, "shhh")


def test_another_workspaces_webhook_and_delivery_ids_are_not_found(
    api, other_ctx, receiver
):
    hook = _create(api, receiver).json()
    other = ApiClient(pat(other_ctx))
    since = {"since": "2026-01-01T00:00:00Z"}
    for method, path, body in (
        ("get", f"/api/v1/webhooks/{hook['id']}", None),
        ("patch", f"/api/v1/webhooks/{hook['id']}", {"name": "Mine now"}),
        ("delete", f"/api/v1/webhooks/{hook['id']}", None),
        ("post", f"/api/v1/webhooks/{hook['id']}/rotate_secret", {}),
        ("get", f"/api/v1/webhooks/{hook['id']}/deliveries", None),
        ("post", f"/api/v1/webhooks/{hook['id']}/replay", since),
    ):
        answer = getattr(other, method)(path, body)
        assert answer.status_code == 404, (method, path)
        assert answer.json()["error"]["code"] == "not_found"
    assert other.get("/api/v1/webhooks").json() == {"results": []}
    assert Subscription.objects.get().name == "stripe-sync-on-contract-active"


def test_members_see_their_own_webhooks_and_admins_all(ctx, member_ctx, receiver):
    admin, member = ApiClient(pat(ctx)), ApiClient(pat(member_ctx))
    mine = _create(member, receiver).json()
    theirs = _create(admin, receiver).json()
    assert [w["id"] for w in member.get("/api/v1/webhooks").json()["results"]] == [
        mine["id"]
    ]
    assert member.get(f"/api/v1/webhooks/{theirs['id']}").status_code == 404
    listed = admin.get("/api/v1/webhooks").json()["results"]
    assert {w["id"] for w in listed} == {mine["id"], theirs["id"]}


def test_a_read_only_credential_may_list_but_not_subscribe(ctx, receiver):
    _, secret = credentials.issue_api_key(ctx, name="Reader", scopes=["read:crm"])
    reader = ApiClient(secret)
    assert reader.get("/api/v1/webhooks").status_code == 200
    answer = _create(reader, receiver)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"


def test_an_object_the_caller_may_not_read_cannot_be_watched(ctx, receiver):
    _, secret = credentials.issue_api_key(ctx, name="Deals", scopes=["write:account"])
    answer = _create(ApiClient(secret), receiver)
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "object"


def test_anonymous_calls_are_refused(receiver, db):
    answer = Client().get("/api/v1/webhooks")
    assert answer.status_code == 401


def test_the_delivery_log_pages_newest_first_and_replays(
    ctx, api, other_ctx, receiver, django_capture_on_commit_callbacks
):
    hook = _create(
        api, receiver, object="account", events=["created"], filter=None
    ).json()
    receiver.answer(400, 400, 400)
    for name in ("One", "Two", "Three"):
        records.create(ctx, "account", data={"name": name})
    pump()
    path = f"/api/v1/webhooks/{hook['id']}/deliveries"
    first = api.get(path, headers={}, QUERY_STRING="limit=2").json()
    assert len(first["results"]) == 2
    assert first["has_more"] is True
    second = api.get(path, QUERY_STRING=f"limit=2&cursor={first['next_cursor']}").json()
    assert len(second["results"]) == 1
    assert second["has_more"] is False
    rows = first["results"] + second["results"]
    assert [r["id"] for r in rows] == [
        f"dlv_{pk.hex}"
        for pk in Delivery.objects.order_by("-pk").values_list("pk", flat=True)
    ]
    row = rows[0]
    assert row["status"] == "failed"
    assert row["response_status"] == 400
    assert row["attempts"] == 1
    assert row["event"] == "account.created"
    assert row["event_id"].startswith("ev_")
    failed = api.get(path, QUERY_STRING="status=failed").json()["results"]
    assert len(failed) == 3
    assert api.get(path, QUERY_STRING="cursor=forged").status_code == 400
    replay = f"/api/v1/webhooks/deliveries/{row['id']}/replay"
    assert ApiClient(pat(other_ctx)).post(replay).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        replayed = api.post(replay)
    assert replayed.status_code == 202
    assert replayed.json()["status"] == "pending"
    assert Delivery.objects.get(pk=row["id"][4:]).status == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        all_failed = api.post(
            f"/api/v1/webhooks/{hook['id']}/replay", {"since": "2020-01-01T00:00:00Z"}
        )
    assert all_failed.status_code == 202
    assert all_failed.json() == {"replayed": 2}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_replaying_needs_an_active_webhook(ctx, api, receiver):
    hook = _create(api, receiver).json()
    api.patch(f"/api/v1/webhooks/{hook['id']}", {"is_active": False})
    answer = api.post(
        f"/api/v1/webhooks/{hook['id']}/replay", {"since": "2020-01-01T00:00:00Z"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "is_active"


def test_the_routes_are_in_the_openapi_schema(db):
    schema = Client().get("/api/schema?format=json").json()
    expected = {
        "/api/v1/webhooks": {"get", "post"},
        "/api/v1/webhooks/{webhook_id}": {"get", "patch", "delete"},
        "/api/v1/webhooks/{webhook_id}/rotate_secret": {"post"},
        "/api/v1/webhooks/{webhook_id}/deliveries": {"get"},
        "/api/v1/webhooks/{webhook_id}/replay": {"post"},
        "/api/v1/webhooks/deliveries/{delivery_id}/replay": {"post"},
        "/api/v1/events": {"get", "post"},
    }
    for path, methods in expected.items():
        assert set(schema["paths"][path]) >= methods, path


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_change_over_the_api_is_delivered_on_commit(
    ctx, api, receiver
):
    hook = _create(api, receiver, object="accounts", events=["created"], filter=None)
    assert hook.status_code == 201
    receiver.secret = hook.json()["secret"]
    made = api.post("/api/v1/accounts", {"name": "Acme", "Industry": "Technology"})
    assert made.status_code == 201
    [got] = receiver.wait_for(1)
    assert got.payload["record_id"] == made.json()["id"]
    assert got.payload["after"]["industry"] == "technology"  # the choice value
    assert got.x_signature_ok
    assert got.standard_ok
    assert Delivery.objects.get().status == "succeeded"
