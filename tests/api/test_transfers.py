"""CSV import and export jobs over the API: a bad row is reported (and in the
error report) while the others are imported; an export writes what an
ObjectQL query selects, with cells a spreadsheet would run escaped."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm import csv_io, records
from crm.models import Account, Job
from tests.api.conftest import ApiClient, pat


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def post(client, path, body=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, body, **kwargs)

    return post


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_an_import_writes_the_good_rows_and_reports_the_bad_one(api, send):
    text = "Name;AnnualRevenue;Rating\nAcme;1000;Hot\nBad;12abc;Warm\n;5;Cold\n"
    answer = send(api, "/api/v1/accounts/import", {"csv": text})
    assert answer.status_code == 202, answer.content
    job = api.get(answer.json()["status_url"]).json()
    assert (job["status"], job["kind"], job["succeeded"], job["failed"]) == (
        "completed",
        "import",
        1,
        2,
    )
    assert [(e["row"], e["errors"]) for e in job["errors"]] == [
        (3, [{"field": "annual_revenue", "message": "Enter a number."}]),
        (4, [{"field": "name", "message": "Account name is required."}]),
    ]
    assert list(Account.objects.values_list("name", "annual_revenue", "rating")) == [
        ("Acme", 1000, "hot")
    ]
    report = _csv(api.get(job["error_report_url"]))
    assert report == [
        ["line", "Name", "AnnualRevenue", "Rating", "error"],
        ["3", "Bad", "12abc", "Warm", "annual_revenue: Enter a number."],
        ["4", "", "5", "Cold", "name: Account name is required."],
    ]


def test_an_upload_with_a_mapping_upserts_by_a_unique_field(ctx, api, send):
    records.create(ctx, "product", data={"name": "Old name", "product_code": "W-1"})
    upload = SimpleUploadedFile(
        "p.csv", b"Code,Title,Skip\nw-1,Widget,x\nG-2,Gadget,y\n", "text/csv"
    )
    answer = send(
        api.client,
        "/api/v1/products/import",
        {
            "file": upload,
            "operation": "upsert",
            "id_field": "product_code",
            "mapping": '{"code": "product_code", "Title": "name", "skip": null}',
        },
        headers={"Authorization": f"Bearer {api.secret}"},
    )
    assert answer.status_code == 202, answer.content
    job = api.get(answer.json()["status_url"]).json()
    assert job["actions"] == {"updated": 1, "created": 1}
    names = api.post("/api/v1/products/query", {"sort": "name"}).json()["results"]
    assert [(p["name"], p["product_code"]) for p in names] == [
        ("Gadget", "G-2"),
        ("Widget", "w-1"),  # matched ignoring case, then written as given
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"csv": "name\n"},
            "The file needs a header row and at least one row of data.",
        ),
        (
            {"csv": "name\nA\n", "mapping": {"nope": "name"}},
            "The file has no column 'nope'.",
        ),
        ({"csv": "shoe\n9\n"}, "Map at least one column."),
        (
            {"csv": "name\nA\n", "operation": "delete"},
            "'operation' is one of create, update or upsert.",
        ),
        (
            {"csv": "name\nA\n", "operation": "update"},
            "Map a column to 'id' to match by.",
        ),
    ],
)
def test_a_bad_import_request_is_400_and_makes_no_job(api, body, message):
    answer = api.post("/api/v1/accounts/import", body)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == message
    assert not Job.objects.exists()


def test_an_export_escapes_formulas_and_follows_the_query(ctx, api, send, settings):
    for name, phone in (
        ("=cmd|' /C calc'!A0", "+1 555 0100"),
        ("@SUM(1+1)", "+1 555 0101"),
        ("-2+3", "+1 555 0102"),
        ("Plain", "+1 555 0103"),
        ("Excluded", "+1 555 0104"),
    ):
        records.create(ctx, "account", data={"name": name, "phone": phone})
    query = {
        "filters": [["name", "!=", "Excluded"]],
        "fields": ["name", "phone"],
        "sort": "name",
    }
    answer = send(api, "/api/v1/accounts/export", query)
    assert answer.status_code == 202, answer.content
    job = api.get(answer.json()["status_url"]).json()
    assert (job["status"], job["total"], job["succeeded"]) == ("completed", 4, 4)
    rows = _csv(api.get(job["download_url"]))
    assert rows[0] == ["id", "name", "phone"]
    assert [row[1:] for row in rows[1:]] == [
        ["'-2+3", "'+1 555 0102"],
        ["'=cmd|' /C calc'!A0", "'+1 555 0100"],
        ["'@SUM(1+1)", "'+1 555 0101"],
        ["Plain", "'+1 555 0103"],
    ]


def test_an_export_pages_through_many_rows(ctx, api, send, settings, monkeypatch):
    from crm import job_steps

    monkeypatch.setattr(job_steps, "EXPORT_PAGE", 7)
    settings.EXPORT_MAX_ROWS = 20
    for n in range(25):
        records.create(ctx, "account", data={"name": f"A{n:02d}"})
    answer = send(api, "/api/v1/accounts/export", {"fields": ["name"], "sort": "name"})
    job = Job.objects.get()
    assert (job.status, job.chunk_count, job.total) == ("completed", 3, 20)
    rows = _csv(api.get(answer.json()["download_url"]))
    assert [row[1] for row in rows[1:]] == [f"A{n:02d}" for n in range(20)]


def test_a_bad_export_query_is_400(api):
    answer = api.post("/api/v1/accounts/export", {"filters": [["shoe", "=", 1]]})
    assert answer.status_code == 400
    assert not Job.objects.exists()


def test_an_unfinished_export_cannot_be_downloaded(ctx, api):
    from crm import jobs

    job = jobs.submit_export(ctx, "account", {})
    answer = api.get(f"/api/v1/jobs/job_{job.pk.hex}/download")
    assert answer.status_code == 409


def test_another_workspace_cannot_read_the_export(ctx, other_ctx, api, send):
    records.create(ctx, "account", data={"name": "Secret"})
    answer = send(api, "/api/v1/accounts/export", {})
    stranger = ApiClient(pat(other_ctx))
    assert stranger.get(answer.json()["download_url"]).status_code == 404


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        (-1, "-1"),
        (True, "true"),
        (None, ""),
        (["a", "=b"], "a;=b"),
    ],
)
def test_cells_a_spreadsheet_would_run_are_escaped(value, cell):
    assert csv_io.escape(value) == cell
