"""The ops command ``seed_demo``'s options (--if-empty, --email, --users,
--seed, --ops-admin) and its refusals of bad input."""

import io
import re

import pytest
from django.core.management import CommandError

from accounts.models import Membership, PublicGroup, User, Workspace
from crm import demo
from crm import models as crm_models
from tests.conftest import PASSWORD
from tests.crm.seeding import NOW, TEAM_EMAILS, run


def row_counts() -> dict:
    return {
        model: model.objects.count()
        for model in (*crm_models.STANDARD_MODELS, Workspace, User, Membership)
    }


def test_seed_demo_if_empty_is_a_no_op_the_second_time(db):
    first = run("seed_demo", "--records", "12", "--if-empty")
    before = row_counts()

    second = run("seed_demo", "--records", "12", "--if-empty")

    assert row_counts() == before
    workspace = Workspace.objects.get()
    assert first.splitlines()[-2:-1] == [
        "Login: demo@hotcrm.local  password: hotcrm-demo"
    ]
    assert second == (
        "The workspace 'Demo Inc' exists already; nothing to do.\n"
        f"Workspace 'Demo Inc', id {workspace.pk}\n"
        "Login: demo@hotcrm.local  password: hotcrm-demo\n"
    )


def test_seed_demo_for_an_existing_user_with_another_password_says_so(owner):
    out = run("seed_demo", "--records", "6", "--email", owner.email)

    assert "Login: owner@example.com (existing user; password unchanged)\n" in out
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert [w.name for w in Workspace.objects.all()] == ["Demo Inc"]
    assert User.objects.get(email="maya.patel@example.com").check_password(
        demo.DEMO_PASSWORD
    )


def test_seed_demo_users_adds_sales_reps_who_own_records_without_a_password(db):
    out = run("seed_demo", "--records", "300", "--users", "300", "--seed", "3")

    workspace = Workspace.objects.get(name="Demo Inc")
    memberships = Membership.objects.filter(workspace=workspace, is_active=True)
    assert memberships.count() == 300
    extra = memberships.exclude(
        user__email__in=(demo.DEMO_EMAIL, *TEAM_EMAILS)
    ).select_related("user", "role", "profile")
    assert extra.count() == 294
    assert {(m.role.name, m.profile.name) for m in extra} == {
        ("Sales Rep", "Standard User")
    }
    assert not any(m.user.has_usable_password() for m in extra)
    group = PublicGroup.objects.get(workspace=workspace)
    assert group.members.count() == 298  # the VP and every Sales Rep
    owners = set()
    for model in (crm_models.Account, crm_models.Lead, crm_models.Opportunity):
        rows = model.objects.filter(workspace=workspace)
        owners |= set(rows.values_list("owner__email", flat=True))
    assert owners <= set(memberships.values_list("user__email", flat=True))
    # Users past the 256th own records too (owners are not kept in a byte).
    numbers = [re.search(r"\.(\d+)@", email) for email in owners]
    assert max(int(n.group(1)) for n in numbers if n) > 250
    assert "Plus 294 Sales Reps who own records and have no password.\n" in out
    assert f"Team: {', '.join(TEAM_EMAILS)}\n" in out


def test_seed_demo_users_cuts_the_named_team_and_reuses_existing_reps(db):
    small = demo.seed(records=12, users=2, workspace_name="Two")
    assert small.team == TEAM_EMAILS[:1]
    assert small.extra_users == 0
    owners = crm_models.Opportunity.objects.filter(workspace=small.workspace)
    assert set(owners.values_list("owner__email", flat=True)) <= {
        demo.DEMO_EMAIL,
        TEAM_EMAILS[0],
    }
    first = demo.seed(records=12, users=9, workspace_name="Nine")
    users = User.objects.count()

    second = demo.seed(records=12, users=9, workspace_name="Nine again")

    assert (first.extra_users, second.extra_users) == (3, 3)
    assert User.objects.count() == users
    assert Membership.objects.filter(workspace=second.workspace).count() == 9


def test_seed_demo_refuses_a_team_of_no_users_and_changes_nothing(db):
    with pytest.raises(CommandError) as refused:
        run("seed_demo", "--users", "0")

    assert str(refused.value) == (
        "The team has from 1 to 10,000 users (the owner included)."
    )
    assert Workspace.objects.count() == 0
    assert User.objects.count() == 0


def test_seed_demo_gives_the_same_data_for_the_same_seed(db):
    def deals(name: str) -> list[tuple]:
        demo.seed(records=24, seed=5, now=NOW, workspace_name=name)
        return list(
            crm_models.Opportunity.objects.filter(workspace__name=name)
            .order_by("created_at")
            .values_list("name", "amount", "stage", "close_date", "created_at")
        )

    first, second = deals("One"), deals("Two")

    assert first == second
    assert len(first) == 24


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--records", "-1"), "The number of records cannot be negative."),
        (("--email", "nobody"), "'nobody' is not a valid email address."),
        (
            ("--password", ""),
            "A password is required to create the user demo@hotcrm.local.",
        ),
        (("--workspace", " "), "The workspace needs a name of at most 200 characters."),
    ],
)
def test_seed_demo_refuses_bad_input_and_changes_nothing(db, args, message):
    with pytest.raises(CommandError) as refused:
        run("seed_demo", *args)

    assert str(refused.value) == message
    assert Workspace.objects.count() == 0
    assert User.objects.count() == 0


def test_seed_demo_checks_the_team_password_even_when_the_owner_exists(owner):
    with pytest.raises(CommandError) as refused:
        run("seed_demo", "--records", "6", "--email", owner.email, "--password", "zq7k")

    assert str(refused.value) == (
        "This password is too short. It must contain at least 8 characters."
    )
    assert Workspace.objects.count() == 0
    assert list(User.objects.all()) == [owner]


def test_seed_demo_ops_admin_lets_the_login_into_the_django_admin(db, client):
    from django.core.management import call_command

    from accounts.models import User

    call_command("seed_demo", "--records", "0", "--ops-admin", stdout=io.StringIO())
    user = User.objects.get(email="demo@hotcrm.local")
    assert (user.is_staff, user.is_superuser) == (True, True)
    client.force_login(user)
    assert client.get("/admin/crm/opportunity/").status_code == 200
