"""accounts.services: users, roles and public groups, checked on the way in."""

import pytest

from accounts import errors, services
from accounts.models import PublicGroup, Role, User
from tests.conftest import PASSWORD
from tests.factories import UserFactory

# -- get_or_create_user ---------------------------------------------------------------


def test_a_new_user_gets_a_clean_email_the_name_and_the_password(db):
    user, created = services.get_or_create_user(
        "  Jane.Doe@Example.COM ", password=PASSWORD, name=" Jane Doe "
    )

    assert created is True
    assert User.objects.get() == user
    assert (user.email, user.name, user.is_active) == (
        "jane.doe@example.com",
        "Jane Doe",
        True,
    )
    assert user.check_password(PASSWORD) is True


def test_an_existing_user_is_found_ignoring_case_and_keeps_password_and_name(owner):
    user, created = services.get_or_create_user(
        " OWNER@example.com", password="another-long-passphrase", name="Someone Else"
    )

    assert (user, created) == (owner, False)
    owner.refresh_from_db()
    assert (owner.email, owner.name) == ("owner@example.com", "Olivia Owner")
    assert owner.check_password(PASSWORD) is True
    assert User.objects.count() == 1


def test_an_existing_user_needs_no_password(owner):
    user, created = services.get_or_create_user("owner@example.com")

    assert (user, created) == (owner, False)


@pytest.mark.parametrize(
    ("email", "password", "name", "field", "message"),
    [
        ("", PASSWORD, "", "email", "An email address is required."),
        ("   ", PASSWORD, "", "email", "An email address is required."),
        (
            "not-an-email",
            PASSWORD,
            "",
            "email",
            "'not-an-email' is not a valid email address.",
        ),
        (
            "jane@example",
            PASSWORD,
            "",
            "email",
            "'jane@example' is not a valid email address.",
        ),
        (
            f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 63}.com",
            PASSWORD,
            "",
            "email",
            "That email address is too long.",
        ),
        (
            "new@example.com",
            None,
            "",
            "password",
            "A password is required to create the user new@example.com.",
        ),
        (
            "new@example.com",
            "",
            "",
            "password",
            "A password is required to create the user new@example.com.",
        ),
        (
            "new@example.com",
            "short",
            "",
            "password",
            "This password is too short. It must contain at least 8 characters.",
        ),
        (
            "new@example.com",
            "password",
            "",
            "password",
            "This password is too common.",
        ),
        (
            "new@example.com",
            PASSWORD,
            "x" * 151,
            "name",
            "Use at most 150 characters for the name.",
        ),
    ],
)
def test_a_bad_new_user_is_refused_and_nothing_is_written(
    db, email, password, name, field, message
):
    with pytest.raises(errors.ValidationFailed) as refused:
        services.get_or_create_user(email, password=password, name=name)

    assert (refused.value.field, refused.value.message) == (field, message)
    assert User.objects.count() == 0


def test_a_deactivated_user_is_refused(db):
    UserFactory(email="gone@example.com", is_active=False)

    with pytest.raises(errors.ValidationFailed) as refused:
        services.get_or_create_user("Gone@example.com", password=PASSWORD)

    assert (refused.value.field, refused.value.message) == (
        "email",
        "The user gone@example.com is deactivated.",
    )
    assert list(User.objects.values_list("email", "is_active")) == [
        ("gone@example.com", False)
    ]


# -- create_role ----------------------------------------------------------------------


def test_a_role_reports_to_its_parent(workspace):
    ceo = Role.objects.get(workspace=workspace, name="CEO")

    sales = services.create_role(workspace, " VP Sales ", parent=ceo)
    rep = services.create_role(workspace, "Sales Rep", parent=sales)
    support = services.create_role(workspace, "Support")

    roles = Role.objects.filter(workspace=workspace).order_by("pk")
    assert [(r.name, r.parent) for r in roles] == [
        ("CEO", None),
        ("VP Sales", ceo),
        ("Sales Rep", sales),
        ("Support", None),
    ]
    assert [r.pk for r in roles][1:] == [sales.pk, rep.pk, support.pk]


def test_a_role_name_may_repeat_in_another_workspace(workspace, other_ctx):
    role = services.create_role(other_ctx.workspace, "Support")
    same = services.create_role(workspace, "Support")

    assert (role.workspace, same.workspace) == (other_ctx.workspace, workspace)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ceo", "Acme Inc already has a role named 'ceo'."),
        (" CEO ", "Acme Inc already has a role named 'CEO'."),
        ("  ", "A role needs a name."),
        ("r" * 121, "Use at most 120 characters for the name."),
    ],
)
def test_a_bad_role_name_is_refused_and_nothing_is_written(workspace, name, message):
    before = list(Role.objects.values_list("pk", "name"))

    with pytest.raises(errors.ValidationFailed) as refused:
        services.create_role(workspace, name)

    assert (refused.value.field, refused.value.message) == ("name", message)
    assert list(Role.objects.values_list("pk", "name")) == before


def test_a_parent_role_of_another_workspace_is_refused(workspace, other_ctx):
    foreign = Role.objects.get(workspace=other_ctx.workspace)
    before = list(Role.objects.values_list("pk", "name"))

    with pytest.raises(errors.ValidationFailed) as refused:
        services.create_role(workspace, "CEO", parent=foreign)

    assert [(d.field, d.message) for d in refused.value.details] == [
        ("name", "Acme Inc already has a role named 'CEO'."),
        ("parent", "Choose a role of Acme Inc."),
    ]
    assert list(Role.objects.values_list("pk", "name")) == before


# -- create_group ---------------------------------------------------------------------


def test_a_group_holds_each_member_once(workspace, owner, member):
    group = services.create_group(
        workspace, " Enterprise Deals ", members=[owner, member, owner]
    )

    assert PublicGroup.objects.get() == group
    assert (group.workspace, group.name) == (workspace, "Enterprise Deals")
    assert sorted(group.members.values_list("email", flat=True)) == [
        "owner@example.com",
        "rep@example.com",
    ]


def test_a_group_may_start_empty(workspace):
    group = services.create_group(workspace, "EMEA")

    assert (group.name, group.members.count()) == ("EMEA", 0)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("emea", "Acme Inc already has a group named 'emea'."),
        ("", "A group needs a name."),
        ("g" * 121, "Use at most 120 characters for the name."),
    ],
)
def test_a_bad_group_name_is_refused_and_nothing_is_written(
    workspace, owner, name, message
):
    services.create_group(workspace, "EMEA")

    with pytest.raises(errors.ValidationFailed) as refused:
        services.create_group(workspace, name, members=[owner])

    assert (refused.value.field, refused.value.message) == ("name", message)
    assert list(PublicGroup.objects.values_list("name", flat=True)) == ["EMEA"]
    assert not owner.public_groups.exists()


def test_a_group_member_without_a_seat_in_the_workspace_is_refused(
    workspace, owner, other_ctx
):
    with pytest.raises(errors.ValidationFailed) as refused:
        services.create_group(workspace, "EMEA", members=[owner, other_ctx.user])

    assert (refused.value.field, refused.value.message) == (
        "members",
        "Sam Stranger is not a member of Acme Inc.",
    )
    assert not PublicGroup.objects.exists()
