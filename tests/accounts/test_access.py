import pytest

from accounts import access, credentials, errors
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


def _loaded_membership(user, workspace):
    return (
        Membership.objects.select_related("user", "workspace", "profile")
        .filter(user=user, workspace=workspace)
        .first()
    )


def test_the_context_of_a_loaded_membership_costs_no_query_for_an_admin(
    ctx, member_ctx, django_assert_num_queries
):
    admin = _loaded_membership(ctx.user, ctx.workspace)
    with django_assert_num_queries(0):
        built = access.context_for_membership(admin)
    assert (built.user, built.workspace, built.is_admin) == (
        ctx.user,
        ctx.workspace,
        True,
    )
    member = _loaded_membership(member_ctx.user, member_ctx.workspace)
    with django_assert_num_queries(1):  # the profile's grants
        built = access.context_for_membership(member)
    assert (built.is_admin, built.role_id, built.grants) == (
        False,
        member_ctx.role_id,
        member_ctx.grants,
    )


@pytest.mark.parametrize("inactive", ["membership", "user", "workspace", "none"])
def test_an_inactive_membership_user_or_workspace_has_no_context(
    workspace, member, inactive
):
    membership = _loaded_membership(member, workspace)
    if inactive == "none":
        membership = None
    elif inactive == "membership":
        membership.is_active = False
    else:
        getattr(membership, inactive).is_active = False
    with pytest.raises(errors.NotFound):
        access.context_for_membership(membership)


def test_with_membership_loads_the_holders_membership_in_that_workspace(
    ctx, member, other_ctx, django_assert_num_queries
):
    from accounts import services
    from accounts.models import PersonalAccessToken

    services.add_member(other_ctx.workspace, member)
    member_ctx = access.context_for_user(member, ctx.workspace)
    credentials.issue_pat(member_ctx, name="here")
    with django_assert_num_queries(1):
        token = access.with_membership(PersonalAccessToken.objects, "user").get(
            user=member
        )
        membership = access.membership_of(token, token.user, token.workspace)
        assert membership.workspace == ctx.workspace
        assert membership.profile.name == services.STANDARD_PROFILE
    Membership.objects.filter(user=member, workspace=ctx.workspace).delete()
    token = access.with_membership(PersonalAccessToken.objects, "user").get(user=member)
    assert access.membership_of(token, token.user, token.workspace) is None


def test_a_context_memo_is_its_own(ctx):
    again = access.context_for_user(ctx.user, ctx.workspace)
    ctx.memo["key"] = "value"
    assert again.memo == {}
    assert again == ctx  # the memo takes no part in equality
