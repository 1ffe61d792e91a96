"""Fixtures for the API tests: clients that send a personal access token, and
one standard and one custom object to run every endpoint against."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import credentials
from api.common import renderers
from crm.metadata import services as metadata

#: The endpoints' objects: one standard, one custom (``project``).
OBJECTS = ("accounts", "projects")


class ApiClient:
    """Django's test client speaking JSON with a Bearer secret."""

    def __init__(self, secret: str | None = None) -> None:
        self.client = Client()
        self.secret = secret

    def _headers(self, headers):
        out = dict(headers or {})
        if self.secret:
            out.setdefault("Authorization", f"Bearer {self.secret}")
        return out

    def request(self, method, path, data=None, *, headers=None, raw=None, **extra):
        body = raw if raw is not None else (None if data is None else _json(data))
        kwargs = {"headers": self._headers(headers), **extra}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path, data=None, **kw):
        return self.request("get", path, **kw)

    def post(self, path, data=None, **kw):
        return self.request("post", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self.request("patch", path, data, **kw)

    def put(self, path, data=None, **kw):
        return self.request("put", path, data, **kw)

    def delete(self, path, data=None, **kw):
        return self.request("delete", path, data, **kw)


def _json(data) -> bytes:
    return renderers.dumps(data)


def pat(ctx, **kwargs) -> str:
    """A new personal access token's secret for the context's user."""
    _, secret = credentials.issue_pat(ctx, name=kwargs.pop("name", "tests"), **kwargs)
    return secret


@pytest.fixture
def api(ctx):
    """The workspace admin, through a personal access token."""
    return ApiClient(pat(ctx))


@pytest.fixture
def member_api(member_ctx):
    return ApiClient(pat(member_ctx))


@pytest.fixture
def other_api(other_ctx):
    return ApiClient(pat(other_ctx))


@pytest.fixture
def anonymous():
    return ApiClient()


@pytest.fixture
def project(ctx):
    """A custom object with a field of each kind the API must type-check."""
    metadata.create_object(ctx, api_name="project", label="Project")
    for name, kind, extra in (
        ("budget", "number", {}),
        ("is_active", "boolean", {}),
        ("starts_on", "date", {}),
        ("phase", "picklist", {"choices": ["Plan", "Build", "Run"]}),
        ("tags", "multi_picklist", {"choices": ["red", "blue"]}),
        ("account", "lookup", {"target": "account"}),
    ):
        metadata.create_field(
            ctx, "project", name=name, label=name.title(), type=kind, **extra
        )
    return "project"


@pytest.fixture(params=OBJECTS)
def objects(request, project):
    """Each endpoint runs for a standard object and a custom one."""
    return request.param


#: A valid body per object of ``OBJECTS``; a change to apply to it (body, key,
#: value) and what the key holds after a full replace that leaves it out.
BODIES = {
    "accounts": {"name": "Acme", "AnnualRevenue": 5000000, "Industry": "Technology"},
    "projects": {"name": "Apollo", "budget": 1200.5, "is_active": True},
}
CHANGES = {
    "accounts": ({"Phone": "+1-555-0199"}, "phone", "+1-555-0199", ""),
    "projects": ({"budget": 99}, "budget", 99, None),
}
