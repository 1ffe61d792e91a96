"""The list view and the pipeline board cost a fixed number of SQL queries:
the same with a handful of records as with many, and the same for a few
members as for many (bench/ui_bench.py measures their time at 1M records)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from crm import records
from tests.factories import UserFactory

LIST = reverse("crm:record_list", args=["opportunity"])
BOARD = reverse("crm:board", args=["opportunity"])
COLUMN = reverse("crm:board_column", args=["opportunity"])
#: The benchmark's list: one filter, one sort.
LIST_PARAMS = {"fs": 1, "f0": "stage", "o0": "=", "v0": "proposal", "sort": "-amount"}
STAGES = ("prospecting", "qualification", "proposal", "closed_won")


def deals(ctx, n: int, *, start: int = 0, stage: str = "") -> None:
    account = records.create(ctx, "account", data={"name": f"Parent {start}"})
    contact = records.create(
        ctx, "contact", data={"last_name": f"Buyer {start}", "account": account.pk}
    )
    for i in range(start, start + n):
        records.create(
            ctx,
            "opportunity",
            data={
                "name": f"Deal {i:03d}",
                "amount": 100 + i,
                "stage": stage or STAGES[i % len(STAGES)],
                "close_date": "2026-06-30",
                "account": account.pk,
                "contact": contact.pk,
            },
        )


def more_members(workspace, n: int) -> None:
    for i in range(n):
        user = UserFactory(email=f"seller{i}@example.com", name=f"Seller {i}")
        services.add_member(workspace, user)


def queries(client, url: str, params: dict, *, htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    client.get(url, params, headers=headers)  # warm the registry cache
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params, headers=headers)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def next_page(page: str) -> str:
    found = re.search(r'<tr class="load-more" hx-get="([^"]+)"', page)
    return found.group(1).replace("&amp;", "&")


def column_urls(page: str) -> list[str]:
    return [
        u.replace("&amp;", "&")
        for u in re.findall(r'<li class="board-more" hx-get="([^"]+)"', page)
    ]


def get_url(client, url: str, *, htmx: bool = True):
    headers = {"HX-Request": "true"} if htmx else {}
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


# Session, user, context (membership; a rep's grants too), the page, one per
# lookup column (account, contact, owner), then for a full page the workspace
# switcher, the saved views and the members (bulk owner change). A rep's page
# and each lookup to another object read that object's sharing default too.
@pytest.mark.parametrize(
    ("who", "full", "more"), [("admin", 10, 7), ("rep", 14, 11)], ids=str
)
def test_a_list_page_and_the_next_cost_the_same_whatever_the_rows(
    request, who, full, more, workspace
):
    client = request.getfixturevalue(f"{who}_client")
    ctx = request.getfixturevalue("ctx" if who == "admin" else "member_ctx")
    deals(ctx, 55, stage="proposal")
    deals(ctx, 5, start=55, stage="prospecting")
    first, page = queries(client, LIST, LIST_PARAMS)
    second, rows = get_url(client, next_page(page))
    assert (first, second) == (full, more)
    assert rows.count('class="row-title"') == 5

    deals(ctx, 100, start=60, stage="proposal")
    more_members(workspace, 30)
    first_again, page = queries(client, LIST, LIST_PARAMS)
    second_again, rows = get_url(client, next_page(page))
    assert (first_again, second_again) == (full, more)
    assert page.count('class="row-title"') == 50
    assert rows.count('class="row-title"') == 50


# The board: session, user, context, the stage totals (one aggregate), the
# switcher, the members (the owner filter's picker). A column: session, user,
# context, its page of cards, one per lookup on a card (account, owner); an
# empty column reads no lookups. A rep's reads add the sharing defaults.
@pytest.mark.parametrize(
    ("who", "board", "column"), [("admin", 6, 6), ("rep", 8, 9)], ids=str
)
def test_a_one_owner_board_and_its_columns_cost_the_same_whatever_the_cards(
    request, who, board, column, workspace
):
    client = request.getfixturevalue(f"{who}_client")
    ctx = request.getfixturevalue("ctx" if who == "admin" else "member_ctx")
    params = {"fs": 1, "f0": "owner", "o0": "=", "v0": str(ctx.user_id)}
    deals(ctx, 8)
    found, page = queries(client, BOARD, params)
    urls = column_urls(page)
    costs = [get_url(client, url)[0] for url in urls]
    assert (found, max(costs), len(urls)) == (board, column, 6)

    deals(ctx, 200, start=8)
    more_members(workspace, 30)
    found_again, page = queries(client, BOARD, params)
    assert column_urls(page) == urls
    assert found_again == board
    assert [get_url(client, url)[0] for url in urls] == costs
    cards = get_url(client, next(u for u in urls if "stage=proposal" in u))[1]
    assert cards.count('class="board-card"') == 25
