"""The OpenAPI document and its offline explorer."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.test import Client

DOCUMENTED = {
    "/api/v1/{objects}": {"get", "post"},
    "/api/v1/{objects}/query": {"post"},
    "/api/v1/{objects}/aggregate": {"post"},
    "/api/v1/{objects}/count": {"get"},
    "/api/v1/{objects}/sum/{field}": {"get"},
    "/api/v1/{objects}/avg/{field}": {"get"},
    "/api/v1/{objects}/groupby": {"post"},
    "/api/v1/{objects}/bulk": {"post"},
    "/api/v1/query": {"post"},
    "/api/v1/{objects}/{record_id}": {"get", "patch", "put", "delete"},
    "/api/v1/{objects}/{record_id}/restore": {"post"},
    "/api/v1/batch/{object_name}": {"post", "patch", "delete"},
    "/api/v1/auth/token": {"post"},
    "/api/v1/metadata/objects": {"get", "post"},
    "/api/v1/metadata/objects/{name}": {"get"},
}


def test_the_schema_is_openapi_3_and_lists_the_endpoints(db):
    answer = Client().get("/api/schema?format=json")
    assert answer.status_code == 200
    schema = answer.json()
    assert schema["openapi"].startswith("3.")
    for path, methods in DOCUMENTED.items():
        assert set(schema["paths"][path]) >= methods, path
    schemes = schema["components"]["securitySchemes"]
    assert set(schemes) == {"bearerAuth", "oauth2", "sessionAuth"}
    flow = schemes["oauth2"]["flows"]["authorizationCode"]
    assert (flow["authorizationUrl"], flow["tokenUrl"]) == (
        "/oauth/authorize/",
        "/oauth/token/",
    )
    listing = schema["paths"]["/api/v1/{objects}"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert set(params) >= {"fields", "filters", "sort", "limit", "cursor", "offset"}
    assert params["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 200,
    }
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert [set(shape["required"]) for shape in page["oneOf"]] == [
        {"results", "next_cursor", "has_more"},
        {"records", "totalCount", "hasMore", "limit", "offset"},
    ]
    patch = schema["paths"]["/api/v1/{objects}/{record_id}"]["patch"]
    assert {"412", "409"} <= set(patch["responses"])
    assert "If-Match" in {p["name"] for p in patch["parameters"]}
    error = schema["components"]["schemas"]["ErrorEnvelope"]
    assert error["properties"]["error"]["$ref"] == "#/components/schemas/Error"


def test_the_explorer_uses_vendored_assets_only(db):
    page = Client().get("/api/explorer")
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    )
    assert "cdn." not in html
    assert "unpkg" not in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
