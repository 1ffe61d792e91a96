"""The import wizard: upload → map columns → run, with a progress bar the
page polls and the error report at the end. Jobs run in-process here, once
the mapping step's transaction commits."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import Account, Job, OutboxEvent

CSV = (
    "Account Name,annual revenue,Industry,Shoe size\n"
    "Initech,1000,Technology,9\n"
    "Globex,lots,Energy,10\n"
    "=HYPERLINK(1),5,Finance,11\n"
)


def _upload(client, text=CSV, **fields):
    data = {"operation": "create", **fields}
    data["file"] = SimpleUploadedFile("accounts.csv", text.encode(), "text/csv")
    return client.post("/o/account/import/", data)


def test_the_list_view_links_to_the_import_wizard(client, owner, read_only_ctx):
    client.force_login(owner)
    assert 'href="/o/account/import/"' in client.get("/o/account/").content.decode()
    client.force_login(read_only_ctx.user)
    page = client.get("/o/account/").content.decode()
    assert 'href="/o/account/import/"' not in page
    assert client.get("/o/account/import/").status_code == 403


def test_upload_map_and_run_an_import(
    admin_client, ctx, django_capture_on_commit_callbacks
):
    page = admin_client.get("/o/account/import/")
    assert page.status_code == 200
    assert "Upload a file" in page.content.decode()

    uploaded = _upload(admin_client)
    job = Job.objects.get()
    assert uploaded.status_code == 302
    assert uploaded["Location"] == f"/o/account/import/{job.pk}/map/"
    assert (job.status, job.total) == ("draft", 3)
    assert not Account.objects.exists()

    mapping = admin_client.get(uploaded["Location"])
    assert mapping.status_code == 200
    columns = mapping.context["columns"]
    assert [(c["title"], c["field"]) for c in columns] == [
        ("Account Name", "name"),
        ("annual revenue", "annual_revenue"),
        ("Industry", "industry"),
        ("Shoe size", ""),
    ]
    assert columns[0]["samples"] == ["Initech", "Globex", "=HYPERLINK(1)"]

    with django_capture_on_commit_callbacks(execute=True):
        ran = admin_client.post(
            uploaded["Location"],
            {"col0": "name", "col1": "annual_revenue", "col2": "industry", "col3": ""},
        )
    assert ran["Location"] == f"/o/account/import/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed) == ("completed", 2, 1)
    assert sorted(Account.objects.values_list("name", "industry")) == [
        ("=HYPERLINK(1)", "finance"),
        ("Initech", "technology"),
    ]
    assert OutboxEvent.objects.filter(event="created").count() == 2

    progress = admin_client.get(ran["Location"])
    html = progress.content.decode()
    assert 'value="100"' in html
    assert "Done: 2 rows imported, 1 refused." in html
    assert "Enter a number." in html
    assert "every 1s" not in html  # finished: no more polling

    report = admin_client.get(f"/o/account/import/{job.pk}/errors.csv")
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert rows == [
        ["line", "Account Name", "annual revenue", "Industry", "Shoe size", "error"],
        ["3", "Globex", "lots", "Energy", "10", "annual_revenue: Enter a number."],
    ]


def test_the_progress_partial_polls_until_the_job_is_done(admin_client, ctx):
    _upload(admin_client)
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(status="running", processed=1)
    partial = admin_client.get(
        f"/o/account/import/{job.pk}/", headers={"HX-Request": "true"}
    )
    html = partial.content.decode()
    assert html.lstrip().startswith('<section id="import-progress"')
    assert 'hx-trigger="every 1s"' in html
    assert "1 of 3 rows done" in html
    assert 'value="33"' in html


def test_a_bad_mapping_is_refused_and_nothing_runs(admin_client, ctx):
    uploaded = _upload(admin_client)
    answer = admin_client.post(
        uploaded["Location"], {"col0": "name", "col1": "name", "col2": "", "col3": ""}
    )
    assert answer.status_code == 422
    assert "Two columns are mapped to &#x27;name&#x27;." in answer.content.decode()
    assert Job.objects.get().status == "draft"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file needs a header row and at least one row of data."),
        ("name\n", "The file needs a header row and at least one row of data."),
        ("a\x00b\n1\n", "The file is not a CSV file."),
    ],
)
def test_a_bad_file_is_refused_on_the_upload_page(admin_client, text, message):
    answer = _upload(admin_client, text)
    assert answer.status_code == 422
    assert message in answer.content.decode()
    assert not Job.objects.exists()


def test_another_users_import_is_not_found(admin_client, ctx, client, member):
    _upload(admin_client)
    job = Job.objects.get()
    client.force_login(member)
    assert client.get(f"/o/account/import/{job.pk}/").status_code == 404
    assert client.get(f"/o/account/import/{job.pk}/map/").status_code == 404
