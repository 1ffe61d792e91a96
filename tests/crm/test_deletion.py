import datetime as dt

import pytest
from django.utils import timezone

from accounts import errors
from crm import records
from crm.metadata import services as metadata
from crm.models import (
    Account,
    Association,
    Contact,
    CustomRecord,
    Deletion,
    FieldChange,
    Opportunity,
    OutboxEvent,
    Task,
)


@pytest.fixture
def account_tree(ctx):
    """An account with a contact, an opportunity with a task, and a case."""
    account = records.create(ctx, "account", data={"name": "Acme"})
    contact = records.create(
        ctx, "contact", data={"last_name": "Doe", "account": account.pk}
    )
    opp = records.create(
        ctx,
        "opportunity",
        data={
            "name": "Deal",
            "close_date": "2026-06-30",
            "account": account.pk,
            "contact": contact.pk,
        },
    )
    task = records.create(ctx, "task", data={"subject": "Call", "opportunity": opp.pk})
    case = records.create(
        ctx, "case", data={"subject": "Broken", "account": account.pk}
    )
    return {
        "account": account,
        "contact": contact,
        "opportunity": opp,
        "task": task,
        "case": case,
    }


def _events(record_id):
    return list(
        OutboxEvent.objects.filter(record_id=record_id)
        .order_by("pk")
        .values_list("event", flat=True)
    )


def test_delete_moves_the_record_and_its_cascade_to_the_bin_as_one_batch(
    ctx, account_tree
):
    deletion = records.delete(ctx, "account", account_tree["account"].pk)
    assert deletion.counts == {
        "account": 1,
        "contact": 1,
        "opportunity": 1,
        "task": 1,
        "case": 1,
    }
    assert deletion.record_label == "Acme"
    assert deletion.deleted_by_id == ctx.user.pk
    for record in account_tree.values():
        record.refresh_from_db()
        assert record.deleted_at is not None
        assert record.deletion_id == deletion.pk
        assert _events(record.pk)[-1] == "deleted"


def test_a_deleted_record_can_no_longer_be_updated_or_deleted(ctx, account_tree):
    account = account_tree["account"]
    records.delete(ctx, "account", account.pk)
    with pytest.raises(errors.NotFound):
        records.update(ctx, "account", account.pk, data={"name": "X"})
    with pytest.raises(errors.NotFound):
        records.delete(ctx, "account", account.pk)


def test_restore_brings_the_whole_batch_back(ctx, account_tree):
    deletion = records.delete(ctx, "account", account_tree["account"].pk)
    records.restore(ctx, deletion.pk)
    for record in account_tree.values():
        record.refresh_from_db()
        assert (record.deleted_at, record.deletion_id) == (None, None)
        assert _events(record.pk)[-2:] == ["deleted", "restored"]
    assert not Deletion.objects.exists()


def test_a_child_cannot_be_restored_before_its_parent(ctx, account_tree):
    contact_deletion = records.delete(ctx, "contact", account_tree["contact"].pk)
    account_deletion = records.delete(ctx, "account", account_tree["account"].pk)
    assert "contact" not in account_deletion.counts
    with pytest.raises(
        errors.ValidationFailed, match="Restore the Account 'Acme' first"
    ):
        records.restore(ctx, contact_deletion.pk)
    records.restore(ctx, account_deletion.pk)
    records.restore(ctx, contact_deletion.pk)
    assert Contact.objects.get(pk=account_tree["contact"].pk).deleted_at is None


def test_a_set_null_lookup_keeps_its_link_while_the_target_is_in_the_bin(
    ctx, account_tree
):
    records.delete(ctx, "contact", account_tree["contact"].pk)
    opp = Opportunity.objects.get(pk=account_tree["opportunity"].pk)
    assert opp.deleted_at is None
    assert opp.contact_id == account_tree["contact"].pk


