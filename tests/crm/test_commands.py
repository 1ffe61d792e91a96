"""The ops commands ``create_workspace`` and ``rebuild_totals``
(``seed_demo`` is in test_seed_demo)."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts import access
from accounts.models import User, Workspace
from crm import records
from crm.metadata import registry
from crm.models import Opportunity, StageTotal
from tests.conftest import PASSWORD


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_workspace_prints_its_id_and_its_owner_can_create_records(db):
    out = run(
        "create_workspace",
        "Initech",
        "--email",
        " Peter@Initech.example ",
        "--password",
        PASSWORD,
        "--name",
        "Peter Gibbons",
    )

    workspace = Workspace.objects.get()
    owner = User.objects.get()
    assert out == (
        "Created workspace 'Initech'.\n"
        f"Workspace id (entityId): {workspace.pk}\n"
        "Login: peter@initech.example\n"
    )
    assert (owner.email, owner.name) == ("peter@initech.example", "Peter Gibbons")
    assert owner.check_password(PASSWORD)
    ctx = access.context_for_user(owner, workspace)
    assert ctx.is_admin
    assert registry.get(ctx, "opportunity").pipeline(None).key == "sales"
    account = records.create(ctx, "account", data={"name": "Initrode"})
    assert (account.workspace_id, account.owner_id) == (workspace.pk, owner.pk)


def test_create_workspace_for_an_existing_user_keeps_their_password(owner, workspace):
    out = run("create_workspace", "Second", "--email", "OWNER@example.com")

    second = Workspace.objects.get(name="Second")
    assert out.endswith(
        "Login: owner@example.com (existing user, password unchanged)\n"
    )
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert access.context_for_user(owner, second).is_admin
    assert access.context_for_user(owner, workspace).is_admin


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("Acme", "--password", PASSWORD),
            "Error: the following arguments are required: --email",
        ),
        (
            ("Acme", "--email", "not-an-email", "--password", PASSWORD),
            "'not-an-email' is not a valid email address.",
        ),
        (
            ("Acme", "--email", "  ", "--password", PASSWORD),
            "An email address is required.",
        ),
        (
            ("Acme", "--email", "new@example.com"),
            "A password is required to create the user new@example.com.",
        ),
        (
            ("Acme", "--email", "new@example.com", "--password", "short"),
            "This password is too short. It must contain at least 8 characters.",
        ),
        (
            ("   ", "--email", "new@example.com", "--password", PASSWORD),
            "The workspace needs a name.",
        ),
    ],
)
def test_create_workspace_refuses_bad_input_and_changes_nothing(db, args, message):
    with pytest.raises(CommandError) as refused:
        run("create_workspace", *args)

    assert str(refused.value) == message
    assert Workspace.objects.count() == 0
    assert User.objects.count() == 0


def test_create_workspace_refuses_a_deactivated_user_and_changes_nothing(owner):
    owner.is_active = False
    owner.save(update_fields=["is_active"])

    with pytest.raises(CommandError) as refused:
        run("create_workspace", "Second", "--email", "owner@example.com")

    assert str(refused.value) == "The user owner@example.com is deactivated."
    assert Workspace.objects.count() == 0
    assert list(User.objects.all()) == [owner]


def test_rebuild_totals_recounts_a_workspaces_boards(ctx, other_ctx):
    deal = records.create(
        ctx,
        "opportunity",
        data={"name": "Raw", "stage": "proposal", "close_date": "2026-12-31"},
    )
    Opportunity.objects.filter(pk=deal.pk).update(stage="closed_won")  # by SQL
    out = run("rebuild_totals", "--workspace", str(ctx.workspace.pk))
    assert out == "Acme Inc: 1 pipeline totals\n"
    kept = StageTotal.objects.filter(workspace=ctx.workspace).values_list(
        "stage", "count"
    )
    assert list(kept) == [("closed_won", 1)]


def test_rebuild_totals_of_an_unknown_workspace_is_an_error(db):
    with pytest.raises(CommandError, match=r"There is no workspace 'Nope'\."):
        run("rebuild_totals", "--workspace", "Nope")
