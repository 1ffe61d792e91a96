"""A record of workspace A cannot be read, changed, linked to or deleted from B."""

import pytest

from accounts import errors
from crm import records
from crm.metadata import registry
from crm.models import Account, Association, Deletion, Opportunity, OutboxEvent


@pytest.fixture
def theirs(ctx):
    return records.create(ctx, "account", data={"name": "A's secret account"})


def test_another_workspace_cannot_update_it(other_ctx, theirs):
    with pytest.raises(errors.NotFound):
        records.update(other_ctx, "account", theirs.pk, data={"name": "Stolen"})
    assert Account.objects.get(pk=theirs.pk).name == "A's secret account"


def test_another_workspace_cannot_replace_it(other_ctx, theirs):
    with pytest.raises(errors.NotFound):
        records.replace(other_ctx, "account", theirs.pk, data={"name": "Stolen"})


def test_another_workspace_cannot_delete_it(other_ctx, theirs):
    with pytest.raises(errors.NotFound):
        records.delete(other_ctx, "account", theirs.pk)
    assert Account.objects.get(pk=theirs.pk).deleted_at is None


def test_another_workspace_cannot_link_to_it(other_ctx, theirs):
    with pytest.raises(errors.ValidationFailed) as caught:
        records.create(
            other_ctx,
            "opportunity",
            data={"name": "D", "close_date": "2026-01-01", "account": theirs.pk},
        )
    assert caught.value.field == "account"
    assert not Opportunity.objects.exists()
    mine = records.create(other_ctx, "account", data={"name": "Mine"})
    with pytest.raises(errors.NotFound):
        records.associate(other_ctx, "account", mine.pk, "account", theirs.pk)
    assert not Association.objects.exists()


def test_another_workspace_cannot_restore_or_purge_its_deletion(ctx, other_ctx, theirs):
    deletion = records.delete(ctx, "account", theirs.pk)
    with pytest.raises(errors.NotFound):
        records.restore(other_ctx, deletion.pk)
    with pytest.raises(errors.NotFound):
        records.purge(other_ctx, deletion.pk)
    assert Deletion.objects.filter(pk=deletion.pk).exists()


def test_another_workspace_does_not_see_its_rows_or_events(ctx, other_ctx, theirs):
    account = registry.get(other_ctx, "account")
    assert not account.queryset(other_ctx.workspace).filter(pk=theirs.pk).exists()
    assert not OutboxEvent.objects.filter(workspace=other_ctx.workspace).exists()


def test_an_owner_from_another_workspace_is_refused(ctx, other_ctx):
    with pytest.raises(errors.ValidationFailed) as caught:
        records.create(ctx, "account", data={"name": "A", "owner": other_ctx.user.pk})
    assert (caught.value.field, caught.value.message) == (
        "owner",
        f"No user in this workspace has the id {other_ctx.user.pk}.",
    )
