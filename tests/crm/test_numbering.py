"""Numbers the lifecycle gives new records (``auto_numbers``): case numbers,
per workspace, in creation order, one counter update per batch, never shared
by two cases however many are created at once."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.apps import apps
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from accounts import errors
from crm import query, records
from crm.metadata import registry
from crm.models import Case, Counter, OutboxEvent
from crm.records import batch

migration = importlib.import_module("crm.migrations.0008_rollups_and_numbers")


def _case(ctx, subject="Printer on fire"):
    return records.create(ctx, "case", data={"subject": subject})


def _numbers(ctx) -> list[str]:
    rows = Case.objects.filter(workspace=ctx.workspace).order_by("created_at", "pk")
    return list(rows.values_list("case_number", flat=True))


def test_cases_are_numbered_per_workspace_in_creation_order(ctx, other_ctx):
    first, second = _case(ctx), _case(ctx)
    theirs = _case(other_ctx)

    assert (first.case_number, second.case_number) == ("00001000", "00001001")
    assert theirs.case_number == "00001000"
    event = OutboxEvent.objects.get(record_id=second.pk)
    assert event.after["case_number"] == "00001001"
    row = query.get(ctx, "case", second.pk, fields=["case_number"])
    assert row["case_number"] == "00001001"
    counter = Counter.objects.get(workspace=ctx.workspace)
    assert (counter.object_name, counter.field, counter.last_value) == (
        "case",
        "case_number",
        1001,
    )


def test_the_case_number_is_read_only_and_unique(ctx):
    spec = registry.get(ctx, "case").fields["case_number"]
    assert (spec.read_only, spec.unique, spec.label) == (True, True, "Case number")
    with pytest.raises(errors.ValidationFailed, match="read-only"):
        records.create(ctx, "case", data={"subject": "X", "case_number": "1"})
    case = _case(ctx)
    with pytest.raises(errors.ValidationFailed, match="read-only"):
        records.update(ctx, "case", case.pk, data={"case_number": "00000001"})
    assert _numbers(ctx) == ["00001000"]


def test_a_batch_takes_one_block_with_one_counter_update(ctx):
    _case(ctx)
    rows = [{"subject": f"Case {n}"} for n in range(5)]
    rows.insert(2, {"priority": "high"})  # no subject: refused, takes no number

    with CaptureQueriesContext(connection) as queries:
        results = batch.create_many(ctx, "case", rows)

    assert [r.ok for r in results] == [True, True, False, True, True, True]
    numbered = [r.record.case_number for r in results if r.ok]
    assert numbered == ["00001001", "00001002", "00001003", "00001004", "00001005"]
    counter = [q["sql"] for q in queries.captured_queries if "crm_counter" in q["sql"]]
    assert len(counter) == 1
    assert _case(ctx).case_number == "00001006"


def test_a_case_keeps_its_number_through_the_bin_and_numbers_go_on(ctx):
    case = _case(ctx)
    deletion = records.delete(ctx, "case", case.pk)
    assert _case(ctx).case_number == "00001001"
    records.restore(ctx, deletion.pk)
    assert Case.objects.get(pk=case.pk).case_number == "00001000"
    assert _case(ctx).case_number == "00001002"


def _create_then_fail(ctx) -> None:
    with transaction.atomic():
        assert _case(ctx).case_number == "00001001"
        raise RuntimeError


def test_a_rolled_back_create_gives_its_number_back(ctx):
    _case(ctx)
    with pytest.raises(RuntimeError):
        _create_then_fail(ctx)
    assert _case(ctx).case_number == "00001001"
    assert _numbers(ctx) == ["00001000", "00001001"]


def test_an_upsert_finds_a_case_by_its_number_and_never_sets_one(ctx):
    case = _case(ctx)
    rows = [
        {"case_number": "00001000", "priority": "high"},
        {"case_number": "00009999", "subject": "New"},
    ]
    updated, refused = batch.upsert_many(ctx, "case", rows, key="case_number")
    assert (updated.action, updated.record_id) == ("updated", case.pk)
    assert Case.objects.get(pk=case.pk).priority == "high"
    assert [(e.field, e.message) for e in refused.errors] == [
        ("case_number", "Case number is read-only.")
    ]
    assert _numbers(ctx) == ["00001000"]


def test_search_finds_a_case_by_its_number(ctx):
    _case(ctx, "Broken hinge")
    second = _case(ctx, "Lost key")
    hits = query.search(ctx, "00001001")
    assert [(h.object, h.id, h.name) for h in hits] == [
        ("case", str(second.pk), "Lost key")
    ]


def test_the_migration_numbers_existing_cases_in_creation_order(ctx, other_ctx):
    made = [_case(ctx, f"Case {n}") for n in range(3)]
    records.delete(ctx, "case", made[1].pk)
    theirs = _case(other_ctx)
    for n, case in enumerate(Case.objects.all()):
        Case.objects.filter(pk=case.pk).update(case_number=f"old {n}")
    Counter.objects.all().delete()
    # Creation order, not id order, decides: the last made is the oldest.
    for hours, case in enumerate(reversed(made)):
        later = case.created_at + dt.timedelta(hours=hours)
        Case.objects.filter(pk=case.pk).update(created_at=later)

    migration.number_existing(apps, None)

    numbers = dict(Case.objects.values_list("pk", "case_number"))
    assert [numbers[c.pk] for c in made] == ["00001002", "00001001", "00001000"]
    assert numbers[theirs.pk] == "00001000"
    assert _case(ctx).case_number == "00001003"
    assert _case(other_ctx).case_number == "00001001"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises them)",
)
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_creates_get_fifty_different_numbers(ctx):
    start = threading.Barrier(50)

    def create(n):
        try:
            start.wait()
            if n % 5:
                return [_case(ctx, f"Case {n}").case_number]
            rows = [{"subject": f"Batch {n}.{i}"} for i in range(5)]
            return [r.record.case_number for r in batch.create_many(ctx, "case", rows)]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=50) as pool:
        given = list(pool.map(create, range(50)))

    expected = [f"{n:08d}" for n in range(1000, 1000 + 40 + 10 * 5)]
    assert sorted(n for numbers in given for n in numbers) == expected
    assert sorted(_numbers(ctx)) == expected
    for numbers in given:  # a batch's block is consecutive
        assert [int(n) for n in numbers] == list(
            range(int(numbers[0]), int(numbers[0]) + len(numbers))
        )
    assert Counter.objects.get(workspace=ctx.workspace).last_value == 1089
