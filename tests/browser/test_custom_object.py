"""A custom object, defined at run time, gets every screen: in real Chromium,
create a record from the UI, find it in its list with a filter, edit a cell,
open its record page and log a note on it (linked by an association)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from crm import query, records
from crm.models import Association
from tests.objects import define_project


@pytest.fixture
def projects(admin):
    """A Project object with a money, a picklist and a date field, and one
    record already there (which the filter must leave out)."""
    define_project(admin, {"name": "starts_on", "label": "Starts on", "type": "date"})
    records.create(admin, "project", data={"name": "Tunnel", "phase": "plan"})
    return "project"


def test_a_custom_object_from_form_to_list_to_record_page_and_timeline(
    signed_in, live_server, admin, projects, shot
):
    page = signed_in
    page.reload()  # the object was defined after sign-in
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Projects"
    ).click()
    expect(page.get_by_role("heading", name="All projects")).to_be_visible()
    page.get_by_role("link", name="New project").first.click()
    page.get_by_label("Name").fill("Bridge")
    page.get_by_label("Budget").fill("12000")
    page.get_by_label("Phase").select_option(label="Build")
    page.get_by_label("Starts on").fill("2026-05-01")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Bridge", level=1)).to_be_visible()
    expect(page.get_by_role("status").first).to_have_text("Project created.")
    bridge = query.page(
        admin, query.Query.from_json(admin, "project", {"q": "Bridge"})
    ).rows[0]
    assert (bridge["budget"], bridge["phase"], bridge["starts_on"]) == (
        12000,
        "build",
        "2026-05-01",
    )

    # Find it in its list with a filter.
    page.goto(f"{live_server.url}/o/project/")
    expect(page.locator(".row-title")).to_have_text(["Bridge", "Tunnel"])
    page.get_by_text("Filters").click()
    page.get_by_role("button", name="+ Add filter").click()
    expect(page.get_by_label("Field of filter 1")).to_be_focused()
    with page.expect_response(re.compile(r"/filter-row/")):
        page.get_by_label("Field of filter 1").select_option("phase")
    expect(page.get_by_label("Operator of filter 1")).to_have_value("=")
    page.get_by_label("Value of filter 1").select_option("build")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".row-title")).to_have_text(["Bridge"])
    assert "f0=phase" in page.url
    shot("custom-object-list-filtered")

    # Edit a cell inline.
    cell = page.locator(f"#cell-{bridge['id']}-budget")
    cell.hover()
    cell.get_by_role("button", name="Edit Budget of Bridge").click()
    editor = cell.get_by_label("Budget", exact=True)
    expect(editor).to_be_focused()
    editor.fill("15000")
    editor.press("Enter")
    expect(page.locator(f"#cell-{bridge['id']}-budget")).to_contain_text("$15,000")
    assert query.get(admin, "project", bridge["id"])["budget"] == 15000

    # Its record page, and a note logged on it.
    page.locator(".row-title", has_text="Bridge").click()
    expect(page.get_by_role("heading", name="Bridge", level=1)).to_be_visible()
    expect(page.locator(".key-fields")).to_contain_text("$15,000")
    expect(page.locator("#timeline")).to_contain_text("Budget changed from")
    page.get_by_role("tab", name="Add a note").click()
    panel = page.get_by_role("tabpanel")
    panel.get_by_label("Title").fill("Kick-off")
    panel.get_by_label("Body").fill("Scope agreed with the client.")
    panel.get_by_role("button", name="Save note").click()
    expect(panel.get_by_role("status")).to_have_text("Note saved.")
    timeline = page.locator("#timeline")
    expect(timeline.get_by_role("link", name="Kick-off")).to_be_visible()
    expect(timeline).to_contain_text("Scope agreed with the client.")
    shot("custom-object-record-page")
    note = query.page(admin, query.Query.from_json(admin, "note", {})).rows[0]
    link = Association.objects.get()
    assert (link.from_object, str(link.from_id), link.to_object, str(link.to_id)) == (
        "note",
        note["id"],
        "project",
        bridge["id"],
    )


def test_bulk_edit_offers_the_chosen_fields_own_input(
    signed_in, live_server, admin, projects, shot
):
    bridge = records.create(admin, "project", data={"name": "Bridge"})
    page = signed_in
    page.goto(f"{live_server.url}/o/project/")
    page.get_by_label("Select all shown").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    page.get_by_label("Action").select_option("edit")
    with page.expect_response(re.compile(r"/bulk/field/")):
        page.locator("#bulk-field").select_option("phase")
    value = page.locator("#bulk-value").get_by_label("Phase")
    expect(value).to_be_enabled()
    assert value.evaluate("el => el.tagName") == "SELECT"
    value.select_option(label="Run")
    shot("bulk-edit-picklist")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("status").first).to_have_text("2 projects updated.")
    assert query.get(admin, "project", bridge.pk)["phase"] == "run"

    page.get_by_label("Select all shown").check()
    page.get_by_label("Action").select_option("edit")
    with page.expect_response(re.compile(r"/bulk/field/")):
        page.locator("#bulk-field").select_option("starts_on")
    day = page.locator("#bulk-value").get_by_label("Starts on")
    expect(day).to_have_attribute("type", "date")
    day.fill("2026-07-01")
    # The same message as before: wait for this action's answer (no reload).
    with page.expect_response(re.compile(r"/bulk/$")):
        page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("status").first).to_have_text("2 projects updated.")
    assert query.get(admin, "project", bridge.pk)["starts_on"] == "2026-07-01"
