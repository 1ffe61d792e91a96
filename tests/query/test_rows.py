"""Rows as ``page`` and ``get`` give them: JSON-ready by default; with
``uuids=True`` the record's id and its lookup columns stay ``UUID`` objects
(for adapters that render ids themselves), everything else the same."""

from __future__ import annotations

from uuid import UUID

from crm import query, records
from crm.query import Query

PAYLOAD = {
    "fields": ["name", "annual_revenue", "owner", "parent_account.name"],
    "expand": ["parent_account", "opportunities"],
    "sort": "name",
}


def _made(ctx):
    holding = records.create(ctx, "account", data={"name": "Holding"})
    acme = records.create(
        ctx,
        "account",
        data={
            "name": "Acme",
            "annual_revenue": "1200.50",
            "parent_account": holding.pk,
        },
    )
    for n in range(2):
        records.create(
            ctx,
            "opportunity",
            data={"name": f"Deal {n}", "close_date": "2026-05-01", "account": acme.pk},
        )
    return holding, acme


def _as_text(row):
    return {
        key: str(value) if isinstance(value, UUID) else value
        for key, value in row.items()
    }


def test_uuids_keep_ids_and_lookup_columns_as_uuid_objects(ctx):
    holding, acme = _made(ctx)
    found = Query.from_json(ctx, "account", PAYLOAD)
    plain = query.page(ctx, found).rows
    raw = query.page(ctx, found, uuids=True).rows
    assert [_as_text(row) for row in raw] == plain
    first = raw[0]
    assert first["id"] == first.pk == acme.pk == plain[0].pk
    assert first["owner"] == ctx.user.pk
    assert first["annual_revenue"] == 1200.5
    assert first["parent_account.name"] == "Holding"
    assert first["parent_account"]["id"] == str(holding.pk)  # expansions: text
    assert sorted(o["name"] for o in first["opportunities"]) == ["Deal 0", "Deal 1"]
    assert raw[1]["opportunities"] == []
    assert isinstance(plain[0]["id"], str)
    assert plain[0]["owner"] == str(ctx.user.pk)


def test_get_with_uuids_reads_the_same_record(ctx):
    _, acme = _made(ctx)
    plain = query.get(ctx, "account", acme.pk)
    raw = query.get(ctx, "account", acme.pk, uuids=True)
    assert _as_text(raw) == plain
    assert (raw["id"], raw["owner"]) == (acme.pk, ctx.user.pk)
