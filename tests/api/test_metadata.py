"""GET /api/v1/metadata/objects[/{name}] and the admin writes."""

from __future__ import annotations

from crm.metadata import services as metadata
from crm.models import FieldDefinition, ObjectDefinition


def test_objects_lists_standard_and_custom_objects(api, project):
    objects = api.get("/api/v1/metadata/objects").json()["objects"]
    names = [o["name"] for o in objects]
    assert names[:4] == ["account", "contact", "lead", "opportunity"]
    assert names[-1] == "project"
    assert objects[0] == {
        "name": "account",
        "label": "Account",
        "label_plural": "Accounts",
        "plural": "accounts",
        "prefix": "acc",
        "is_custom": False,
        "hubspot_type_id": "0-2",
    }


def test_an_object_describes_fields_relationships_rules_and_pipelines(api, ctx):
    metadata.create_validation_rule(
        ctx,
        "opportunity",
        name="Amount in negotiation",
        condition=[["stage", "=", "negotiation"], ["amount", "is_null"]],
        error_message="Amount is required when moving to Negotiation",
        error_field="amount",
    )
    body = api.get("/api/v1/metadata/objects/opportunities").json()
    assert body["name"] == "opportunity"
    fields = {f["field"]: f for f in body["fields"]}
    assert fields["account"]["name"] == "account_id"
    assert (fields["account"]["type"], fields["account"]["target"]) == (
        "lookup",
        "account",
    )
    assert fields["id"]["read_only"] is True
    lookups = {r["name"]: r for r in body["relationships"] if r["kind"] == "lookup"}
    assert lookups["account"] == {
        "kind": "lookup",
        "name": "account",
        "field": "account_id",
        "object": "account",
        "on_delete": "cascade",
    }
    children = {r["object"] for r in body["relationships"] if r["kind"] == "child"}
    assert "opportunity_line_item" in children
    assert body["validationRules"] == [
        {
            "name": "Amount in negotiation",
            "condition": [["stage", "=", "negotiation"], ["amount", "is_null"]],
            "message": "Amount is required when moving to Negotiation",
            "field": "amount",
        }
    ]
    stages = [s["key"] for s in body["pipelines"][0]["stages"]]
    assert stages == [
        "prospecting",
        "qualification",
        "proposal",
        "negotiation",
        "closed_won",
        "closed_lost",
    ]


def test_an_admin_creates_a_custom_object_and_field(api):
    made = api.post(
        "/api/v1/metadata/objects", {"apiName": "vehicle", "label": "Vehicle"}
    )
    assert made.status_code == 201, made.content
    assert (made.json()["name"], made.json()["plural"]) == ("vehicle", "vehicles")
    field = api.post(
        "/api/v1/metadata/objects/vehicles/fields",
        {"name": "wheels", "label": "Wheels", "type": "number", "required": True},
    )
    assert field.status_code == 201, field.content
    assert (field.json()["name"], field.json()["required"]) == ("wheels", True)
    record = api.post("/api/v1/vehicles", {"name": "Van", "wheels": 4})
    assert (record.status_code, record.json()["wheels"]) == (201, 4)
    removed = api.delete("/api/v1/metadata/objects/vehicles/fields/wheels")
    assert removed.status_code == 200
    assert not FieldDefinition.objects.filter(name="wheels").exists()


def test_metadata_writes_are_for_admins_only(member_api):
    answer = member_api.post(
        "/api/v1/metadata/objects", {"api_name": "vehicle", "label": "Vehicle"}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (
        403,
        "permission_denied",
    )
    assert not ObjectDefinition.objects.exists()


def test_a_bad_metadata_body_is_400(api):
    answer = api.post("/api/v1/metadata/objects", {"api_name": 5, "label": "X"})
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "api_name"
    answer = api.post("/api/v1/metadata/objects", {"api_name": "x", "label": "X"})
    assert answer.json()["error"]["field"] == "api_name"
    assert not ObjectDefinition.objects.exists()


def test_an_unknown_object_has_no_metadata(api):
    assert api.get("/api/v1/metadata/objects/unicorns").status_code == 404
