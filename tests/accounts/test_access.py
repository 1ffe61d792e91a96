import pytest

from accounts import access, errors
from accounts.models import Membership
from crm import records
from crm.metadata import services as metadata
from crm.models import Account


def test_a_standard_user_creates_edits_and_deletes_records(member_ctx):
    account = records.create(member_ctx, "account", data={"name": "Mine"})
    records.update(member_ctx, "account", account.pk, data={"name": "Still mine"})
    records.delete(member_ctx, "account", account.pk)
    assert Account.objects.get(pk=account.pk).deleted_at is not None


def test_a_read_only_user_is_refused_every_write(ctx, read_only_ctx):
    account = records.create(ctx, "account", data={"name": "Theirs"})
    with pytest.raises(
        errors.PermissionDenied, match="You may not create Account records"
    ):
        records.create(read_only_ctx, "account", data={"name": "Nope"})
    with pytest.raises(
        errors.PermissionDenied, match="You may not edit Account records"
    ):
        records.update(read_only_ctx, "account", account.pk, data={"name": "Nope"})
    with pytest.raises(
        errors.PermissionDenied, match="You may not delete Account records"
    ):
        records.delete(read_only_ctx, "account", account.pk)
    assert Account.objects.get(pk=account.pk).name == "Theirs"


def test_only_admins_change_the_setup(member_ctx):
    with pytest.raises(errors.PermissionDenied):
        metadata.create_field(
            member_ctx, "account", name="tier", label="Tier", type="text"
        )
    with pytest.raises(errors.PermissionDenied):
        metadata.create_object(member_ctx, api_name="project", label="Project")


def test_a_deactivated_member_has_no_context(workspace, member):
    Membership.objects.filter(user=member).update(is_active=False)
    with pytest.raises(errors.NotFound):
        access.context_for_user(member, workspace)


def test_a_disabled_user_has_no_context(workspace, member):
    member.is_active = False
    member.save()
    with pytest.raises(errors.NotFound):
        access.context_for_user(member, workspace)


def test_a_non_member_has_no_context(workspace, other_ctx):
    with pytest.raises(errors.NotFound):
        access.context_for_user(other_ctx.user, workspace)


@pytest.mark.parametrize(
    ("grants", "action", "allowed"),
    [
        ({access.Action.READ}, access.Action.READ, True),
        ({access.Action.READ}, access.Action.EDIT, False),
        ({access.Action.VIEW_ALL}, access.Action.READ, True),
        ({access.Action.VIEW_ALL}, access.Action.EDIT, False),
        ({access.Action.MODIFY_ALL}, access.Action.DELETE, True),
        (set(), access.Action.READ, False),
    ],
)
def test_rights_imply_what_they_should(workspace, grants, action, allowed):
    ctx = access.Context(
        workspace=workspace, user=None, grants={"account": frozenset(grants)}
    )
    assert ctx.can("account", action) is allowed
