"""Outbox events → deliveries: matching, the exact payload, exactly once, the
watermark, tenancy and what the subscription's owner may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from accounts import errors
from crm import records
from crm.models import ObjectSharing, OutboxEvent
from crm.records import outbox
from tests.webhooks.conftest import pump, subscribe
from webhooks import dispatch, payloads, stream
from webhooks.models import Delivery, DispatchCursor, PublishedEvent


def test_an_update_reaches_the_receiver_with_the_documented_payload(
    ctx, receiver, account, contract
):
    subscribe(ctx, receiver, events=["updated"], filter=[["status", "=", "activated"]])
    records.update(ctx, "contract", contract.pk, data={"status": "in_approval"})
    records.update(ctx, "contract", contract.pk, data={"status": "activated"})
    pump()
    [got] = receiver.wait_for(1)
    event = OutboxEvent.objects.get(
        record_id=contract.pk, event="updated", after__status="activated"
    )
    body = got.payload
    assert list(body) == [
        "event",
        "event_id",
        "occurred_at",
        "tenant_id",
        "record_id",
        "before",
        "after",
        "user_id",
    ]
    assert body["event"] == "contract.updated"
    assert body["event_id"] == payloads.event_id(event.pk)
    assert body["event_id"].startswith("ev_")
    assert len(body["event_id"]) == 35
    assert body["occurred_at"] == event.occurred_at.astimezone(dt.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert body["tenant_id"] == f"ten_{ctx.workspace.pk.hex}"
    assert body["record_id"] == f"ctr_{contract.pk.hex}"
    assert body["user_id"] == f"usr_{ctx.user.pk.hex}"
    assert body["before"]["status"] == "in_approval"
    assert body["after"]["status"] == "activated"
    assert body["after"]["id"] == f"ctr_{contract.pk.hex}"
    assert body["after"]["account_id"] == f"acc_{account.pk.hex}"
    assert body["after"]["owner_id"] == f"usr_{ctx.user.pk.hex}"
    assert "account" not in body["after"]
    assert got.headers["webhook-id"] == body["event_id"]
    assert got.x_signature_ok
    assert got.standard_ok


def test_the_filter_is_evaluated_on_the_record_after_the_change(
    ctx, receiver, contract
):
    subscribe(ctx, receiver, events=["updated"], filter=[["status", "=", "draft"]])
    records.update(ctx, "contract", contract.pk, data={"status": "in_approval"})
    records.update(ctx, "contract", contract.pk, data={"status": "draft"})
    pump()
    [got] = receiver.wait_for(1)
    assert got.payload["before"]["status"] == "in_approval"
    assert got.payload["after"]["status"] == "draft"
    assert Delivery.objects.count() == 1


def test_typed_filters_compare_values_restored_from_json(ctx, receiver, account):
    subscribe(
        ctx,
        receiver,
        object_name="opportunity",
        events=["created"],
        filter=[["amount", ">", 100000], ["close_date", "<", "2026-06-30"]],
    )
    for amount, close in ((250000, "2026-03-31"), (5000, "2026-03-31")):
        records.create(
            ctx,
            "opportunity",
            data={
                "name": f"Deal {amount}",
                "account": account.pk,
                "amount": amount,
                "close_date": close,
            },
        )
    records.create(
        ctx,
        "opportunity",
        data={"name": "Late", "amount": 900000, "close_date": "2027-01-01"},
    )
    pump()
    [got] = receiver.wait_for(1)
    assert got.payload["after"]["name"] == "Deal 250000"
    assert Delivery.objects.count() == 1


def test_event_kinds_object_and_stage_changes_are_matched(ctx, receiver, account):
    subscribe(ctx, receiver, object_name="Opportunity", events=["stage_changed"])
    deal = records.create(
        ctx, "opportunity", data={"name": "Deal", "close_date": "2026-05-01"}
    )
    records.update(ctx, "opportunity", deal.pk, data={"amount": 10})
    records.update(ctx, "opportunity", deal.pk, data={"stage": "qualification"})
    records.update(ctx, "account", account.pk, data={"name": "Acme 2"})
    pump()
    [got] = receiver.wait_for(1)
    assert got.payload["event"] == "opportunity.stage_changed"
    assert got.payload["after"]["stage"] == "qualification"


def test_a_delete_is_matched_on_the_last_state_and_restore_after(
    ctx, receiver, contract
):
    subscribe(
        ctx,
        receiver,
        events=["delete", "restore"],
        filter=[["name", "starts_with", "master"]],
    )
    deletion = records.delete(ctx, "contract", contract.pk)
    records.restore(ctx, deletion.pk)
    pump()
    first, second = receiver.wait_for(2)
    kinds = sorted([first.payload["event"], second.payload["event"]])
    assert kinds == ["contract.deleted", "contract.restored"]
    deleted = next(r for r in (first, second) if r.payload["after"] is None)
    assert deleted.payload["before"]["name"] == "Master agreement"


def test_each_event_is_delivered_once_per_subscription_however_often_dispatch_runs(
    ctx, receiver, contract
):
    one = subscribe(ctx, receiver, events=["updated"])
    two = subscribe(ctx, receiver, events=["updated"], name="Second")
    records.update(ctx, "contract", contract.pk, data={"status": "in_approval"})
    assert dispatch.run().deliveries == 2
    assert dispatch.run().events == 0
    event = OutboxEvent.objects.get(record_id=contract.pk, event="updated")
    PublishedEvent.objects.filter(event=event).delete()  # as if the mark were lost
    assert dispatch.run().deliveries == 2  # attempted again, refused by the index
    assert Delivery.objects.count() == 2
    assert {d.subscription_id for d in Delivery.objects.all()} == {one.pk, two.pk}


def test_events_from_before_a_subscription_existed_are_not_sent(
    ctx, receiver, contract
):
    records.update(ctx, "contract", contract.pk, data={"status": "in_approval"})
    subscription = subscribe(ctx, receiver)
    subscription.created_at = timezone.now()
    subscription.save()
    assert dispatch.run().deliveries == 0


def test_a_subscription_never_receives_another_workspaces_events(
    ctx, other_ctx, receiver
):
    subscribe(ctx, receiver, object_name="account")
    records.create(other_ctx, "account", data={"name": "Globex"})
    mine = records.create(ctx, "account", data={"name": "Acme"})
    pump()
    [got] = receiver.wait_for(1)
    assert got.payload["record_id"] == f"acc_{mine.pk.hex}"
    assert got.payload["tenant_id"] == f"ten_{ctx.workspace.pk.hex}"
    assert Delivery.objects.count() == 1


def test_with_private_sharing_the_owner_only_receives_records_they_may_read(
    ctx, member_ctx, receiver
):
    ObjectSharing.objects.create(
        workspace=ctx.workspace, object_name="account", access="private"
    )
    subscribe(member_ctx, receiver, object_name="account", events=["created"])
    records.create(ctx, "account", data={"name": "Not theirs"})
    theirs = records.create(member_ctx, "account", data={"name": "Theirs"})
    pump()
    [got] = receiver.wait_for(1)
    assert got.payload["record_id"] == f"acc_{theirs.pk.hex}"


def test_an_owner_who_left_disables_the_subscription(ctx, member, receiver):
    from accounts import access

    member_ctx = access.context_for_user(member, ctx.workspace)
    subscription = subscribe(member_ctx, receiver, object_name="account")
    member.memberships.update(is_active=False)
    records.create(ctx, "account", data={"name": "Acme"})
    assert dispatch.run().deliveries == 0
    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert "no longer an active member" in subscription.disabled_reason


def test_the_watermark_moves_past_settled_events_only(ctx, settings):
    settings.WEBHOOK_DISPATCH_GRACE_SECONDS = 60
    old = records.create(ctx, "account", data={"name": "Old"})
    OutboxEvent.objects.filter(record_id=old.pk).update(
        occurred_at=timezone.now() - dt.timedelta(minutes=5)
    )
    new = records.create(ctx, "account", data={"name": "New"})
    dispatch.run(advance=True)
    old_event = OutboxEvent.objects.get(record_id=old.pk)
    new_event = OutboxEvent.objects.get(record_id=new.pk)
    assert DispatchCursor.objects.get().last_event_id == old_event.pk
    assert PublishedEvent.objects.filter(event=new_event).exists()


def test_the_watermark_waits_for_an_older_event_that_commits_late(ctx, settings):
    settings.WEBHOOK_DISPATCH_GRACE_SECONDS = 60
    first = records.create(ctx, "account", data={"name": "First"})
    second = records.create(ctx, "account", data={"name": "Second"})
    OutboxEvent.objects.update(occurred_at=timezone.now() - dt.timedelta(minutes=5))
    late = OutboxEvent.objects.get(record_id=first.pk)
    dispatch.run()
    # As if ``first`` had committed only now: its mark is missing.
    PublishedEvent.objects.filter(event=late).delete()
    DispatchCursor.objects.update(last_event_id=0)
    dispatch.run(limit=0, advance=True)
    assert DispatchCursor.objects.get().last_event_id == late.pk - 1
    assert dispatch.run(advance=True).events == 1
    top = OutboxEvent.objects.get(record_id=second.pk).pk
    assert DispatchCursor.objects.get().last_event_id == top


def test_the_commit_triggers_dispatch_and_delivery_once_per_transaction(
    ctx, receiver, django_capture_on_commit_callbacks
):
    subscribe(ctx, receiver, object_name="account", events=["created"])
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        records.create(ctx, "account", data={"name": "One"})
        records.create(ctx, "account", data={"name": "Two"})
    assert [c for c in callbacks if c is outbox._trigger_dispatch] == [
        outbox._trigger_dispatch
    ]
    got = receiver.wait_for(2)
    assert sorted(r.payload["after"]["name"] for r in got) == ["One", "Two"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_a_rolled_back_savepoint_does_not_swallow_the_trigger(ctx):
    with transaction.atomic():
        try:
            with transaction.atomic():
                records.create(ctx, "account", data={"name": "Gone"})
                raise RuntimeError
        except RuntimeError:
            pass
        records.create(ctx, "account", data={"name": "Kept"})
        connection = transaction.get_connection()
        pending = [f for _, f, _ in connection.run_on_commit]
    assert outbox._trigger_dispatch in pending


@pytest.mark.parametrize("broken", ["filter", "object"])
def test_a_subscription_that_no_longer_fits_its_object_is_disabled(
    ctx, receiver, broken
):
    from crm.metadata import services as metadata

    metadata.create_object(ctx, api_name="project", label="Project")
    metadata.create_field(ctx, "project", name="budget", label="Budget", type="number")
    subscription = subscribe(
        ctx, receiver, object_name="project", filter=[["budget", ">", 5]]
    )
    records.create(ctx, "project", data={"name": "Apollo", "budget": 10})
    if broken == "filter":
        metadata.delete_field(ctx, "project", "budget")
    else:
        from crm.models import ObjectDefinition

        ObjectDefinition.objects.filter(api_name="project").delete()
        ctx.workspace.refresh_from_db()
        from crm.metadata import services as meta

        meta.touch(ctx.workspace)
    assert dispatch.run().deliveries == 0
    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert subscription.disabled_reason


def test_a_purge_is_in_the_stream_but_no_subscription_can_ask_for_it(
    ctx, receiver, contract
):
    with pytest.raises(errors.ValidationFailed) as caught:
        subscribe(ctx, receiver, events=["purged"])
    assert (caught.value.field, caught.value.message) == (
        "events",
        "'purged' is not an event; use created, updated, deleted, restored, "
        "stage_changed.",
    )
    everything = subscribe(ctx, receiver)
    assert everything.events == [
        "created",
        "updated",
        "deleted",
        "restored",
        "stage_changed",
    ]
    records.purge(ctx, records.delete(ctx, "contract", contract.pk).pk)
    pump()
    [got] = receiver.wait_for(1)
    assert got.payload["event"] == "contract.deleted"
    assert [d.event_type for d in Delivery.objects.all()] == ["contract.deleted"]
    read = stream.read(ctx, cursor=None, limit=100)
    purged = [p for _, p in read.events if p["event"] == "contract.purged"]
    assert [(p["record_id"], p["before"]["name"], p["after"]) for p in purged] == [
        (f"ctr_{contract.pk.hex}", "Master agreement", None)
    ]


def test_a_run_over_many_batches_reads_in_full_only_the_events_wanted(
    ctx, receiver, monkeypatch
):
    """Events nobody subscribed to are marked (the stream shows them) without
    being read in full; a run goes on batch after batch where the last one
    stopped, and each wanted event gets its one delivery."""
    monkeypatch.setattr(dispatch, "BATCH", 3)
    subscribe(ctx, receiver, object_name="account", events=["created"])
    made = [
        records.create(ctx, "account", data={"name": f"Acme {n}"}) for n in range(4)
    ]
    contacts = [
        records.create(ctx, "contact", data={"last_name": f"Doe {n}"}) for n in range(4)
    ]
    read = []
    real = dispatch._deliveries
    monkeypatch.setattr(
        dispatch,
        "_deliveries",
        lambda events, *rest: (
            read.extend(e.record_id for e in events) or real(events, *rest)
        ),
    )
    result = dispatch.run_all()
    assert (result.events, result.deliveries) == (8, 4)
    assert sorted(read) == sorted(r.pk for r in made)
    assert (
        PublishedEvent.objects.filter(
            event__record_id__in=[c.pk for c in contacts]
        ).count()
        == 4
    )
    assert dispatch.run_all().events == 0
    assert Delivery.objects.count() == 4
