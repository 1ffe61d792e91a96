"""Full-text search across objects, and ``query`` text within one object."""

from __future__ import annotations

import pytest

from crm import query, records
from crm.metadata import services as metadata
from crm.models import ObjectSharing
from crm.query import Query


@pytest.fixture
def corpus(ctx):
    metadata.create_field(ctx, "account", name="motto", label="Motto", type="text")
    metadata.create_object(ctx, api_name="project", label="Project")
    acme = records.create(
        ctx, "account", data={"name": "Acme Rockets", "motto": "Up and away"}
    )
    records.create(ctx, "account", data={"name": "Initech", "phone": "+1 555 0100"})
    records.create(
        ctx,
        "contact",
        data={
            "first_name": "Wile",
            "last_name": "Coyote",
            "email": "wile@acme.example",
        },
    )
    records.create(ctx, "project", data={"name": "Rocket skates"})
    return acme


def _hits(ctx, text, **kwargs):
    return sorted((hit.object, hit.name) for hit in query.search(ctx, text, **kwargs))


def test_search_finds_prefixes_across_objects(ctx, corpus):
    assert _hits(ctx, "rock") == [
        ("account", "Acme Rockets"),
        ("project", "Rocket skates"),
    ]
    assert _hits(ctx, "coyo") == [("contact", "Wile Coyote")]


def test_search_needs_every_word(ctx, corpus):
    assert _hits(ctx, "acme rock") == [("account", "Acme Rockets")]
    assert _hits(ctx, "acme initech") == []


def test_search_reads_custom_fields_and_emails(ctx, corpus):
    assert _hits(ctx, "away") == [("account", "Acme Rockets")]
    assert ("contact", "Wile Coyote") in _hits(ctx, "wile@acme")


def test_search_can_be_limited_to_some_objects(ctx, corpus):
    assert _hits(ctx, "rock", objects=["projects"]) == [("project", "Rocket skates")]


def test_search_respects_visibility_and_tenancy(ctx, member_ctx, other_ctx, corpus):
    ObjectSharing.objects.create(
        workspace=ctx.workspace, object_name="account", access="private"
    )
    assert _hits(ctx, "rock") == [
        ("account", "Acme Rockets"),
        ("project", "Rocket skates"),
    ]
    # The rep owns no account, and their profile does not grant the project.
    assert _hits(member_ctx, "rock") == []
    mine = records.create(member_ctx, "account", data={"name": "Rocky Road"})
    assert _hits(member_ctx, "rock") == [("account", mine.name)]
    assert _hits(other_ctx, "rock") == []


def test_search_ignores_punctuation_only_text(ctx, corpus):
    assert query.search(ctx, "  '&|!  ") == []


def test_a_query_can_search_within_one_object(ctx, corpus):
    page = query.page(
        ctx, Query.from_json(ctx, "accounts", {"query": "ACME", "fields": ["name"]})
    )
    assert [row["name"] for row in page.rows] == ["Acme Rockets"]


def _index_name(statement: str) -> str:
    return statement.split(" ON ")[0].rsplit(" ", 1)[1]


def test_the_migrated_search_indexes_match_the_engines_documents():
    """0002 made the indexes; a later migration that changes a document
    rebuilds its index (0008: the case number)."""
    import importlib

    from crm import models as crm_models
    from crm.query import fulltext

    migrated = {}
    for name in ("0002_query_sharing_indexes", "0008_rollups_and_numbers"):
        migration = importlib.import_module(f"crm.migrations.{name}")
        migrated |= {_index_name(sql): sql for sql in migration.SEARCH_INDEXES}
    models = (*crm_models.STANDARD_MODELS, crm_models.CustomRecord)
    engine = {_index_name(sql): sql for sql in map(fulltext.index_sql, models)}
    assert engine == migrated


def test_search_matches_custom_field_values_never_their_names(ctx):
    metadata.create_field(
        ctx, "account", name="tier_level", label="Tier level", type="text"
    )
    metadata.create_field(
        ctx,
        "account",
        name="segment",
        label="Segment",
        type="picklist",
        choices=["Enterprise", "Midmarket"],
    )
    metadata.create_field(ctx, "account", name="seats", label="Seats", type="number")
    records.create(ctx, "account", data={"name": "Acme", "tier_level": "Gold"})
    records.create(
        ctx, "account", data={"name": "Initech", "segment": "Enterprise", "seats": 42}
    )
    metadata.create_object(ctx, api_name="project", label="Project")
    metadata.create_field(ctx, "project", name="tier_note", label="Note", type="text")
    records.create(ctx, "project", data={"name": "Apollo", "tier_note": "Platinum"})

    assert _hits(ctx, "tier") == []
    assert _hits(ctx, "segment") == []
    assert _hits(ctx, "gold") == [("account", "Acme")]
    assert _hits(ctx, "enterprise") == [("account", "Initech")]
    assert _hits(ctx, "platinum") == [("project", "Apollo")]
    assert _hits(ctx, "acme gold") == [("account", "Acme")]
    assert _hits(ctx, "acme enterprise") == []
