"""Optimistic concurrency: ``expected_version`` on update, replace and delete."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from accounts import errors
from crm import records
from crm.models import Account, FieldChange, OutboxEvent


@pytest.fixture
def account(ctx):
    return records.create(ctx, "account", data={"name": "Acme"})


def _events(record) -> list[str]:
    return list(
        OutboxEvent.objects.filter(record_id=record.pk)
        .order_by("pk")
        .values_list("event", flat=True)
    )


def test_the_version_is_updated_at_in_microseconds(account):
    micros = int(account.updated_at.timestamp()) * 1_000_000
    micros += account.updated_at.microsecond
    assert records.version(account.updated_at) == str(micros)


def test_an_update_at_the_expected_version_applies_and_moves_the_version(ctx, account):
    before = records.version(account.updated_at)
    changed = records.update(
        ctx, "account", account.pk, data={"phone": "555-0101"}, expected_version=before
    )
    assert changed.phone == "555-0101"
    assert records.version(changed.updated_at) != before


def test_a_stale_version_refuses_update_replace_and_delete_and_changes_nothing(
    ctx, account
):
    stale = records.version(account.updated_at)
    records.update(ctx, "account", account.pk, data={"phone": "555-0101"})
    for write in (
        lambda: records.update(
            ctx,
            "account",
            account.pk,
            data={"phone": "555-0102"},
            expected_version=stale,
        ),
        lambda: records.replace(
            ctx, "account", account.pk, data={"name": "B"}, expected_version=stale
        ),
        lambda: records.delete(ctx, "account", account.pk, expected_version=stale),
    ):
        with pytest.raises(errors.PreconditionFailed) as raised:
            write()
        assert raised.value.code == "precondition_failed"
        assert raised.value.message == (
            "This Account has changed since you read it; read it again and retry."
        )
    row = Account.objects.get(pk=account.pk)
    assert (row.name, row.phone, row.deleted_at) == ("Acme", "555-0101", None)
    assert _events(account) == ["created", "updated"]
    assert FieldChange.objects.filter(record_id=account.pk).count() == 1


def test_any_of_several_versions_may_match(ctx, account):
    current = records.version(account.updated_at)
    deletion = records.delete(
        ctx, "account", account.pk, expected_version=["1", current]
    )
    assert deletion.record_id == account.pk


def test_a_write_that_changes_nothing_keeps_the_version(ctx, account):
    current = records.version(account.updated_at)
    same = records.update(
        ctx, "account", account.pk, data={"name": "Acme"}, expected_version=current
    )
    assert records.version(same.updated_at) == current


def test_no_expected_version_means_no_condition(ctx, account):
    records.update(ctx, "account", account.pk, data={"phone": "555-0101"})
    records.replace(ctx, "account", account.pk, data={"name": "B"})
    records.delete(ctx, "account", account.pk)
    assert _events(account) == ["created", "updated", "updated", "deleted"]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises them)",
)
@pytest.mark.django_db(transaction=True)
def test_two_writers_at_the_same_version_one_wins(ctx):
    account = records.create(ctx, "account", data={"name": "Race"})
    version = records.version(account.updated_at)
    start = threading.Barrier(2)

    def write(phone: str) -> str:
        try:
            start.wait()
            records.update(
                ctx,
                "account",
                account.pk,
                data={"phone": phone},
                expected_version=version,
            )
            return "ok"
        except errors.PreconditionFailed:
            return "stale"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(write, ["555-0101", "555-0102"]))
    assert outcomes == ["ok", "stale"]
    assert _events(account) == ["created", "updated"]
