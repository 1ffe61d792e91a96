"""Cursor and offset pagination."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing

from accounts import errors
from crm import query, records
from crm.query import Query

DAY = dt.date(2026, 3, 1)


def _opportunities(ctx, amounts):
    return [
        records.create(
            ctx,
            "opportunity",
            data={"name": f"Deal {n:02d}", "amount": amount, "close_date": DAY},
        )
        for n, amount in enumerate(amounts)
    ]


def _walk(ctx, payload, *, between=None):
    """Every row of every page, calling ``between(page_number)`` after each."""
    names, cursor, pages = [], None, 0
    while True:
        body = dict(payload, cursor=cursor) if cursor else payload
        page = query.page(ctx, Query.from_json(ctx, "opportunity", body))
        names += [row["name"] for row in page.rows]
        pages += 1
        assert page.has_more == (page.next_cursor is not None)
        if not page.has_more:
            return names, pages
        cursor = page.next_cursor
        if between:
            between(pages)


def test_cursor_pages_walk_every_row_once_in_sort_order(ctx):
    _opportunities(ctx, [30, None, 10, 20, None, 20, 50, 10, 40])
    names, pages = _walk(
        ctx, {"sort": [{"field": "amount", "direction": "desc"}], "limit": 2}
    )
    assert pages == 5
    # Descending puts empty amounts first; ties are broken by id (descending).
    assert names == [
        "Deal 04",
        "Deal 01",
        "Deal 06",
        "Deal 08",
        "Deal 00",
        "Deal 05",
        "Deal 03",
        "Deal 07",
        "Deal 02",
    ]


def test_ascending_sort_puts_empty_values_last_across_pages(ctx):
    _opportunities(ctx, [None, 5, None, 1])
    names, _ = _walk(ctx, {"sort": "amount", "limit": 1})
    assert names == ["Deal 03", "Deal 01", "Deal 00", "Deal 02"]


def test_paging_on_a_custom_json_number_sorts_numerically(ctx):
    from crm.metadata import services as metadata

    metadata.create_field(ctx, "opportunity", name="arr", label="ARR", type="number")
    for n, arr in enumerate([100, 9, None, 25, 1000]):
        records.create(
            ctx,
            "opportunity",
            data={"name": f"Deal {n:02d}", "arr": arr, "close_date": DAY},
        )
    names, _ = _walk(ctx, {"sort": "arr", "limit": 2})
    assert names == ["Deal 01", "Deal 03", "Deal 00", "Deal 04", "Deal 02"]


def test_rows_inserted_or_deleted_between_pages_do_not_shift_the_walk(ctx):
    deals = _opportunities(ctx, [10, 20, 30, 40, 50, 60])

    def churn(page_number):
        if page_number == 1:
            # Before the cursor: must not reappear. After it: must appear.
            records.create(
                ctx,
                "opportunity",
                data={"name": "Early", "amount": 5, "close_date": DAY},
            )
            records.create(
                ctx,
                "opportunity",
                data={"name": "Late", "amount": 55, "close_date": DAY},
            )
            records.delete(ctx, "opportunity", deals[0].pk)  # already shown
            records.delete(ctx, "opportunity", deals[3].pk)  # not yet shown

    names, _ = _walk(ctx, {"sort": "amount", "limit": 2}, between=churn)
    assert names == ["Deal 00", "Deal 01", "Deal 02", "Deal 04", "Late", "Deal 05"]


def test_the_default_order_is_newest_first(ctx):
    _opportunities(ctx, [1, 2, 3])
    names, _ = _walk(ctx, {"limit": 2})
    assert names == ["Deal 02", "Deal 01", "Deal 00"]


def test_a_tampered_cursor_is_refused_with_a_clear_error(ctx):
    _opportunities(ctx, [1, 2, 3])
    page = query.page(ctx, Query.from_json(ctx, "opportunity", {"limit": 1}))
    token = page.next_cursor
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with pytest.raises(errors.ValidationFailed, match="cursor is not valid") as info:
        query.page(
            ctx, Query.from_json(ctx, "opportunity", {"limit": 1, "cursor": forged})
        )
    assert info.value.field == "cursor"


def test_a_cursor_signed_with_forged_values_is_refused(ctx):
    _opportunities(ctx, [1, 2])
    forged = signing.dumps({"s": "x", "k": []}, salt="another.salt")
    with pytest.raises(errors.ValidationFailed, match="cursor is not valid"):
        query.page(ctx, Query.from_json(ctx, "opportunity", {"cursor": forged}))


def test_a_cursor_from_another_query_is_refused(ctx):
    _opportunities(ctx, [1, 2, 3])
    page = query.page(ctx, Query.from_json(ctx, "opportunity", {"limit": 1}))
    other = {"limit": 1, "sort": "amount", "cursor": page.next_cursor}
    with pytest.raises(errors.ValidationFailed, match="another query"):
        query.page(ctx, Query.from_json(ctx, "opportunity", other))


def test_a_cursor_does_not_work_in_another_workspace(ctx, other_ctx):
    _opportunities(ctx, [1, 2, 3])
    page = query.page(ctx, Query.from_json(ctx, "opportunity", {"limit": 1}))
    with pytest.raises(errors.ValidationFailed, match="another query"):
        query.page(
            other_ctx,
            Query.from_json(
                other_ctx, "opportunity", {"limit": 1, "cursor": page.next_cursor}
            ),
        )


def test_offset_pages_report_the_total(ctx):
    _opportunities(ctx, [1, 2, 3, 4, 5])
    body = {"sort": "amount", "limit": 2, "offset": 2}
    page = query.page(ctx, Query.from_json(ctx, "opportunity", body))
    assert [row["name"] for row in page.rows] == ["Deal 02", "Deal 03"]
    assert (page.total, page.has_more, page.next_offset, page.next_cursor) == (
        5,
        True,
        4,
        None,
    )
    last = query.page(ctx, Query.from_json(ctx, "opportunity", dict(body, offset=4)))
    assert ([row["name"] for row in last.rows], last.has_more, last.next_offset) == (
        ["Deal 04"],
        False,
        None,
    )


def test_a_cursor_and_an_offset_together_are_refused(ctx):
    with pytest.raises(errors.ValidationFailed, match="either a cursor or an offset"):
        Query.from_json(ctx, "opportunity", {"cursor": "abc", "offset": 10})


def test_limits_are_checked(ctx):
    with pytest.raises(errors.ValidationFailed) as info:
        Query.from_json(ctx, "opportunity", {"limit": 201})
    assert info.value.field == "limit"
    assert Query.from_json(ctx, "opportunity", {}).limit == 50


def test_the_recycle_bin_is_only_read_when_asked(ctx):
    keep, gone = _opportunities(ctx, [1, 2])
    records.delete(ctx, "opportunity", gone.pk)
    live = query.page(ctx, Query.from_json(ctx, "opportunity", {}))
    binned = query.page(ctx, Query.from_json(ctx, "opportunity", {"deleted": True}))
    assert [row.pk for row in live.rows] == [keep.pk]
    assert [row.pk for row in binned.rows] == [gone.pk]
    assert query.count(ctx, "opportunity") == 1
    assert query.count(ctx, "opportunity", deleted=True) == 1