def test_a_restrict_lookup_blocks_the_delete_with_reference_conflict(ctx):
    product = records.create(ctx, "product", data={"name": "Widget"})
    opp = records.create(
        ctx, "opportunity", data={"name": "D", "close_date": "2026-01-01"}
    )
    records.create(
        ctx,
        "opportunity_line_item",
        data={
            "opportunity": opp.pk,
            "product": product.pk,
            "unit_price": 10,
            "quantity": 2,
        },
    )
    with pytest.raises(errors.ReferenceConflict) as caught:
        records.delete(ctx, "product", product.pk)
    assert caught.value.code == "reference_conflict"
    assert (
        "1 Opportunity Line Item still refers to this Product" in caught.value.message
    )
    assert not Deletion.objects.exists()
    records.delete(ctx, "opportunity", opp.pk)
    assert records.delete(ctx, "product", product.pk).counts == {"product": 1}


def test_purge_removes_the_batch_with_its_history_and_links(ctx, account_tree):
    account = account_tree["account"]
    records.update(ctx, "account", account.pk, data={"phone": "+1 555 0100"})
    records.associate(
        ctx,
        "account",
        account.pk,
        "contact",
        account_tree["contact"].pk,
        label="billing",
    )
    deletion = records.delete(ctx, "account", account.pk)
    records.purge(ctx, deletion.pk)
    assert not Account.objects.filter(pk=account.pk).exists()
    assert not Task.objects.exists()
    assert not FieldChange.objects.filter(record_id=account.pk).exists()
    assert not Association.objects.exists()
    assert not Deletion.objects.exists()
    assert OutboxEvent.objects.filter(record_id=account.pk).count() == 3


def test_purge_expired_removes_only_batches_past_retention(ctx, settings):
    settings.RECYCLE_BIN_RETENTION_DAYS = 30
    old = records.create(ctx, "account", data={"name": "Old"})
    new = records.create(ctx, "account", data={"name": "New"})
    old_deletion = records.delete(ctx, "account", old.pk)
    records.delete(ctx, "account", new.pk)
    Deletion.objects.filter(pk=old_deletion.pk).update(
        deleted_at=timezone.now() - dt.timedelta(days=31)
    )
    assert records.purge_expired() == 1
    assert list(Account.objects.values_list("name", flat=True)) == ["New"]


def test_the_purge_task_runs_the_retention_sweep(ctx, settings):
    from crm import tasks

    old = records.create(ctx, "account", data={"name": "Old"})
    deletion = records.delete(ctx, "account", old.pk)
    Deletion.objects.filter(pk=deletion.pk).update(
        deleted_at=timezone.now()
        - dt.timedelta(days=settings.RECYCLE_BIN_RETENTION_DAYS + 1)
    )
    tasks.purge_recycle_bin.apply()
    assert not Account.objects.exists()


def test_a_cascade_custom_lookup_takes_custom_records_to_the_bin(ctx):
    metadata.create_object(ctx, api_name="site_visit", label="Site visit")
    metadata.create_field(
        ctx,
        "site_visit",
        name="account",
        label="Account",
        type="lookup",
        target="account",
        on_delete="cascade",
    )
    metadata.create_field(
        ctx,
        "site_visit",
        name="contact",
        label="Contact",
        type="lookup",
        target="contact",
        on_delete="restrict",
    )
    account = records.create(ctx, "account", data={"name": "Acme"})
    contact = records.create(ctx, "contact", data={"last_name": "Doe"})
    visit = records.create(
        ctx,
        "site_visit",
        data={"name": "Visit", "account": account.pk, "contact": contact.pk},
    )
    with pytest.raises(errors.ReferenceConflict):
        records.delete(ctx, "contact", contact.pk)
    deletion = records.delete(ctx, "account", account.pk)
    assert deletion.counts == {"account": 1, "site_visit": 1}
    assert CustomRecord.objects.get(pk=visit.pk).deletion_id == deletion.pk
    records.delete(ctx, "contact", contact.pk)


def test_only_the_deleter_or_an_admin_restores(ctx, member_ctx):
    account = records.create(member_ctx, "account", data={"name": "Mine"})
    deletion = records.delete(ctx, "account", account.pk)
    with pytest.raises(errors.PermissionDenied):
        records.restore(member_ctx, deletion.pk)
    records.restore(ctx, deletion.pk)
