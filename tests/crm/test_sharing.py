import pytest

from accounts import errors
from accounts import services as account_services
from crm import sharing
from crm.models import ObjectSharing, SharingRule


def test_an_admin_sets_an_objects_default(ctx):
    sharing.set_default(ctx, "Opportunities", "private")
    sharing.set_default(ctx, "opportunity", "public_read")
    rows = ObjectSharing.objects.filter(workspace=ctx.workspace)
    assert [(r.object_name, r.access) for r in rows] == [("opportunity", "public_read")]


def test_a_bad_default_is_refused_and_nothing_is_written(ctx):
    with pytest.raises(errors.ValidationFailed) as caught:
        sharing.set_default(ctx, "account", "secret")
    assert caught.value.field == "access"
    assert not ObjectSharing.objects.exists()


def test_only_admins_change_sharing(member_ctx):
    with pytest.raises(errors.PermissionDenied):
        sharing.set_default(member_ctx, "account", "private")


def test_a_rule_needs_exactly_one_owner_and_one_recipient(ctx):
    east = account_services.create_group(ctx.workspace, "East")
    west = account_services.create_group(ctx.workspace, "West")
    with pytest.raises(errors.ValidationFailed) as caught:
        sharing.create_rule(ctx, "account", name="r", shared_with_group=west)
    assert caught.value.field == "owned_by"
    rule = sharing.create_rule(
        ctx, "account", name="East to West", owned_by_group=east, shared_with_group=west
    )
    assert (rule.object_name, rule.level) == ("account", "read")
    with pytest.raises(errors.ValidationFailed, match="exists"):
        sharing.create_rule(
            ctx,
            "account",
            name="east to west",
            owned_by_group=east,
            shared_with_group=west,
        )
    sharing.delete_rule(ctx, rule.pk)
    assert not SharingRule.objects.exists()


def test_a_rule_cannot_name_another_workspaces_group(ctx, other_ctx):
    theirs = account_services.create_group(other_ctx.workspace, "Theirs")
    mine = account_services.create_group(ctx.workspace, "Mine")
    with pytest.raises(errors.ValidationFailed) as caught:
        sharing.create_rule(
            ctx, "account", name="r", owned_by_group=theirs, shared_with_group=mine
        )
    assert caught.value.field == "owned_by"
    assert not SharingRule.objects.exists()
