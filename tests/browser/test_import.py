"""The import wizard in real Chromium: upload a CSV from the list view, check
the matched columns, run it, and watch the progress bar poll the job over
HTMX until the error report shows."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from crm import job_runner, jobs
from crm.models import Account, Job


def test_import_a_csv_and_watch_it_finish(
    signed_in, live_server, admin, shot, monkeypatch, tmp_path
):
    # No worker here: the test runs the job itself once the page is polling.
    monkeypatch.setattr(jobs, "enqueue", lambda job_id: True)
    page = signed_in
    page.goto(f"{live_server.url}/o/account/")
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Import accounts from a CSV file"
    )
    upload = tmp_path / "accounts.csv"
    upload.write_text(
        "Account Name,Annual revenue,Notes\nInitech,1000,x\nGlobex,lots,y\n"
    )
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and map columns").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Map the columns of accounts.csv"
    )
    expect(page.get_by_label("Field for column Account Name")).to_have_value("name")
    expect(page.get_by_label("Field for column Annual revenue")).to_have_value(
        "annual_revenue"
    )
    expect(page.get_by_label("Field for column Notes")).to_have_value("")
    page.get_by_label("Field for column Notes").select_option("description")
    shot("import-map")
    page.get_by_role("button", name="Import 2 rows").click()

    status = page.locator(".import-status")
    expect(status).to_have_text("Waiting for a worker…")
    job = Job.objects.get()
    with page.expect_response(re.compile(rf"/import/{job.pk}/$")):
        job_runner.run(job.pk)  # the next poll finds it done
    expect(status).to_have_text("Done: 1 row imported, 1 refused.")
    expect(page.locator("#import-bar")).to_have_attribute("value", "100")
    expect(
        page.get_by_role("cell", name="annual_revenue: Enter a number.")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Download the error report")).to_be_visible()
    shot("import-done")
    assert list(Account.objects.values_list("name", "description")) == [
        ("Initech", "x")
    ]
