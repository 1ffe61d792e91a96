"""Links between records: who may make them, and the event they write."""

import pytest

from accounts import access, errors
from crm import records, sharing
from crm.models import Association, OutboxEvent


def _link_events(record_id):
    return [
        (e.event, e.changed, e.before == e.after)
        for e in OutboxEvent.objects.filter(record_id=record_id).order_by("pk")
    ]


def test_a_link_needs_an_editable_from_record_and_a_readable_to_record(
    ctx, member_ctx, member
):
    sharing.set_default(ctx, "account", "private")
    hidden = records.create(ctx, "account", data={"name": "Hidden"})
    mine = records.create(member_ctx, "account", data={"name": "Mine"})
    for source, target in ((mine, hidden), (hidden, mine)):
        with pytest.raises(errors.NotFound) as caught:
            records.associate(member_ctx, "account", source.pk, "account", target.pk)
        assert caught.value.message == f"No Account with id {hidden.pk}."
    sharing.set_default(ctx, "account", "public_read")
    member_ctx = access.context_for_user(member, ctx.workspace)  # a new request
    with pytest.raises(errors.NotFound):
        records.associate(member_ctx, "account", hidden.pk, "account", mine.pk)
    with pytest.raises(errors.NotFound):
        records.dissociate(member_ctx, "account", hidden.pk, "account", mine.pk)
    assert not Association.objects.exists()
    link = records.associate(member_ctx, "account", mine.pk, "account", hidden.pk)
    assert (link.from_id, link.to_id, link.created_by_id) == (
        mine.pk,
        hidden.pk,
        member_ctx.user.pk,
    )


def test_linking_and_unlinking_write_an_updated_event_of_the_from_record(ctx):
    account = records.create(ctx, "account", data={"name": "Acme"})
    contact = records.create(ctx, "contact", data={"last_name": "Doe"})
    records.associate(ctx, "account", account.pk, "contact", contact.pk, label="x")
    records.associate(ctx, "account", account.pk, "contact", contact.pk, label="x")
    assert records.dissociate(ctx, "account", account.pk, "contact", contact.pk) == 0
    assert (
        records.dissociate(ctx, "account", account.pk, "contact", contact.pk, label="x")
        == 1
    )
    assert _link_events(account.pk) == [
        ("created", [], False),
        ("updated", ["associations"], True),
        ("updated", ["associations"], True),
    ]
    assert _link_events(contact.pk) == [("created", [], False)]
    event = OutboxEvent.objects.filter(record_id=account.pk).last()
    assert event.after["name"] == "Acme"
    assert event.user_id == ctx.user.pk


def test_a_link_to_a_record_in_the_bin_can_be_removed_not_made(ctx):
    account = records.create(ctx, "account", data={"name": "Acme"})
    note = records.create(ctx, "note", data={"title": "Minutes", "body": "…"})
    records.associate(ctx, "account", account.pk, "note", note.pk)
    records.delete(ctx, "note", note.pk)
    with pytest.raises(errors.NotFound):
        records.associate(ctx, "account", account.pk, "note", note.pk, label="y")
    assert records.dissociate(ctx, "account", account.pk, "note", note.pk) == 1
    assert not Association.objects.exists()
