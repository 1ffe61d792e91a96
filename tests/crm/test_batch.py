"""The batch path (``crm.records.batch``) against the single-record path: the
same rows give the same results, records, history and events, for valid and
invalid rows alike. Each comparison runs both paths from the same state (a
savepoint rolled back in between) and compares what they wrote, with ids and
clock readings replaced by the row they belong to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import errors
from crm import records
from crm.metadata import registry
from crm.metadata import services as metadata
from crm.models import Account, Contact, FieldChange, OutboxEvent
from crm.records import batch, rollups
from tests.crm.test_lifecycle import CREATION_ORDER
from tests.records import sample_data

#: Fields whose values come from the clock or the id generator.
_VOLATILE = frozenset({"id", "created_at", "updated_at", "closed_at"})


def _norm(snapshot: dict | None, ids: dict) -> Any:
    if snapshot is None:
        return None
    return {
        k: ids.get(v, v) if isinstance(v, str) else v
        for k, v in snapshot.items()
        if k not in _VOLATILE
    }


def _outcome(run: Callable[[], list], kept: frozenset[str] = frozenset()) -> dict:
    """Run ``run`` (rows → [(record id or None, error)]) in a savepoint,
    describe what it wrote, and roll it back. Records of the ``kept``
    objects (parents whose figures the rows move: written once per batch,
    once per row one by one) are described by their last state, and
    ``kept_updates`` counts their events."""
    events_before = OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True)
    history_before = FieldChange.objects.order_by("-pk").values_list("pk", flat=True)
    mark = (events_before.first() or 0, history_before.first() or 0)
    sid = transaction.savepoint()
    results = run()
    ids = {str(pk): f"row{i}" for i, (pk, _) in enumerate(results) if pk}
    events = list(OutboxEvent.objects.filter(pk__gt=mark[0]).order_by("pk"))
    history = list(FieldChange.objects.filter(pk__gt=mark[1]).order_by("pk"))
    described = {
        "results": [
            (
                ids.get(str(pk)) if pk else None,
                None
                if error is None
                else (error.code, [(d.field, d.message) for d in error.details]),
            )
            for pk, error in results
        ],
        "events": sorted(
            (
                ids.get(str(e.record_id), str(e.record_id)),
                e.object_name,
                e.event,
                repr(_norm(e.before, ids)),
                repr(_norm(e.after, ids)),
                sorted(e.changed),
            )
            for e in events
            if e.object_name not in kept
        ),
        "history": sorted(
            (ids.get(str(c.record_id)), c.field, repr(c.old_value), repr(c.new_value))
            for c in history
            if c.object_name not in kept
        ),
        "kept": {
            str(e.record_id): repr(_norm(e.after, ids))
            for e in events
            if e.object_name in kept
        },
        "kept_history": {
            (str(c.record_id), c.field): repr(c.new_value)
            for c in history
            if c.object_name in kept
        },
        "kept_updates": sum(1 for e in events if e.object_name in kept),
    }
    transaction.savepoint_rollback(sid)
    return described


def _one_by_one(call: Callable[[Any], Any], rows: list) -> list:
    done = []
    for row in rows:
        try:
            with transaction.atomic():
                record = call(row)
            done.append((getattr(record, "record_id", None) or record.pk, None))
        except errors.DomainError as exc:
            if not exc.details:
                exc.details = ((errors.FieldError(exc.field, exc.message)),)
            done.append((None, exc))
    return done


def _batched(results: list) -> list:
    out = []
    for r in results:
        error = r.error
        if error is not None and not error.details:
            error.details = (errors.FieldError(error.field, error.message),)
        out.append((r.record_id if r.ok else None, error))
    return out


def _same_creates(ctx, name: str, rows: list) -> dict:
    kept = frozenset(r.parent for r in rollups.of_child(registry.get(ctx, name)))
    single = _outcome(
        lambda: _one_by_one(lambda row: records.create(ctx, name, data=row), rows),
        kept,
    )
    many = _outcome(lambda: _batched(batch.create_many(ctx, name, rows)), kept)
    assert many["kept_updates"] <= single["kept_updates"]
    single["kept_updates"] = many["kept_updates"]
    assert many == single
    return many


def test_every_object_creates_the_same_in_a_batch(ctx, other_ctx):
    stranger = records.create(other_ctx, "account", data={"name": "Theirs"})
    parents: dict[str, Any] = {"user": ctx.user.pk}
    for name in CREATION_ORDER:
        object_type = registry.get(ctx, name)
        good = [sample_data(object_type, parents, n) for n in (1, 2, 3)]
        if name == "campaign_member":  # a person joins a campaign once
            del good[0]["lead"], good[1]["contact"]
        bad = [{"shoe_size": 9}, {}, {**good[0], "owner": str(other_ctx.user.pk)}]
        if any(spec.target == "account" for spec in object_type.lookups):
            spec = next(s for s in object_type.lookups if s.target == "account")
            bad.append({**good[0], spec.name: str(stranger.pk)})
        outcome = _same_creates(ctx, name, [good[0], bad[0], good[1], *bad[1:]])
        assert outcome["results"][0][1] is None, (name, outcome["results"])
        assert outcome["results"][1][1][0] == "validation_failed"
        assert [e[2] for e in outcome["events"]].count("created") >= 2
        if name == "quote_line_item":  # two items, one update of their quote
            assert (outcome["kept_updates"], len(outcome["kept"])) == (1, 1)
        parents[name] = records.create(ctx, name, data=good[2]).pk


def test_refusals_of_every_stage_are_the_same_in_a_batch(ctx):
    metadata.create_validation_rule(
        ctx,
        "opportunity",
        name="big_needs_account",
        condition=[["amount", ">", 1000], ["account", "is_null"]],
        error_message="A big deal needs an account.",
        error_field="account",
    )
    metadata.create_field(
        ctx, "opportunity", name="ref", label="Reference", type="text", unique=True
    )
    records.create(
        ctx,
        "opportunity",
        data={"name": "Old", "close_date": "2026-01-01", "ref": "R1"},
    )
    base = {"name": "D", "close_date": "2026-06-30"}
    rows = [
        {**base, "amount": 10},
        {**base, "amount": 5000},  # the rule
        {**base, "ref": "R1"},  # unique, against the table
        {**base, "ref": "R2"},
        {**base, "ref": "R2"},  # unique, against the row before
        {**base, "stage": "nonsense", "amount": "x"},  # cleaning + stage at once
        {"amount": 7},  # required fields
        {**base, "stage": "Closed Won"},
    ]
    outcome = _same_creates(ctx, "opportunity", rows)
    assert [r[1][0] if r[1] else None for r in outcome["results"]] == [
        None,
        "validation_failed",
        "duplicate_value",
        None,
        "duplicate_value",
        "validation_failed",
        "validation_failed",
        None,
    ]
    assert outcome["results"][5][1][1] == [
        ("stage", outcome["results"][5][1][1][0][1]),
        ("amount", "Enter a number."),
    ]


def test_updates_are_the_same_in_a_batch(ctx, other_ctx):
    deals = [
        records.create(
            ctx, "opportunity", data={"name": f"D{n}", "close_date": "2026-06-30"}
        )
        for n in range(4)
    ]
    theirs = records.create(other_ctx, "account", data={"name": "Theirs"})
    rows = [
        {"id": str(deals[0].pk), "amount": 100, "stage": "negotiation"},
        {"id": str(deals[1].pk), "name": "D1"},  # changes nothing
        {"id": str(deals[2].pk), "stage": "Closed Won"},
        {"id": str(deals[3].pk), "close_date": "soon"},
        {"id": str(deals[3].pk), "account": str(theirs.pk)},
        {"id": str(theirs.pk), "name": "Mine"},
        {"id": str(deals[0].pk), "amount": 200},  # the same record again
    ]

    def single():
        done = []
        for row in rows:
            rest = {k: v for k, v in row.items() if k != "id"}
            try:
                with transaction.atomic():
                    records.update(ctx, "opportunity", row["id"], data=rest)
                done.append((row["id"], None))
            except errors.DomainError as exc:
                if not exc.details:
                    exc.details = (errors.FieldError(exc.field, exc.message),)
                done.append((None, exc))
        return done

    ids_first = _outcome(single)
    many = _outcome(lambda: _batched(batch.update_many(ctx, "opportunity", rows)))
    assert many["events"] == ids_first["events"]
    assert many["history"] == ids_first["history"]
    assert [r[1] for r in many["results"]] == [r[1] for r in ids_first["results"]]
    assert [e[2] for e in many["events"]].count("stage_changed") == 2


def test_upsert_updates_a_match_and_creates_the_rest(ctx):
    records.create(ctx, "product", data={"name": "Widget", "product_code": "W-1"})
    results = batch.upsert_many(
        ctx,
        "product",
        [
            {"product_code": "w-1", "name": "Widget v2"},
            {"product_code": "G-2", "name": "Gadget"},
            {"product_code": "g-2", "family": "hardware"},  # the row before's record
            {"name": "No code"},
            {"product_code": "X-9", "name": ""},
        ],
        key="ProductCode",
    )
    assert [(r.action, r.error.code if r.error else None) for r in results] == [
        ("updated", None),
        ("created", None),
        ("updated", None),
        ("", "validation_failed"),
        ("", "validation_failed"),
    ]
    assert results[2].record_id == results[1].record_id
    assert results[3].errors[0].message == "Each row needs one 'product_code'."
    found = {
        p.product_code: (p.name, p.family)
        for p in registry.get(ctx, "product").queryset(ctx.workspace)
    }
    assert found == {"w-1": ("Widget v2", ""), "g-2": ("Gadget", "hardware")}


def test_upsert_by_id_updates_and_refuses_unknown_ids(ctx, other_ctx):
    mine = records.create(ctx, "account", data={"name": "Mine"})
    theirs = records.create(other_ctx, "account", data={"name": "Theirs"})
    results = batch.upsert_many(
        ctx,
        "account",
        [
            {"id": f"acc_{mine.pk.hex}", "name": "Renamed"},
            {"id": str(theirs.pk), "name": "Stolen"},
        ],
        key="id",
    )
    assert [r.action or r.error.code for r in results] == ["updated", "not_found"]
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
    with pytest.raises(errors.ValidationFailed):
        batch.upsert_many(ctx, "account", [{"name": "A"}], key="name")


def test_deletes_are_the_same_in_a_batch_and_cascade(ctx, other_ctx):
    acme = records.create(ctx, "account", data={"name": "Acme"})
    globex = records.create(ctx, "account", data={"name": "Globex"})
    for n in range(2):
        records.create(ctx, "contact", data={"last_name": f"C{n}", "account": acme.pk})
    contact = records.create(
        ctx, "contact", data={"last_name": "Solo", "account": globex.pk}
    )
    theirs = records.create(other_ctx, "account", data={"name": "Theirs"})
    rows = [acme.pk, contact.pk, globex.pk, acme.pk, theirs.pk]
    names = ["account", "contact", "account", "account", "account"]
    pairs = list(zip(rows, names, strict=True))

    def single():
        out = []
        for pk, name in pairs:
            try:
                with transaction.atomic():
                    deletion = records.delete(ctx, name, pk)
                out.append((deletion.record_id, None))
            except errors.DomainError as exc:
                exc.details = exc.details or (
                    errors.FieldError(exc.field, exc.message),
                )
                out.append((None, exc))
        return out

    def many():
        out = []
        for pk, name in pairs:  # contacts are another object: one call each
            out += _batched(batch.delete_many(ctx, name, [pk]))
        return out

    assert _outcome(many) == _outcome(single)
    results = batch.delete_many(ctx, "account", [acme.pk, acme.pk, globex.pk])
    assert [r.action or r.error.code for r in results] == [
        "deleted",
        "not_found",
        "deleted",
    ]
    assert results[0].record.counts == {"account": 1, "contact": 2}
    live = {"workspace": ctx.workspace, "deleted_at__isnull": True}
    assert not Contact.objects.filter(**live).exists()
    assert not Account.objects.filter(**live).exists()


def test_a_restricted_delete_is_refused_per_row(ctx):
    product = records.create(ctx, "product", data={"name": "Widget"})
    spare = records.create(ctx, "product", data={"name": "Spare"})
    opp = records.create(
        ctx, "opportunity", data={"name": "D", "close_date": "2026-01-01"}
    )
    records.create(
        ctx,
        "opportunity_line_item",
        data={"opportunity": opp.pk, "product": product.pk, "unit_price": 10},
    )
    with pytest.raises(errors.ReferenceConflict) as caught:
        records.delete(ctx, "product", product.pk)
    results = batch.delete_many(ctx, "product", [product.pk, spare.pk])
    assert results[0].error.message == caught.value.message
    assert results[1].action == "deleted"
    # Deleted first, the deal takes its line item along: the product may go.
    results = batch.delete_many(ctx, "opportunity", [opp.pk])
    assert batch.delete_many(ctx, "product", [product.pk])[0].action == "deleted"


def test_a_batch_costs_the_same_queries_for_ten_rows_as_for_a_hundred(ctx):
    account = records.create(ctx, "account", data={"name": "Parent"})

    def rows(n):
        return [
            {"last_name": f"C{i}", "account": str(account.pk), "email": f"c{i}@x.io"}
            for i in range(n)
        ]

    def reads(queries) -> list[str]:
        """Queries other than the inserts and updates, which the backend may
        cut into statements of at most so many parameters."""
        return [
            q["sql"][:40]
            for q in queries
            if not q["sql"].startswith(("INSERT", "UPDATE", "SAVEPOINT", "RELEASE"))
        ]

    with CaptureQueriesContext(connection) as ten:
        batch.create_many(ctx, "contact", rows(10))
    with CaptureQueriesContext(connection) as hundred:
        batch.create_many(ctx, "contact", rows(100))
    assert reads(hundred.captured_queries) == reads(ten.captured_queries)
    assert len(hundred.captured_queries) <= 15
    changes = [{"id": str(c.pk), "title": "CEO"} for c in Contact.objects.all()]
    with CaptureQueriesContext(connection) as few:
        batch.update_many(ctx, "contact", changes[:10])
    with CaptureQueriesContext(connection) as many:
        batch.update_many(ctx, "contact", [{**c, "title": "CTO"} for c in changes])
    assert reads(many.captured_queries) == reads(few.captured_queries)
    assert len(many.captured_queries) <= 15


def test_rows_that_are_not_objects_are_refused_per_row(ctx):
    results = batch.update_many(ctx, "account", ["nope", {"name": "no id"}])
    assert [r.errors[0].message for r in results] == [
        "Each row is an object with an id.",
        "Each row needs one 'id'.",
    ]
    created = batch.create_many(ctx, "account", [None, {"name": "A"}])
    assert created[0].errors[0].message == "Send the record's fields as an object."
    assert created[1].ok
