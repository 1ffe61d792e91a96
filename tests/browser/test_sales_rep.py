"""A sales rep's day in real Chromium: sign in, create records, filter a
list, edit a cell, drag deals on the board, use the recycle bin and search."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from crm import query, records
from crm.metadata import services as metadata


def test_create_an_account_and_a_contact_from_the_ui(
    signed_in, live_server, admin, shot
):
    page = signed_in
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Accounts"
    ).click()
    expect(page.get_by_role("heading", name="No accounts yet")).to_be_visible()
    page.get_by_role("link", name="New account").first.click()
    page.get_by_label("Account name").fill("Initech")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Initech", level=1)).to_be_visible()
    expect(page.get_by_role("status").first).to_have_text("Account created.")

    page.goto(f"{live_server.url}/o/contact/new/")
    page.get_by_label("Last name").fill("Lumbergh")
    page.get_by_label("Email", exact=True).fill("bill@initech.example")
    page.get_by_label("Account", exact=True).fill("Init")
    option = page.get_by_role("option", name="Initech")
    option.click()
    shot("contact-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Lumbergh", level=1)).to_be_visible()
    expect(
        page.locator(".key-fields").get_by_role("link", name="Initech", exact=True)
    ).to_be_visible()
    shot("contact-page")
    contact = query.page(admin, query.Query.from_json(admin, "contact", {})).rows[0]
    account = query.page(admin, query.Query.from_json(admin, "account", {})).rows[0]
    assert contact["account"] == account["id"]


def test_filter_a_list_and_edit_a_cell_inline(
    signed_in, live_server, admin, pipeline, shot
):
    _, deals = pipeline
    page = signed_in
    page.goto(f"{live_server.url}/o/opportunity/")
    expect(page.locator(".row-title")).to_have_count(3)
    page.get_by_text("Filters").click()
    page.get_by_role("button", name="+ Add filter").click()
    expect(page.get_by_label("Field of filter 1")).to_be_focused()
    with page.expect_response(re.compile(r"/filter-row/")):
        page.get_by_label("Field of filter 1").select_option("stage")
    expect(page.get_by_label("Operator of filter 1")).to_have_value("=")
    page.get_by_label("Value of filter 1").select_option("proposal")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".row-title")).to_have_text(["Charlie", "Bravo"])
    assert "f0=stage" in page.url
    shot("list-filtered")

    cell = page.locator(f"#cell-{deals['Bravo'].pk}-amount")
    cell.hover()
    cell.get_by_role("button", name="Edit Amount of Bravo").click()
    editor = cell.get_by_label("Amount", exact=True)
    expect(editor).to_be_focused()
    editor.fill("7500")
    editor.press("Enter")
    expect(page.locator(f"#cell-{deals['Bravo'].pk}-amount")).to_contain_text("$7,500")
    assert query.get(admin, "opportunity", deals["Bravo"].pk)["amount"] == 7500

    cell = page.locator(f"#cell-{deals['Bravo'].pk}-name")
    cell.hover()
    cell.get_by_role("button", name="Edit Opportunity name of Bravo").click()
    cell.get_by_role("textbox").fill("")
    cell.get_by_role("button", name="Save").click()
    expect(cell.locator(".field-error")).to_have_text("Opportunity name is required.")
    shot("list-inline-error")
    cell.get_by_role("textbox").press("Escape")
    expect(page.locator(f"#cell-{deals['Bravo'].pk}-name .row-title")).to_have_text(
        "Bravo"
    )


def _drag(page, card, target) -> None:
    """Drag with real mouse steps (Sortable follows the pointer)."""
    start = card.bounding_box()
    end = target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 20)
    page.mouse.down()
    x, y = end["x"] + end["width"] / 2, end["y"] + 40
    page.mouse.move(x, y, steps=15)
    page.mouse.move(x, y + 5, steps=3)
    page.mouse.up()


def _column(page, stage):
    return page.locator(f'[data-cards][data-stage="{stage}"]')


def test_drag_a_deal_to_another_stage(signed_in, live_server, admin, pipeline, shot):
    _, deals = pipeline
    page = signed_in
    page.goto(f"{live_server.url}/o/opportunity/board/")
    card = page.locator(f'.board-card[data-id="{deals["Alpha"].pk}"]')
    expect(card).to_be_visible()
    target = _column(page, "qualification")
    with page.expect_response(re.compile(r"/move/$")) as moved:
        _drag(page, card, target)
    assert moved.value.status == 204
    expect(target.locator(".board-card")).to_have_count(1)
    expect(page.locator('[data-stage="qualification"] [data-count]')).to_have_text("1")
    expect(page.locator('[data-stage="prospecting"] [data-count]')).to_have_text("0")
    shot("board-after-drag")
    assert (
        query.get(admin, "opportunity", deals["Alpha"].pk)["stage"] == "qualification"
    )
    page.reload()
    expect(_column(page, "qualification").locator(".board-card")).to_have_count(1)

    # The keyboard moves a card too.
    card = page.locator(f'.board-card[data-id="{deals["Alpha"].pk}"]')
    card.focus()
    with page.expect_response(re.compile(r"/move/$")):
        card.press("ArrowRight")
    expect(
        _column(page, "proposal").locator(f'[data-id="{deals["Alpha"].pk}"]')
    ).to_be_visible()
    assert query.get(admin, "opportunity", deals["Alpha"].pk)["stage"] == "proposal"


def test_a_validation_rule_refuses_a_move_and_the_card_snaps_back(
    signed_in, live_server, admin, pipeline, shot
):
    metadata.create_validation_rule(
        admin,
        "opportunity",
        name="Contact first",
        condition=[["stage", "=", "negotiation"], ["contact", "is_null"]],
        error_message="Add a contact before negotiating.",
    )
    _, deals = pipeline
    page = signed_in
    page.goto(f"{live_server.url}/o/opportunity/board/")
    card = page.locator(f'.board-card[data-id="{deals["Bravo"].pk}"]')
    expect(card).to_be_visible()
    with page.expect_response(re.compile(r"/move/$")) as moved:
        _drag(page, card, _column(page, "negotiation"))
    assert moved.value.status == 422
    expect(page.locator("#toast")).to_have_text("Add a contact before negotiating.")
    expect(
        _column(page, "proposal").locator(f'[data-id="{deals["Bravo"].pk}"]')
    ).to_be_visible()
    expect(_column(page, "negotiation").locator(".board-card")).to_have_count(0)
    expect(page.locator('[data-stage="proposal"] [data-count]')).to_have_text("2")
    shot("board-refused")
    assert query.get(admin, "opportunity", deals["Bravo"].pk)["stage"] == "proposal"


def test_delete_and_restore_from_the_recycle_bin(
    signed_in, live_server, admin, pipeline, shot
):
    acme, _ = pipeline
    page = signed_in
    page.goto(f"{live_server.url}/o/account/{acme.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "“Acme Corp” moved to the recycle bin with 3 related records."
    )
    assert query.count(admin, "opportunity") == 0
    page.get_by_role("link", name="Recycle bin").click()
    row = page.get_by_role("row", name=re.compile("Acme Corp"))
    expect(row).to_contain_text("3 opportunities")
    shot("recycle-bin")
    row.get_by_role("button", name="Restore Acme Corp").click()
    expect(page.get_by_role("status").first).to_have_text("1 item restored.")
    expect(page.get_by_role("heading", name="The recycle bin is empty")).to_be_visible()
    assert query.count(admin, "opportunity") == 3


def test_global_search_finds_and_opens_a_record(signed_in, live_server, admin, shot):
    records.create(
        admin, "contact", data={"first_name": "Peter", "last_name": "Gibbons"}
    )
    page = signed_in
    page.get_by_label("Search everything").fill("gibb")
    result = page.locator("#global-search-results").get_by_role(
        "link", name="Peter Gibbons"
    )
    expect(result).to_be_visible()
    shot("search-dropdown")
    result.click()
    expect(page.get_by_role("heading", name="Peter Gibbons", level=1)).to_be_visible()


def test_load_more_updates_the_shown_count(signed_in, live_server, admin):
    for n in range(55):
        records.create(admin, "account", data={"name": f"Account {n:02d}"})
    page = signed_in
    page.goto(f"{live_server.url}/o/account/?fs=1&sort=name")
    expect(page.locator("#shown-count")).to_have_text("50+ shown")
    page.locator(".load-more").scroll_into_view_if_needed()
    expect(page.locator(".row-title")).to_have_count(55)
    expect(page.locator("#shown-count")).to_have_text("55 shown")
    expect(page.locator("template")).to_have_count(0)  # nothing left behind
