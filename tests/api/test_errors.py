"""The error envelope: malformed bodies, wrong media types, unknown paths,
server errors, X-Request-ID."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.test import override_settings
from django.urls import path

from api.common.views import ApiView, deprecated
from crm import records
from crm.models import Account


def _error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert sorted(body) == ["error"]
    assert sorted(body["error"]) == [
        "code",
        "details",
        "field",
        "message",
        "request_id",
    ]
    assert body["error"]["request_id"] == response["X-Request-ID"]
    return body["error"]


def test_malformed_json_is_400_and_writes_nothing(api):
    error = _error(api.post("/api/v1/accounts", raw=b'{"name": "Acme",'), 400)
    assert error["code"] == "validation_failed"
    assert error["message"].startswith("The body is not valid JSON")
    assert not Account.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "Ac\\u0000me"}',
        b'{"na\\u0000me": "Acme"}',
        b'{"name": "Acme", "tags": ["\\u0000"]}',
        b'{"name": "Ac\x00me"}',
    ],
)
def test_nul_characters_are_refused(api, raw):
    error = _error(api.post("/api/v1/accounts", raw=raw), 400)
    assert error["code"] == "validation_failed"
    assert not Account.objects.exists()


@override_settings(API_MAX_BODY_BYTES=1024)
def test_an_oversize_body_is_413(api):
    error = _error(api.post("/api/v1/accounts", {"name": "x" * 2000}), 413)
    assert (error["code"], error["message"]) == (
        "payload_too_large",
        "The request body is larger than 1024 bytes.",
    )
    assert not Account.objects.exists()


def test_a_form_body_is_415(api):
    answer = api.client.post(
        "/api/v1/accounts",
        {"name": "Acme"},
        headers={"Authorization": f"Bearer {api.secret}"},
    )
    error = _error(answer, 415)
    assert error["code"] == "unsupported_media_type"
    assert not Account.objects.exists()


def test_an_unknown_object_is_404(api):
    error = _error(api.post("/api/v1/unicorns", {"name": "x"}), 404)
    assert (error["code"], error["message"]) == (
        "not_found",
        "There is no object called 'unicorns'.",
    )


def test_an_unknown_endpoint_is_404_in_the_envelope(api, anonymous):
    assert _error(api.get("/api/v1/accounts/a/b/c/d"), 404)["code"] == "not_found"
    assert _error(anonymous.get("/api/v2/accounts"), 404)["code"] == "not_found"


def test_an_unsupported_method_is_405(api):
    error = _error(api.delete("/api/v1/metadata/objects"), 405)
    assert error["code"] == "method_not_allowed"
    error = _error(api.post("/api/v1/accounts/acc_0", {}), 405)
    assert error["code"] == "method_not_allowed"


def test_an_unknown_object_is_404_whatever_the_method(api):
    for answer in (
        api.post("/api/v1/widgets/wid_1", {}),
        api.post("/api/v1/ai/briefing", {}),
    ):
        assert _error(answer, 404)["code"] == "not_found"


def test_a_body_that_is_not_an_object_is_400(api):
    error = _error(api.post("/api/v1/accounts", [1, 2]), 400)
    assert (error["code"], error["message"]) == (
        "validation_failed",
        "Send the Account's fields as a JSON object.",
    )


def test_a_server_error_is_logged_and_not_leaked(api, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(records, "create", explode)
    with caplog.at_level(logging.ERROR, logger="api"):
        answer = api.post("/api/v1/accounts", {"name": "Acme"})
    error = _error(answer, 500)
    assert error["code"] == "server_error"
    assert "secret" not in answer.content.decode()
    assert "secret internals" in caplog.text
    assert error["request_id"] in caplog.text


def test_a_sane_request_id_is_echoed_and_a_bad_one_replaced(api):
    mine = api.get("/api/v1/metadata/objects", headers={"X-Request-ID": "abc-12345678"})
    assert mine["X-Request-ID"] == "abc-12345678"
    bad = api.get("/api/v1/metadata/objects", headers={"X-Request-ID": "<script>"})
    assert bad["X-Request-ID"].startswith("req_")
    assert len(bad["X-Request-ID"]) == 36


def test_every_response_has_a_request_id(client, db):
    assert client.get("/healthz")["X-Request-ID"].startswith("req_")


@deprecated(
    since=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    sunset=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    link="https://docs.example/migrate",
)
class _Old(ApiView):
    def get(self, request):
        from rest_framework.response import Response

        return Response({"ok": True})


class _Mixed(ApiView):
    @deprecated()
    def get(self, request):
        from rest_framework.response import Response

        return Response({"ok": True})

    def post(self, request):
        from rest_framework.response import Response

        return Response({"ok": True})


urlpatterns = [path("old", _Old.as_view()), path("mixed", _Mixed.as_view())]


@pytest.mark.urls("tests.api.test_errors")
def test_deprecated_endpoints_say_so_in_headers(api):
    old = api.get("/old")
    assert old.status_code == 200
    assert (old["Deprecation"], old["Sunset"], old["Link"]) == (
        "@1767225600",
        "Fri, 01 Jan 2027 00:00:00 GMT",
        '<https://docs.example/migrate>; rel="deprecation"',
    )
    assert api.get("/mixed")["Deprecation"] == "true"
    assert "Deprecation" not in api.post("/mixed", {})
