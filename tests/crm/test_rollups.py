"""Figures a parent keeps over its children (``rollups``): a quote's subtotal
and grand total follow its line items through every kind of change, in the
transaction of the change, with the quote's history and events."""

from __future__ import annotations

import importlib
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, connections, transaction

from accounts import errors
from crm import records
from crm.metadata import registry
from crm.models import FieldChange, Opportunity, OutboxEvent, Quote, QuoteLineItem
from crm.records import batch, rollups

migration = importlib.import_module("crm.migrations.0008_rollups_and_numbers")


@pytest.fixture
def product(ctx):
    return records.create(ctx, "product", data={"name": "Seat", "list_price": 100})


@pytest.fixture
def quote(ctx):
    """A quote with 10% off, 8.50 tax and 20.00 shipping, and no items yet."""
    return records.create(
        ctx,
        "quote",
        data={"name": "Q1", "discount": 10, "tax": "8.50", "shipping_handling": 20},
    )


def _item(ctx, quote, product, quantity, unit_price, discount=None):
    data = {
        "quote": str(quote.pk),
        "product": str(product.pk),
        "quantity": quantity,
        "unit_price": unit_price,
    }
    if discount is not None:
        data["discount"] = discount
    return records.create(ctx, "quote_line_item", data=data)


def _totals(quote) -> tuple[Decimal, Decimal]:
    quote.refresh_from_db()
    return quote.subtotal, quote.grand_total


def _quote_updates(quote) -> list[list[str]]:
    events = OutboxEvent.objects.filter(record_id=quote.pk, event="updated")
    return [e.changed for e in events.order_by("pk")]


def test_a_new_quote_totals_its_tax_and_shipping(quote):
    assert _totals(quote) == (Decimal("0.00"), Decimal("28.50"))


def test_the_totals_follow_line_items_created_changed_binned_restored_purged(
    ctx, quote, product
):
    seats = _item(ctx, quote, product, 2, 100)
    assert _totals(quote) == (Decimal("200.00"), Decimal("208.50"))
    # 3 x 49.99 less 10% is 134.97: 334.97, less 10% is 301.47, + 28.50.
    support = _item(ctx, quote, product, 3, "49.99", discount=10)
    assert _totals(quote) == (Decimal("334.97"), Decimal("329.97"))

    records.update(ctx, "quote_line_item", seats.pk, data={"quantity": 4})
    assert _totals(quote) == (Decimal("534.97"), Decimal("509.97"))

    deletion = records.delete(ctx, "quote_line_item", support.pk)
    assert _totals(quote) == (Decimal("400.00"), Decimal("388.50"))
    records.restore(ctx, deletion.pk)
    assert _totals(quote) == (Decimal("534.97"), Decimal("509.97"))

    deletion = records.delete(ctx, "quote_line_item", support.pk)
    updates = len(_quote_updates(quote))
    records.purge(ctx, deletion.pk)  # it left the totals when it was binned
    assert _totals(quote) == (Decimal("400.00"), Decimal("388.50"))
    assert len(_quote_updates(quote)) == updates


def test_the_quote_gets_history_and_an_updated_event_per_change(
    ctx, member_ctx, quote, product
):
    before = _quote_updates(quote)
    item = _item(ctx, quote, product, 2, 100)
    records.update(ctx, "quote_line_item", item.pk, data={"description": "Seats"})
    records.update(ctx, "quote_line_item", item.pk, data={"unit_price": 150})

    # The description moves no figure: no update of the quote for it.
    assert _quote_updates(quote)[len(before) :] == [
        ["subtotal", "grand_total"],
        ["subtotal", "grand_total"],
    ]
    event = OutboxEvent.objects.filter(record_id=quote.pk).order_by("pk").last()
    assert (event.before["subtotal"], event.after["subtotal"]) == (200, 300)
    assert (event.before["grand_total"], event.after["grand_total"]) == (208.5, 298.5)
    assert event.user_id == ctx.user_id
    history = FieldChange.objects.filter(record_id=quote.pk).order_by("pk")
    assert [(c.field, c.old_value, c.new_value) for c in history] == [
        ("subtotal", 0, 200),
        ("grand_total", 28.5, 208.5),
        ("subtotal", 200, 300),
        ("grand_total", 208.5, 298.5),
    ]
    quote.refresh_from_db()
    assert quote.updated_by_id == ctx.user_id


def test_the_quotes_own_discount_tax_and_shipping_move_its_grand_total(
    ctx, quote, product
):
    _item(ctx, quote, product, 2, 100)
    records.update(ctx, "quote", quote.pk, data={"discount": 25, "tax": None})
    assert _totals(quote) == (Decimal("200.00"), Decimal("170.00"))
    records.update(ctx, "quote", quote.pk, data={"shipping_handling": "0.99"})
    assert _totals(quote) == (Decimal("200.00"), Decimal("150.99"))
    history = FieldChange.objects.filter(record_id=quote.pk, field="grand_total")
    assert [c.new_value for c in history.order_by("pk")] == [208.5, 170, 150.99]


@pytest.mark.parametrize("field", ["subtotal", "grand_total"])
def test_the_totals_are_read_only(ctx, quote, field):
    with pytest.raises(errors.ValidationFailed, match="read-only"):
        records.update(ctx, "quote", quote.pk, data={field: 1})
    assert _totals(quote) == (Decimal("0.00"), Decimal("28.50"))


