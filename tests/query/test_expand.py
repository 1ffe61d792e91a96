"""Dot paths through lookups and expansions of lookups and child lists."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts import access, errors
from crm import query, records
from crm.metadata import services as metadata
from crm.query import Query

DAY = dt.date(2026, 3, 1)


@pytest.fixture
def tree(ctx):
    """Holding ← Acme ← Deal; Acme has two contacts and three opportunities."""
    holding = records.create(
        ctx, "account", data={"name": "Holding", "industry": "finance"}
    )
    acme = records.create(
        ctx, "account", data={"name": "Acme", "parent_account": holding.pk}
    )
    contacts = [
        records.create(
            ctx,
            "contact",
            data={"first_name": f"C{n}", "last_name": "Doe", "account": acme.pk},
        )
        for n in range(2)
    ]
    deals = [
        records.create(
            ctx,
            "opportunity",
            data={
                "name": f"Deal {n}",
                "account": acme.pk,
                "amount": 100 * (n + 1),
                "close_date": DAY,
                "stage": "closed_won" if n == 2 else "prospecting",
            },
        )
        for n in range(3)
    ]
    return {"holding": holding, "acme": acme, "contacts": contacts, "deals": deals}


def _page(ctx, object_name, payload):
    return query.page(ctx, Query.from_json(ctx, object_name, payload))


def test_fields_follow_lookups_three_levels_deep(ctx, tree):
    contact = tree["contacts"][0]
    records.update(
        ctx, "contact", contact.pk, data={"reports_to": tree["contacts"][1].pk}
    )
    page = _page(
        ctx,
        "opportunity",
        {
            "fields": [
                "name",
                "Account.Name",
                "account.parent_account.name",
                "owner.name",
            ],
            "filters": [["name", "=", "Deal 0"]],
        },
    )
    assert page.rows == [
        {
            "id": str(tree["deals"][0].pk),
            "name": "Deal 0",
            "account.name": "Acme",
            "account.parent_account.name": "Holding",
            "owner.name": "Olivia Owner",
        }
    ]
    deep = _page(
        ctx,
        "opportunity",
        {"fields": ["account.parent_account.parent_account.name"], "limit": 1},
    )
    assert deep.rows[0]["account.parent_account.parent_account.name"] is None


def test_a_path_deeper_than_three_lookups_is_refused(ctx):
    path = "account.parent_account.parent_account.parent_account.name"
    with pytest.raises(errors.ValidationFailed, match="more than 3 lookups") as info:
        Query.from_json(ctx, "opportunity", {"fields": [path]})
    assert info.value.field == path


def test_a_path_through_a_non_lookup_is_refused(ctx):
    with pytest.raises(errors.ValidationFailed, match="not a lookup") as info:
        Query.from_json(ctx, "opportunity", {"fields": ["name.length"]})
    assert info.value.field == "name.length"


def test_filters_and_sorts_follow_lookups(ctx, tree):
    other = records.create(ctx, "account", data={"name": "Zeta"})
    records.create(
        ctx,
        "opportunity",
        data={"name": "Zeta deal", "account": other.pk, "close_date": DAY},
    )
    page = _page(
        ctx,
        "opportunity",
        {
            "filters": [["account.parent_account.industry", "=", "finance"]],
            "fields": ["name"],
            "sort": "name",
        },
    )
    assert [r["name"] for r in page.rows] == ["Deal 0", "Deal 1", "Deal 2"]
    by_account = _page(
        ctx, "opportunity", {"fields": ["name"], "sort": ["-account.name", "name"]}
    )
    assert [r["name"] for r in by_account.rows] == [
        "Zeta deal",
        "Deal 0",
        "Deal 1",
        "Deal 2",
    ]


def test_paths_follow_lookups_stored_in_json(ctx, tree):
    metadata.create_field(
        ctx,
        "opportunity",
        name="partner",
        label="Partner",
        type="lookup",
        target="account",
    )
    records.update(
        ctx, "opportunity", tree["deals"][1].pk, data={"partner": tree["holding"].pk}
    )
    page = _page(
        ctx,
        "opportunity",
        {
            "fields": ["name", "partner.name"],
            "filters": [["partner.industry", "=", "finance"]],
        },
    )
    assert page.rows == [
        {"id": str(tree["deals"][1].pk), "name": "Deal 1", "partner.name": "Holding"}
    ]


def test_expand_inlines_lookup_targets_and_child_lists(ctx, tree):
    payload = {
        "fields": ["name"],
        "filters": [["name", "=", "Acme"]],
        "expand": [
            {"name": "parent_account", "fields": ["name", "industry"]},
            "owner",
            {
                "name": "opportunities",
                "fields": ["name", "amount"],
                "sort": "-amount",
                "limit": 2,
            },
        ],
        "related": {"Contacts": {"fields": ["FirstName"], "sort": "first_name"}},
    }
    row = _page(ctx, "account", payload).rows[0]
    assert row == {
        "id": str(tree["acme"].pk),
        "name": "Acme",
        "parent_account": {
            "id": str(tree["holding"].pk),
            "name": "Holding",
            "industry": "finance",
        },
        "owner": {
            "id": str(ctx.user_id),
            "name": "Olivia Owner",
            "email": "owner@example.com",
        },
        "opportunities": [
            {"id": str(tree["deals"][2].pk), "name": "Deal 2", "amount": 300},
            {"id": str(tree["deals"][1].pk), "name": "Deal 1", "amount": 200},
        ],
        "contacts": [
            {"id": str(tree["contacts"][0].pk), "first_name": "C0"},
            {"id": str(tree["contacts"][1].pk), "first_name": "C1"},
        ],
    }


def test_child_lists_apply_their_own_filters(ctx, tree):
    payload = {
        "fields": ["name"],
        "filters": [["name", "=", "Acme"]],
        "related": {
            "Opportunities": {
                "fields": ["Name"],
                "filters": [["IsClosed", "=", False]],
                "limit": 10,
            }
        },
    }
    row = _page(ctx, "account", payload).rows[0]
    assert sorted(o["name"] for o in row["opportunities"]) == ["Deal 0", "Deal 1"]


def test_expand_accepts_the_documented_object_names(ctx, tree):
    payload = {
        "fields": ["name", "account.name"],
        "filters": [["name", "=", "Deal 0"]],
        "expand": ["crm_account", "owner", "crm_opportunity_line_item"],
    }
    row = _page(ctx, "opportunity", payload).rows[0]
    assert row["account"]["name"] == "Acme"
    assert row["opportunity_line_items"] == []


def test_an_ambiguous_child_list_asks_for_via(ctx):
    metadata.create_field(
        ctx,
        "contract",
        name="witness",
        label="Witness",
        type="lookup",
        target="contact",
    )
    with pytest.raises(errors.ValidationFailed, match="say which with 'via'"):
        Query.from_json(ctx, "contact", {"expand": ["contracts"]})
    query_ = Query.from_json(
        ctx, "contact", {"expand": [{"name": "contracts", "via": "customer_signed_by"}]}
    )
    assert query_.expand[0].via.name == "customer_signed_by"


def test_an_unknown_expansion_is_refused_by_name(ctx):
    with pytest.raises(
        errors.ValidationFailed, match="nothing called 'widgets'"
    ) as info:
        Query.from_json(ctx, "account", {"expand": ["widgets"]})
    assert info.value.field == "widgets"


def _accounts_with_children(ctx, holding, start: int, stop: int) -> None:
    for n in range(start, stop):
        account = records.create(
            ctx,
            "account",
            data={"name": f"Account {n:03d}", "parent_account": holding.pk},
        )
        records.create(
            ctx,
            "opportunity",
            data={"name": f"Deal {n}", "account": account.pk, "close_date": DAY},
        )
        records.create(
            ctx, "contact", data={"last_name": f"Doe {n}", "account": account.pk}
        )


def test_a_page_with_three_expansions_runs_a_constant_number_of_queries(
    ctx, member_ctx, django_assert_num_queries
):
    from crm.models import ObjectSharing

    for name in ("account", "opportunity", "contact"):
        ObjectSharing.objects.create(
            workspace=ctx.workspace,
            object_name=name,
            access=ObjectSharing.Access.PRIVATE,
        )
    holding = records.create(member_ctx, "account", data={"name": "Holding"})
    q = Query.from_json(
        member_ctx,
        "account",
        {
            "fields": ["name", "parent_account.name", "owner.email"],
            "expand": ["parent_account", "opportunities", "contacts"],
            "filters": [["name", "starts_with", "Account"]],
            "limit": 200,
        },
    )
    # Rows, parent accounts, owners, opportunities, contacts (5); for each of
    # the 4 reads of a private object its roles and rules (8); and the default
    # of each of the 3 objects, read once per context (3).
    for size in (20, 200):
        _accounts_with_children(member_ctx, holding, 0 if size == 20 else 20, size)
        reader = access.context_for_user(member_ctx.user, member_ctx.workspace)
        with django_assert_num_queries(16):
            page = query.page(reader, q)
        assert len(page.rows) == size
        assert all(len(row["opportunities"]) == 1 for row in page.rows)
        assert all(len(row["contacts"]) == 1 for row in page.rows)
        assert all(row["parent_account.name"] == "Holding" for row in page.rows)
    admin = Query.from_json(
        ctx,
        "account",
        {"expand": ["parent_account", "opportunities", "contacts"], "limit": 200},
    )
    with django_assert_num_queries(4):  # an admin needs no sharing look-ups
        query.page(ctx, admin)


@pytest.mark.parametrize("object_name", ["account", "project"])
def test_a_row_holds_the_same_json_values_as_the_records_snapshot(
    ctx, people, object_name
):
    from crm.metadata import registry
    from tests.query.conftest import add_typed_fields

    if object_name == "project":
        metadata.create_object(ctx, api_name="project", label="Project")
    add_typed_fields(ctx, object_name)
    data = {
        "name": "Typed",
        "cf_text": "Hello",
        "cf_long_text": "Two\nlines",
        "cf_email": "a@example.com",
        "cf_phone": "+1 555 0100",
        "cf_url": "https://example.com",
        "cf_number": "1250.5",
        "cf_currency": "7",
        "cf_percent": "12.25",
        "cf_boolean": False,
        "cf_date": "2026-02-28",
        "cf_datetime": "2026-02-28T10:11:12.345678Z",
        "cf_picklist": "Silver",
        "cf_multi_picklist": ["gold", "bronze"],
        "cf_lookup": people["contacts"][0],
        "cf_user": people["users"][0],
    }
    record = records.create(ctx, object_name, data=data)
    empty = records.create(ctx, object_name, data={"name": "Empty"})
    object_type = registry.get(ctx, object_name)
    for saved in (record, empty):
        row = query.get(ctx, object_name, saved.pk)
        assert dict(row) == object_type.snapshot(saved)
