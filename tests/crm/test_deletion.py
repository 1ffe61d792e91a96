import datetime as dt

import pytest
from django.utils import timezone

from accounts import errors
from crm import records
from crm.metadata import services as metadata
from crm.models import (
    Account,
    Association,
    CampaignMember,
    Contact,
    CustomRecord,
    Deletion,
    FieldChange,
    Opportunity,
    OutboxEvent,
    Product,
    Task,
)
from crm.records import purging


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
    assert _events(account.pk) == ["created", "updated", "updated", "deleted", "purged"]


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


# -- purge: nothing outside the batch goes behind the lifecycle's back -------------


def _history(record_id):
    return [
        (c.field, c.old_value, c.new_value)
        for c in FieldChange.objects.filter(record_id=record_id).order_by("pk")
    ]


def test_purge_refuses_while_an_earlier_batch_holds_records_that_would_go_with_it(
    ctx, account_tree
):
    opp = account_tree["opportunity"]
    opp_deletion = records.delete(ctx, "opportunity", opp.pk)
    account_deletion = records.delete(ctx, "account", account_tree["account"].pk)
    with pytest.raises(errors.ReferenceConflict) as caught:
        records.purge(ctx, account_deletion.pk)
    assert caught.value.code == "reference_conflict"
    assert caught.value.message == (
        "1 Opportunity in the recycle bin (batch 'Deal') still refers to this "
        "batch's Account through Account; purge that batch first."
    )
    assert caught.value.field == "account"
    assert Opportunity.objects.get(pk=opp.pk).deletion_id == opp_deletion.pk
    assert Deletion.objects.get(pk=opp_deletion.pk).counts == {
        "opportunity": 1,
        "task": 1,
    }
    assert Account.objects.get(pk=account_tree["account"].pk).deleted_at is not None
    assert Deletion.objects.count() == 2
    assert not OutboxEvent.objects.filter(event="purged").exists()
    assert _events(opp.pk) == ["created", "deleted"]
    records.purge(ctx, opp_deletion.pk)
    records.purge(ctx, account_deletion.pk)
    assert not Deletion.objects.exists()
    assert not Account.objects.exists()


def test_purge_clears_lookups_of_live_records_with_history_and_events(ctx):
    contact = records.create(ctx, "contact", data={"last_name": "Doe"})
    case = records.create(
        ctx, "case", data={"subject": "Broken", "contact": contact.pk}
    )
    deletion = records.delete(ctx, "contact", contact.pk)
    records.purge(ctx, deletion.pk)
    case.refresh_from_db()
    assert case.contact_id is None
    assert case.updated_by_id == ctx.user.pk
    assert _history(case.pk) == [("contact", str(contact.pk), None)]
    updated = OutboxEvent.objects.get(record_id=case.pk, event="updated")
    assert updated.changed == ["contact"]
    assert (updated.before["contact"], updated.after["contact"]) == (
        str(contact.pk),
        None,
    )
    assert updated.user_id == ctx.user.pk
    assert _events(case.pk) == ["created", "updated"]


def test_purge_clears_lookups_of_records_in_other_batches_too(ctx):
    contact = records.create(ctx, "contact", data={"last_name": "Doe"})
    case = records.create(
        ctx, "case", data={"subject": "Broken", "contact": contact.pk}
    )
    case_deletion = records.delete(ctx, "case", case.pk)
    records.purge(ctx, records.delete(ctx, "contact", contact.pk).pk)
    records.restore(ctx, case_deletion.pk)
    case.refresh_from_db()
    assert (case.deleted_at, case.contact_id) == (None, None)
    assert _history(case.pk) == [("contact", str(contact.pk), None)]
    assert _events(case.pk) == ["created", "deleted", "updated", "restored"]


def test_purge_clears_custom_lookups_pointing_into_the_batch(ctx):
    metadata.create_field(
        ctx,
        "account",
        name="main_contact",
        label="Main contact",
        type="lookup",
        target="contact",
    )
    metadata.create_object(ctx, api_name="site_visit", label="Site visit")
    metadata.create_field(
        ctx, "site_visit", name="host", label="Host", type="lookup", target="contact"
    )
    contact = records.create(ctx, "contact", data={"last_name": "Doe"})
    account = records.create(
        ctx, "account", data={"name": "Acme", "main_contact": contact.pk}
    )
    visit = records.create(ctx, "site_visit", data={"name": "V", "host": contact.pk})
    records.purge(ctx, records.delete(ctx, "contact", contact.pk).pk)
    account.refresh_from_db()
    visit.refresh_from_db()
    assert account.custom == {}
    assert visit.data == {"name": "V"}
    assert _history(account.pk) == [("main_contact", str(contact.pk), None)]
    assert _history(visit.pk) == [("host", str(contact.pk), None)]
    for record in (account, visit):
        assert _events(record.pk) == ["created", "updated"]


def test_purge_writes_a_purged_event_per_record_with_its_last_state(ctx, account_tree):
    deletion = records.delete(ctx, "account", account_tree["account"].pk)
    last = {e.record_id: e.before for e in OutboxEvent.objects.filter(event="deleted")}
    records.purge(ctx, deletion.pk)
    purged = OutboxEvent.objects.filter(event="purged").order_by("pk")
    assert sorted((e.object_name, e.record_id) for e in purged) == sorted(
        (name, record.pk) for name, record in account_tree.items()
    )
    for event in purged:
        assert event.before == last[event.record_id]
        assert (event.after, event.user_id) == (None, ctx.user.pk)
    assert purged.get(record_id=account_tree["account"].pk).before["name"] == "Acme"


