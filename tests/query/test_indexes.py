"""Expression indexes on indexed custom fields, and explain (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts import errors
from crm import query, records
from crm.metadata import registry
from crm.metadata import services as metadata
from crm.query import Query, indexes, reads

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="expression indexes are PostgreSQL's"
)


def _index_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'hotcrm_cf_%'"
        )
        return {row[0] for row in cursor.fetchall()}


@postgres_only
@pytest.mark.parametrize(
    "field_type", ["number", "text", "date", "datetime", "multi_picklist"]
)
def test_an_indexed_custom_field_gets_an_index_the_planner_uses(
    ctx, field_type, django_capture_on_commit_callbacks
):
    options = {"choices": ["A", "B"]} if field_type == "multi_picklist" else {}
    with django_capture_on_commit_callbacks(execute=True):
        metadata.create_field(
            ctx,
            "opportunity",
            name="score",
            label="Score",
            type=field_type,
            indexed=True,
            **options,
        )
    name = indexes.name_for(ctx.workspace.pk, "opportunity", "score")
    assert name in _index_names()
    value = {
        "number": 5,
        "text": "x",
        "date": "2026-01-01",
        "datetime": "2026-01-01T00:00:00Z",
        "multi_picklist": "a",
    }[field_type]
    op = "contains" if field_type == "multi_picklist" else "="
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        definition = cursor.fetchone()[0]
    if field_type == "multi_picklist":
        # An empty table's statistics never favour a GIN bitmap scan; check the
        # index is on the very expression the compiler emits instead.
        assert "USING gin (((custom -> 'score'::text)))" in definition
        return
    q = Query.from_json(ctx, "opportunity", {"filters": [["score", op, value]]})
    plan = reads.base(ctx, q).values("pk").explain()
    assert name in plan


@postgres_only
def test_an_index_is_built_for_a_custom_object_too(
    ctx, django_capture_on_commit_callbacks
):
    metadata.create_object(ctx, api_name="project", label="Project")
    with django_capture_on_commit_callbacks(execute=True):
        metadata.create_field(
            ctx, "project", name="budget", label="Budget", type="currency", indexed=True
        )
    project = registry.get(ctx, "project")
    sql = indexes.statement(
        ctx.workspace, project, project.fields["budget"], concurrently=True
    )
    assert sql.startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS hotcrm_cf_")
    assert f"definition_id = {project.definition_id}" in sql
    assert indexes.name_for(ctx.workspace.pk, "project", "budget") in _index_names()


def test_a_field_not_marked_indexed_gets_no_index(
    ctx, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        metadata.create_field(
            ctx, "account", name="plain", label="Plain", type="number"
        )
    assert callbacks == []
    assert indexes.ensure(ctx.workspace, "account", "plain") is False


def test_explain_returns_sql_and_plan_for_admins_only(ctx, member_ctx):
    records.create(ctx, "account", data={"name": "Acme"})
    payload = {"filters": [["name", "=", "Acme"]], "explain": True}
    page = query.page(ctx, Query.from_json(ctx, "account", payload))
    assert "Acme" in page.explain["sql"]
    assert page.explain["plan"]
    with pytest.raises(errors.PermissionDenied):
        query.page(member_ctx, Query.from_json(member_ctx, "account", payload))
