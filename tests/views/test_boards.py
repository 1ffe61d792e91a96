"""Pipeline boards: columns with totals from one aggregate, lazy cards, and
moves through the lifecycle."""

import re

from django.urls import reverse

from crm import query, records
from crm.metadata import services as metadata


def board_url(obj="opportunity"):
    return reverse("crm:board", args=[obj])


def test_the_board_has_a_column_per_stage_with_count_and_amount(admin_client, deals):
    response = admin_client.get(board_url())
    assert response.status_code == 200
    totals = {
        c.stage.key: (c.count, c.amount_text) for c in response.context["columns"]
    }
    assert totals == {
        "prospecting": (1, "$1,000"),
        "qualification": (0, "$0"),
        "proposal": (2, "$5,250"),
        "negotiation": (0, "$0"),
        "closed_won": (1, "$9,000"),
        "closed_lost": (0, "$0"),
    }


def test_a_column_serves_its_cards_a_page_at_a_time(admin_client, ctx, acme):
    for n in range(30):
        records.create(
            ctx,
            "opportunity",
            data={
                "name": f"Deal {n:02d}",
                "amount": n,
                "stage": "proposal",
                "close_date": "2026-01-01",
            },
        )
    url = reverse("crm:board_column", args=["opportunity"])
    first = admin_client.get(url, {"stage": "proposal", "pipeline": "sales"})
    page = first.content.decode()
    titles = re.findall(r'class="card-title" href="[^"]+">([^<]+)</a>', page)
    assert titles == [f"Deal {n:02d}" for n in range(29, 4, -1)]  # 25, biggest first
    more = re.search(r'hx-get="([^"]+)" hx-trigger="intersect once"', page).group(1)
    second = admin_client.get(more.replace("&amp;", "&"))
    rest = re.findall(
        r'class="card-title" href="[^"]+">([^<]+)</a>', second.content.decode()
    )
    assert rest == ["Deal 04", "Deal 03", "Deal 02", "Deal 01", "Deal 00"]


def test_moving_a_card_saves_the_new_stage(admin_client, ctx, deals):
    deal = deals["Alpha"]
    response = admin_client.post(
        reverse("crm:board_move", args=["opportunity", deal.pk]),
        {"stage": "negotiation"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert query.get(ctx, "opportunity", deal.pk)["stage"] == "negotiation"


def test_a_validation_rule_refuses_a_move_with_its_message(admin_client, ctx, deals):
    metadata.create_validation_rule(
        ctx,
        "opportunity",
        name="Big deals need a contact",
        condition=[["stage", "=", "negotiation"], ["contact", "is_null"]],
        error_message="Add a contact before negotiating.",
    )
    deal = deals["Alpha"]
    response = admin_client.post(
        reverse("crm:board_move", args=["opportunity", deal.pk]),
        {"stage": "negotiation"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#toast"
    assert "Add a contact before negotiating." in response.content.decode()
    assert query.get(ctx, "opportunity", deal.pk)["stage"] == "prospecting"


def test_the_board_takes_the_list_filters(admin_client, deals):
    response = admin_client.get(
        board_url(), {"fs": 1, "f0": "amount", "o0": ">", "v0": "500"}
    )
    totals = {c.stage.key: c.count for c in response.context["columns"]}
    assert totals["proposal"] == 1
    assert totals["prospecting"] == 1


def test_leads_and_cases_have_boards_without_amounts(admin_client, ctx):
    records.create(ctx, "lead", data={"last_name": "Lee", "company": "L Co"})
    response = admin_client.get(board_url("lead"))
    assert response.status_code == 200
    assert [c.count for c in response.context["columns"]][:1] == [1]
    assert admin_client.get(board_url("case")).status_code == 200


def test_an_object_without_a_pipeline_has_no_board(admin_client, ctx):
    response = admin_client.get(board_url("account"))
    assert response.status_code == 404
    assert "Accounts have no pipeline board." in response.content.decode()


def test_another_pipeline_can_be_chosen(admin_client, ctx, deals):
    metadata.create_pipeline(
        ctx,
        "opportunity",
        key="renewals",
        label="Renewals",
        stages=[{"key": "due", "kind": "open"}, {"key": "renewed", "kind": "won"}],
    )
    response = admin_client.get(board_url(), {"pipeline": "renewals"})
    assert [c.stage.key for c in response.context["columns"]] == ["due", "renewed"]
    assert "Renewals board" in response.content.decode()
    assert admin_client.get(board_url(), {"pipeline": "nope"}).status_code == 404


def test_a_read_only_user_cannot_move_cards(viewer_client, ctx, deals):
    deal = deals["Alpha"]
    response = viewer_client.post(
        reverse("crm:board_move", args=["opportunity", deal.pk]), {"stage": "proposal"}
    )
    assert response.status_code == 403
    assert query.get(ctx, "opportunity", deal.pk)["stage"] == "prospecting"


def test_the_board_and_a_column_cost_a_fixed_number_of_queries(
    rep_client, member_ctx, django_assert_max_num_queries
):
    for n in range(40):
        records.create(
            member_ctx,
            "opportunity",
            data={
                "name": f"D{n}",
                "amount": n,
                "stage": "proposal",
                "close_date": "2026-01-01",
            },
        )
    rep_client.get(board_url())
    # Session, user, context (3), the aggregate with its sharing look-up (2),
    # workspaces, the session save (3).
    with django_assert_max_num_queries(11):
        rep_client.get(board_url())
    # Plus the page and one look-up per lookup on the card (account, owner).
    with django_assert_max_num_queries(14):
        response = rep_client.get(
            reverse("crm:board_column", args=["opportunity"]), {"stage": "proposal"}
        )
    assert response.content.decode().count('class="board-card"') == 25


def test_switching_pipeline_keeps_the_filters(admin_client, ctx, deals):
    metadata.create_pipeline(
        ctx,
        "opportunity",
        key="renewals",
        label="Renewals",
        stages=[{"key": "due", "kind": "open"}, {"key": "renewed", "kind": "won"}],
    )
    page = admin_client.get(
        board_url(), {"fs": 1, "f0": "amount", "o0": ">", "v0": "500", "q": "a"}
    ).content.decode()
    switcher = re.search(
        r'<form method="get" class="view-picker" data-autosubmit>.*?</form>', page, re.S
    ).group(0)
    hidden = re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)">', switcher
    )
    assert ("fs", "1") in hidden
    assert [p for p in hidden if p[0] in ("f0", "o0", "v0", "q")] == [
        ("f0", "amount"),
        ("o0", "&gt;"),
        ("v0", "500"),
        ("q", "a"),
    ]
    assert "pipeline" not in [name for name, _ in hidden]  # the select gives it
    assert '<select id="pipeline-select" name="pipeline">' in switcher


def test_the_board_offers_new_only_with_create_permission(
    client, owner, read_only_ctx, deals
):
    new = f'href="{reverse("crm:record_create", args=["opportunity"])}"'
    client.force_login(owner)
    assert new in client.get(board_url()).content.decode()
    client.force_login(read_only_ctx.user)
    page = client.get(board_url())
    assert page.status_code == 200
    assert new not in page.content.decode()