def test_purge_tells_the_records_linked_to_the_batch(ctx):
    account = records.create(ctx, "account", data={"name": "Acme"})
    note = records.create(ctx, "note", data={"title": "Minutes", "body": "…"})
    records.associate(ctx, "account", account.pk, "note", note.pk, label="about")
    records.purge(ctx, records.delete(ctx, "note", note.pk).pk)
    assert not Association.objects.exists()
    events = OutboxEvent.objects.filter(record_id=account.pk).order_by("pk")
    assert [(e.event, e.changed) for e in events] == [
        ("created", []),
        ("updated", ["associations"]),
        ("updated", ["associations"]),
    ]


# -- restore: unique values taken since ---------------------------------------


def test_restore_refuses_a_unique_value_taken_since_and_changes_nothing(ctx):
    first = records.create(ctx, "product", data={"name": "A", "product_code": "X-1"})
    deletion = records.delete(ctx, "product", first.pk)
    records.create(ctx, "product", data={"name": "B", "product_code": "x-1"})
    with pytest.raises(errors.DuplicateValue) as caught:
        records.restore(ctx, deletion.pk)
    assert caught.value.code == "duplicate_value"
    assert [(d.field, d.message) for d in caught.value.details] == [
        ("product_code", "Another Product already has this Product code.")
    ]
    first.refresh_from_db()
    assert first.deletion_id == deletion.pk
    assert _events(first.pk) == ["created", "deleted"]
    live = Product.objects.filter(deleted_at__isnull=True)
    assert list(live.values_list("name", "product_code")) == [("B", "x-1")]


def test_restore_refuses_a_campaign_member_that_joined_again(ctx):
    campaign = records.create(ctx, "campaign", data={"name": "Launch"})
    contact = records.create(ctx, "contact", data={"last_name": "Doe"})
    data = {"campaign": campaign.pk, "contact": contact.pk}
    member = records.create(ctx, "campaign_member", data=data)
    deletion = records.delete(ctx, "campaign_member", member.pk)
    records.create(ctx, "campaign_member", data=data)
    with pytest.raises(errors.DuplicateValue) as caught:
        records.restore(ctx, deletion.pk)
    assert (caught.value.field, caught.value.message) == (
        "contact",
        "Another Campaign Member already has this Campaign and Contact.",
    )
    assert CampaignMember.objects.get(pk=member.pk).deletion_id == deletion.pk


# -- purge_expired: each batch on its own --------------------------------------


def _expire(*deletions, days=31):
    for deletion in deletions:
        Deletion.objects.filter(pk=deletion.pk).update(
            deleted_at=timezone.now() - dt.timedelta(days=days)
        )
        days -= 1


def test_purge_expired_purges_dependent_batches_first_whatever_their_age(
    ctx, account_tree, settings
):
    settings.RECYCLE_BIN_RETENTION_DAYS = 30
    opp_deletion = records.delete(ctx, "opportunity", account_tree["opportunity"].pk)
    account_deletion = records.delete(ctx, "account", account_tree["account"].pk)
    _expire(account_deletion, opp_deletion)  # the account's batch looks older
    assert records.purge_expired() == 2
    assert not Deletion.objects.exists()
    for model in (Account, Contact, Opportunity, Task):
        assert not model.objects.exists()


def test_purge_expired_keeps_a_batch_an_unexpired_one_refers_to_and_says_why(
    ctx, account_tree, settings, caplog
):
    settings.RECYCLE_BIN_RETENTION_DAYS = 30
    other = records.create(ctx, "account", data={"name": "Other"})
    records.delete(ctx, "opportunity", account_tree["opportunity"].pk)
    account_deletion = records.delete(ctx, "account", account_tree["account"].pk)
    other_deletion = records.delete(ctx, "account", other.pk)
    _expire(account_deletion, other_deletion)
    with caplog.at_level("WARNING", logger="crm"):
        assert records.purge_expired() == 1
    assert sorted(Deletion.objects.values_list("record_label", flat=True)) == [
        "Acme",
        "Deal",
    ]
    assert not Account.objects.filter(pk=other.pk).exists()
    assert [r.getMessage() for r in caplog.records] == [
        f"Recycle-bin batch {account_deletion.pk} is past retention but kept: "
        "1 Opportunity in the recycle bin (batch 'Deal') still refers to this "
        "batch's Account through Account; purge that batch first."
    ]


def test_purge_expired_logs_a_failing_batch_and_goes_on(
    ctx, settings, monkeypatch, caplog
):
    settings.RECYCLE_BIN_RETENTION_DAYS = 30
    bad, good = (records.create(ctx, "account", data={"name": n}) for n in "BG")
    bad_deletion = records.delete(ctx, "account", bad.pk)
    good_deletion = records.delete(ctx, "account", good.pk)
    _expire(bad_deletion, good_deletion)
    real = purging.purge

    def flaky(ctx, deletion_id):
        if deletion_id == bad_deletion.pk:
            raise RuntimeError("disk on fire")
        return real(ctx, deletion_id)

    monkeypatch.setattr(purging, "purge", flaky)
    with caplog.at_level("ERROR", logger="crm"):
        assert records.purge_expired() == 1
    assert list(Deletion.objects.values_list("pk", flat=True)) == [bad_deletion.pk]
    assert list(Account.objects.values_list("name", flat=True)) == ["B"]
    assert [r.getMessage() for r in caplog.records] == [
        f"Purging recycle-bin batch {bad_deletion.pk} failed."
    ]
