"""Small actions in real Chromium: they change the part of the page they
affect, with the message in the page's message area, and never reload the
page; the timeline's "Show older"; "New" from a related list comes back."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from crm import query, records
from crm.models import Note

#: Set on the page's window: still there afterwards, the page did not reload.
MARK = "window.__notReloaded = true"
STILL = "() => window.__notReloaded === true"


@pytest.fixture
def page_marked(signed_in):
    def mark() -> None:
        signed_in.evaluate(MARK)

    return mark


def messages(page):
    return page.locator("#messages [role=status]")


def test_bulk_delete_and_owner_change_swap_the_rows(
    signed_in, live_server, admin, pipeline, page_marked, owner, shot
):
    _, deals = pipeline
    page = signed_in
    page.goto(f"{live_server.url}/o/opportunity/?fs=1&sort=name")
    page_marked()
    expect(page.locator(".row-title")).to_have_text(["Alpha", "Bravo", "Charlie"])
    page.get_by_label("Select Bravo").check()
    page.get_by_label("Action").select_option("delete")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Apply to selected").click()
    # Dismissed: nothing was sent.
    expect(page.locator(".row-title")).to_have_count(3)
    assert query.count(admin, "opportunity") == 3

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(re.compile(r"/bulk/$")):
        page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".row-title")).to_have_text(["Alpha", "Charlie"])
    expect(messages(page)).to_have_text(["1 opportunity moved to the recycle bin."])
    expect(page.locator("#shown-count")).to_have_text("2 shown")
    expect(page.locator("[data-bulk-bar]")).to_be_hidden()
    shot("bulk-delete-htmx")

    page.get_by_label("Select Alpha").check()
    page.get_by_label("Action").select_option("owner")
    page.get_by_label("New owner").select_option(label="Olivia Owner")
    with page.expect_response(re.compile(r"/bulk/$")):
        page.get_by_role("button", name="Apply to selected").click()
    expect(messages(page)).to_have_text(["1 opportunity updated."])
    assert page.evaluate(STILL)
    assert query.get(admin, "opportunity", deals["Alpha"].pk)["owner"] == str(owner.pk)


def test_save_and_delete_a_view_without_a_reload(
    signed_in, live_server, admin, pipeline, page_marked, shot
):
    page = signed_in
    page.goto(f"{live_server.url}/o/opportunity/?fs=1&f0=stage&o0=%3D&v0=proposal")
    page_marked()
    expect(page.locator(".row-title")).to_have_count(2)
    page.get_by_text("Save view").click()
    page.get_by_label("View name").fill("Proposals")
    with page.expect_response(re.compile(r"/views/$")):
        page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Proposals", level=1)).to_be_visible()
    expect(messages(page)).to_have_text(["View “Proposals” saved."])
    expect(page.get_by_label("Saved view")).to_have_value(
        re.compile(r"^[0-9a-f-]{36}$")
    )
    assert re.search(r"\?view=[0-9a-f-]{36}$", page.url)
    shot("saved-view-htmx")

    # Filtering keeps the view the list started from.
    page.get_by_label("Search opportunities").fill("Bra")
    with page.expect_response(re.compile(r"/o/opportunity/\?")):
        page.get_by_role("button", name="Apply").click()
    expect(page.locator(".row-title")).to_have_text(["Bravo"])
    expect(page.get_by_role("heading", name="Proposals", level=1)).to_be_visible()

    page.get_by_text("Save view").click()
    with page.expect_response(re.compile(r"/delete/$")):
        page.get_by_role("button", name="Delete “Proposals”").click()
    expect(
        page.get_by_role("heading", name="All opportunities", level=1)
    ).to_be_visible()
    expect(messages(page)).to_have_text(["View “Proposals” deleted."])
    expect(page.get_by_label("Saved view").locator("option")).to_have_text(
        ["All opportunities"]
    )
    expect(page.locator(".row-title")).to_have_text(["Bravo"])  # as it was shown
    assert "view=" not in page.url
    assert page.evaluate(STILL)


def test_restore_and_purge_in_the_bin_without_a_reload(
    signed_in, live_server, admin, page_marked, shot
):
    for name in ("Initech", "Umbrella"):
        made = records.create(admin, "account", data={"name": name})
        records.delete(admin, "account", made.pk)
    page = signed_in
    page.goto(f"{live_server.url}/recycle-bin/")
    page_marked()
    with page.expect_response(re.compile(r"/restore/$")):
        page.get_by_role("button", name="Restore Initech").click()
    expect(messages(page)).to_have_text(["1 item restored."])
    expect(page.get_by_role("row", name=re.compile("Initech"))).to_have_count(0)
    expect(page.locator("#bin")).to_be_focused()  # not lost with the row

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Purge Umbrella").click()
    expect(page.get_by_role("row", name=re.compile("Umbrella"))).to_have_count(1)

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(re.compile(r"/purge/$")):
        page.get_by_role("button", name="Purge Umbrella").click()
    expect(messages(page)).to_have_text(["1 item purged for good."])
    expect(page.get_by_role("heading", name="The recycle bin is empty")).to_be_visible()
    shot("recycle-bin-htmx")
    assert page.evaluate(STILL)
    assert query.count(admin, "account") == 1


def test_show_older_loads_the_next_entries_of_the_timeline(
    signed_in, live_server, admin, shot
):
    acme = records.create(admin, "account", data={"name": "Acme Corp"})
    start = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
    for i in range(35):
        note = records.create(
            admin,
            "note",
            data={"title": f"Note {i:02d}", "body": "x", "account": acme.pk},
        )
        Note.objects.filter(pk=note.pk).update(created_at=start + dt.timedelta(hours=i))
    page = signed_in
    page.goto(f"{live_server.url}/o/account/{acme.pk}/")
    entries = page.locator("#timeline .timeline-item")
    expect(entries).to_have_count(30)
    expect(entries.first).to_contain_text("Note 34")
    expect(entries.last).to_contain_text("Note 05")
    page.get_by_role("button", name="Show older").click()
    expect(entries).to_have_count(35)
    expect(entries.last).to_contain_text("Note 00")
    expect(entries.nth(30)).to_be_focused()
    expect(page.get_by_role("button", name="Show older")).to_have_count(0)
    shot("timeline-show-older")


def test_new_contact_from_an_account_comes_back_to_the_account(
    signed_in, live_server, admin, shot
):
    acme = records.create(admin, "account", data={"name": "Acme Corp"})
    page = signed_in
    page.goto(f"{live_server.url}/o/account/{acme.pk}/")
    contacts = page.get_by_role("region", name="Contacts (Account)")
    contacts.scroll_into_view_if_needed()  # related lists load when seen
    contacts.get_by_role("link", name="New").click()
    expect(page.get_by_role("heading", name="New contact")).to_be_visible()
    expect(page.get_by_label("Account", exact=True)).to_have_value("Acme Corp")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Acme Corp", level=1)).to_be_visible()
    assert page.url == f"{live_server.url}/o/account/{acme.pk}/"
    expect(messages(page)).to_have_text(["Contact created."])
    contacts.scroll_into_view_if_needed()
    expect(contacts.get_by_role("link", name="Lovelace")).to_be_visible()
    shot("related-new-comes-back")
