from decimal import Decimal

import pytest

from accounts import errors
from crm import records
from crm.metadata import registry
from crm.metadata import services as metadata
from crm.metadata.types import Storage, normalize
from tests.records import STANDARD_OBJECTS


def test_every_standard_object_is_in_the_registry_with_a_unique_prefix(ctx):
    types = {t.api_name: t for t in registry.all_types(ctx)}
    assert set(STANDARD_OBJECTS) <= set(types)
    prefixes = [t.prefix for t in types.values()]
    assert len(prefixes) == len(set(prefixes))


@pytest.mark.parametrize(
    "spelling",
    [
        "opportunity",
        "opportunities",
        "crm_opportunity",
        "Opportunity",
        "Opportunities",
        "0-3",
    ],
)
def test_an_object_is_found_by_every_documented_name(ctx, spelling):
    assert registry.get(ctx, spelling).api_name == "opportunity"


def test_an_unknown_object_is_not_found(ctx):
    with pytest.raises(errors.NotFound, match="no object called 'widgets'"):
        registry.get(ctx, "widgets")


@pytest.mark.parametrize(
    ("spelling", "field"),
    [
        ("AnnualRevenue", "annual_revenue"),
        ("annual_revenue", "annual_revenue"),
        ("ParentAccountId", "parent_account"),
        ("parent_account_id", "parent_account"),
        ("OwnerId", "owner"),
        ("CreatedDate", "created_at"),
        ("ModifiedDate", "updated_at"),
        ("Id", "id"),
    ],
)
def test_field_names_match_case_insensitively_and_camel_case(ctx, spelling, field):
    assert registry.get(ctx, "account").field(spelling).name == field


def test_normalize_turns_camel_case_into_snake_case():
    assert normalize("AnnualRevenue") == "annual_revenue"
    assert normalize("IsClosed") == "is_closed"
    assert normalize("Close Date") == "close_date"
    assert normalize("HTTPStatus") == "http_status"


def test_standard_fields_are_derived_from_the_model(ctx):
    opportunity = registry.get(ctx, "opportunity")
    amount = opportunity.fields["amount"]
    assert (amount.type.key, amount.storage, amount.required) == (
        "currency",
        Storage.COLUMN,
        False,
    )
    assert opportunity.fields["close_date"].required is True
    assert opportunity.fields["account"].target == "account"
    assert opportunity.fields["account"].on_delete == "cascade"
    assert opportunity.fields["owner"].type.key == "user"
    assert opportunity.fields["is_closed"].read_only is True
    assert [c.value for c in opportunity.fields["stage"].choices] == [
        "prospecting",
        "qualification",
        "proposal",
        "negotiation",
        "closed_won",
        "closed_lost",
    ]


def test_a_custom_field_appears_on_the_type_and_is_stored_in_json(ctx):
    version = ctx.workspace.metadata_version
    metadata.create_field(
        ctx,
        "account",
        name="tier",
        label="Tier",
        type="picklist",
        choices=["Gold", "Silver"],
    )
    assert ctx.workspace.metadata_version != version
    spec = registry.get(ctx, "account").fields["tier"]
    assert (spec.storage, spec.is_custom, [c.value for c in spec.choices]) == (
        Storage.CUSTOM_JSON,
        True,
        ["gold", "silver"],
    )
    account = records.create(ctx, "account", data={"name": "Initech", "Tier": "Gold"})
    account.refresh_from_db()
    assert account.custom == {"tier": "gold"}


def test_a_custom_object_gets_a_type_with_system_fields(ctx):
    metadata.create_object(ctx, api_name="project", label="Project")
    metadata.create_field(
        ctx, "project", name="budget", label="Budget", type="currency"
    )
    project = registry.get(ctx, "projects")
    assert project.is_custom
    assert project.prefix == "proj"
    assert project.hubspot_type_id.startswith("2-")
    assert list(project.fields)[:3] == ["id", "name", "budget"]
    assert project.fields["budget"].storage is Storage.RECORD_JSON
    assert project.fields["owner"].storage is Storage.COLUMN
    record = records.create(ctx, "project", data={"name": "Apollo", "budget": "1250.5"})
    record.refresh_from_db()
    assert record.data == {"name": "Apollo", "budget": 1250.5}
    assert project.value(record, project.fields["budget"]) == Decimal("1250.50")


def test_registry_entries_are_cached_per_metadata_version(
    ctx, django_assert_num_queries
):
    registry.for_workspace(ctx.workspace)
    with django_assert_num_queries(0):
        registry.get(ctx, "account")
    metadata.create_field(
        ctx, "contact", name="nickname", label="Nickname", type="text"
    )
    assert "nickname" in registry.get(ctx, "contact").fields


def test_another_workspace_does_not_see_a_custom_field(ctx, other_ctx):
    metadata.create_field(ctx, "account", name="tier", label="Tier", type="text")
    assert "tier" not in registry.get(other_ctx, "account").fields


def test_a_new_custom_object_is_granted_to_the_stock_profiles(
    ctx, member_ctx, read_only_ctx
):
    from accounts import access

    metadata.create_object(ctx, api_name="project", label="Project")
    member = access.context_for_user(member_ctx.user, ctx.workspace)
    viewer = access.context_for_user(read_only_ctx.user, ctx.workspace)
    assert member.can("project", access.Action.DELETE)
    assert viewer.can("project", access.Action.READ)
    assert not viewer.can("project", access.Action.CREATE)


def test_an_object_the_profile_cannot_read_is_not_found(ctx, member_ctx):
    from accounts import access
    from accounts.models import ObjectPermission

    metadata.create_object(ctx, api_name="secret_thing", label="Secret thing")
    ObjectPermission.objects.filter(object_name="secret_thing").update(can_read=False)
    member = access.context_for_user(member_ctx.user, ctx.workspace)
    assert registry.get(ctx, "secret_thing")
    with pytest.raises(errors.NotFound):
        registry.get(member, "secret_thing")
    assert "secret_thing" not in [t.api_name for t in registry.all_types(member)]