def test_a_batch_updates_each_touched_quote_once(ctx, quote, product):
    other = records.create(ctx, "quote", data={"name": "Q2"})
    rows = [
        {"quote": str(q.pk), "product": str(product.pk), "unit_price": price}
        for q, price in ((quote, 10), (other, 20), (quote, "30.50"), (other, 40))
    ]
    rows.insert(2, {"quote": str(quote.pk), "unit_price": 1})  # no product
    results = batch.create_many(ctx, "quote_line_item", rows)

    actions = ["created", "created", "", "created", "created"]
    assert [r.action for r in results] == actions
    assert _totals(quote) == (Decimal("40.50"), Decimal("64.95"))
    assert _totals(other) == (Decimal("60.00"), Decimal("60.00"))
    assert len(_quote_updates(quote)) == len(_quote_updates(other)) == 1

    ids = [r.record_id for r in results if r.ok]
    batch.update_many(ctx, "quote_line_item", [{"id": pk, "quantity": 2} for pk in ids])
    assert _totals(quote) == (Decimal("81.00"), Decimal("101.40"))
    assert _totals(other) == (Decimal("120.00"), Decimal("120.00"))
    assert len(_quote_updates(quote)) == len(_quote_updates(other)) == 2

    batch.delete_many(ctx, "quote_line_item", ids)
    assert _totals(quote) == (Decimal("0.00"), Decimal("28.50"))
    assert _totals(other) == (Decimal("0.00"), Decimal("0.00"))
    assert len(_quote_updates(quote)) == len(_quote_updates(other)) == 3


def test_moving_a_line_item_moves_both_quotes_totals(ctx, quote, product):
    other = records.create(ctx, "quote", data={"name": "Q2"})
    item = _item(ctx, quote, product, 1, 75)
    records.update(ctx, "quote_line_item", item.pk, data={"quote": str(other.pk)})
    assert _totals(quote) == (Decimal("0.00"), Decimal("28.50"))
    assert _totals(other) == (Decimal("75.00"), Decimal("75.00"))


def test_a_quote_binned_with_its_items_keeps_its_totals(ctx, quote, product):
    _item(ctx, quote, product, 2, 100)
    updates = len(_quote_updates(quote))
    deletion = records.delete(ctx, "quote", quote.pk)
    assert _totals(quote) == (Decimal("200.00"), Decimal("208.50"))
    records.restore(ctx, deletion.pk)
    assert _totals(quote) == (Decimal("200.00"), Decimal("208.50"))
    assert len(_quote_updates(quote)) == updates


def _add_then_fail(ctx, quote, product) -> None:
    with transaction.atomic():
        _item(ctx, quote, product, 5, 100)
        assert _totals(quote)[0] == Decimal("700.00")  # in the transaction
        raise RuntimeError


def test_a_failed_write_leaves_the_totals_as_they_were(ctx, quote, product):
    _item(ctx, quote, product, 2, 100)
    with pytest.raises(RuntimeError):
        _add_then_fail(ctx, quote, product)
    assert _totals(quote) == (Decimal("200.00"), Decimal("208.50"))


def test_an_opportunitys_amount_stays_what_the_user_entered(ctx, product):
    deal = records.create(
        ctx,
        "opportunity",
        data={"name": "Deal", "close_date": "2026-12-31", "amount": 500},
    )
    records.create(
        ctx,
        "opportunity_line_item",
        data={
            "opportunity": str(deal.pk),
            "product": str(product.pk),
            "quantity": 2,
            "unit_price": 100,
        },
    )
    assert Opportunity.objects.get(pk=deal.pk).amount == Decimal("500.00")
    assert registry.get(ctx, "opportunity").fields["amount"].read_only is False


def test_the_declared_rollups_are_the_quotes_subtotal(ctx):
    declared = {
        (t.api_name, r.lookup.name, r.parent, r.field.name, r.op, r.of and r.of.name)
        for t in registry.all_types(ctx)
        for r in rollups.of_child(t)
    }
    assert declared == {
        ("quote_line_item", "quote", "quote", "subtotal", "sum", "total_price")
    }
    fields = registry.get(ctx, "quote").fields
    kept = [
        (fields[n].read_only, fields[n].tracked) for n in ("subtotal", "grand_total")
    ]
    assert kept == [(True, True), (True, True)]


def test_the_migration_totals_existing_quotes(ctx, quote, product):
    _item(ctx, quote, product, 2, 100)
    gone = _item(ctx, quote, product, 1, 50)
    records.delete(ctx, "quote_line_item", gone.pk)
    binned = records.create(ctx, "quote", data={"name": "Binned", "tax": 1})
    _item(ctx, binned, product, 1, "12.34")
    records.delete(ctx, "quote", binned.pk)
    empty = records.create(ctx, "quote", data={"name": "Empty", "discount": 50})
    Quote.objects.update(subtotal=0, grand_total=0)

    migration.fill_quote_totals(apps, None)

    assert _totals(quote) == (Decimal("200.00"), Decimal("208.50"))
    assert _totals(binned) == (Decimal("12.34"), Decimal("13.34"))
    assert _totals(empty) == (Decimal("0.00"), Decimal("0.00"))


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises them)",
)
@pytest.mark.django_db(transaction=True)
def test_parallel_line_items_on_one_quote_are_all_counted(ctx):
    product = records.create(ctx, "product", data={"name": "Seat"})
    quote = records.create(ctx, "quote", data={"name": "Busy"})
    start = threading.Barrier(20)

    def add(n):
        try:
            start.wait()
            _item(ctx, quote, product, 1, n + 1)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(add, range(20)))
    assert QuoteLineItem.objects.filter(quote=quote).count() == 20
    assert _totals(quote) == (Decimal("210.00"), Decimal("210.00"))  # 1 + … + 20
