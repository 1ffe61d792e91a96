"""``POST /api/v1/{objects}/bulk`` and ``GET /api/v1/jobs/{id}``: the whole
request is checked (400 writes nothing), a valid one becomes a job answered
202, and the job reports every refused row. Jobs run in-process here (no
broker), once the request's transaction commits."""

from __future__ import annotations

import uuid

import pytest

from crm import records
from crm.models import Account, CustomRecord, Job, OutboxEvent
from tests.api.conftest import BODIES, ApiClient, pat


def _count(objects: str) -> int:
    model = Account if objects == "accounts" else CustomRecord
    return model.objects.filter(deleted_at__isnull=True).count()


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """POST through a client and run what commits (the job) at once."""

    def post(client, path, body, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, body, **kwargs)

    return post


def _done(api, answer) -> dict:
    assert answer.status_code == 202, answer.content
    assert answer["Location"] == answer.json()["status_url"]
    job = api.get(answer.json()["status_url"]).json()
    assert job["status"] == "completed", job
    return job


def test_every_operation_runs_as_a_job(api, send, objects):
    existing = api.post(f"/api/v1/{objects}", BODIES[objects]).json()
    url = f"/api/v1/{objects}/bulk"
    created = _done(
        api, send(api, url, {"operation": "CREATE", "records": [BODIES[objects]] * 3})
    )
    assert (created["processed"], created["succeeded"], created["failed"]) == (3, 3, 0)
    assert created["actions"] == {"created": 3}
    assert _count(objects) == 4

    body = {"operation": "update", "records": [{"Id": existing["id"], "name": "New"}]}
    assert _done(api, send(api, url, body))["actions"] == {"updated": 1}
    assert api.get(f"/api/v1/{objects}/{existing['id']}").json()["name"] == "New"

    body = {
        "operation": "upsert",
        "records": [{"id": existing["id"]}],
        "id_field": "Id",
    }
    assert _done(api, send(api, url, body))["actions"] == {"unchanged": 1}

    body = {"operation": "delete", "records": [existing["id"], {"id": existing["id"]}]}
    deleted = _done(api, send(api, url, body))
    assert (deleted["succeeded"], deleted["failed"]) == (1, 1)
    label = "Account" if objects == "accounts" else "Project"
    pk = uuid.UUID(existing["id"].rpartition("_")[2])
    assert deleted["errors"] == [
        {
            "row": 1,
            "record_id": existing["id"],
            "code": "not_found",
            "errors": [{"field": None, "message": f"No {label} with id {pk}."}],
        }
    ]
    assert _count(objects) == 3


def test_operation_defaults_to_create(api, send, objects):
    body = {"records": [BODIES[objects], {**BODIES[objects], "name": "Second"}]}
    job = _done(api, send(api, f"/api/v1/{objects}/bulk", body))
    assert (job["processed"], job["succeeded"], job["failed"]) == (2, 2, 0)
    assert job["actions"] == {"created": 2}
    names = [
        r["name"] for r in api.get(f"/api/v1/{objects}?sort=name").json()["results"]
    ]
    assert names == [BODIES[objects]["name"], "Second"]


def test_the_job_list_takes_a_limit(api, send):
    for n in range(2):
        _done(api, send(api, "/api/v1/accounts/bulk", {"records": [{"name": f"{n}"}]}))
    assert len(api.get("/api/v1/jobs").json()["results"]) == 2
    assert len(api.get("/api/v1/jobs?limit=1").json()["results"]) == 1


LIMIT = "'limit' must be a whole number from 1 to 200."
AFTER = "'errors_after' is a whole number of at most 9 digits."


@pytest.mark.parametrize(
    ("path", "field", "message"),
    [
        ("/api/v1/jobs?limit=abc", "limit", LIMIT),
        ("/api/v1/jobs?limit=0", "limit", LIMIT),
        ("/api/v1/jobs?limit=²", "limit", LIMIT),
        ("/api/v1/webhooks?limit=abc", "limit", LIMIT),
        ("/api/v1/webhooks?limit=201", "limit", LIMIT),
        ("/api/v1/jobs/{job}?errors_after=²", "errors_after", AFTER),
        ("/api/v1/jobs/{job}?errors_after=" + "9" * 30, "errors_after", AFTER),
    ],
)
def test_a_malformed_list_parameter_is_400_naming_it(api, send, path, field, message):
    job = send(api, "/api/v1/accounts/bulk", {"records": [{"name": "A"}]}).json()
    answer = api.get(path.format(job=job["id"]))
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert (error["code"], error["field"], error["message"]) == (
        "validation_failed",
        field,
        message,
    )


def test_refused_rows_are_reported_and_the_others_written(api, send, ctx, other_ctx):
    theirs = records.create(other_ctx, "account", data={"name": "Theirs"})
    records.create(ctx, "product", data={"name": "Widget", "product_code": "W-1"})
    rows = [
        {"name": "Good 1", "product_code": "G-1"},
        {"name": "Dup", "product_code": "w-1"},
        {"name": "Good 2", "product_code": "G-2"},
        {"name": "Twice", "product_code": "g-2"},
        {"name": "Good 3"},
    ]
    job = _done(
        api,
        send(api, "/api/v1/products/bulk", {"operation": "create", "records": rows}),
    )
    assert (job["succeeded"], job["failed"]) == (3, 2)
    message = "Another Product already has this Product code."
    assert [(e["row"], e["code"], e["errors"]) for e in job["errors"]] == [
        (1, "duplicate_value", [{"field": "product_code", "message": message}]),
        (3, "duplicate_value", [{"field": "product_code", "message": message}]),
    ]
    contact = {"last_name": "Doe", "account": f"acc_{theirs.pk.hex}"}
    job = _done(
        api,
        send(
            api, "/api/v1/contacts/bulk", {"operation": "create", "records": [contact]}
        ),
    )
    assert job["errors"][0]["errors"] == [
        {"field": "account", "message": f"No account record has the id {theirs.pk}."}
    ]


def test_a_row_naming_another_workspaces_record_is_not_found(api, send, other_ctx):
    theirs = records.create(other_ctx, "account", data={"name": "Theirs"})
    for operation, row in (
        ("update", {"id": f"acc_{theirs.pk.hex}", "name": "Mine now"}),
        ("delete", f"acc_{theirs.pk.hex}"),
    ):
        body = {"operation": operation, "records": [row]}
        job = _done(api, send(api, "/api/v1/accounts/bulk", body))
        assert (job["failed"], job["errors"][0]["code"]) == (1, "not_found")
    theirs.refresh_from_db()
    assert (theirs.name, theirs.deleted_at) == ("Theirs", None)


def test_ten_thousand_rows_are_one_job_and_one_more_is_refused(api, send, settings):
    settings.JOB_CHUNK_ROWS = 2500
    rows = [{"name": f"Account {n}", "annual_revenue": n} for n in range(10_000)]
    answer = send(
        api, "/api/v1/accounts/bulk", {"operation": "create", "records": rows}
    )
    job = _done(api, answer)
    assert (job["total"], job["succeeded"], job["percent"]) == (10_000, 10_000, 100)
    assert Job.objects.get().chunk_count == 4
    assert Account.objects.count() == 10_000
    assert OutboxEvent.objects.filter(event="created").count() == 10_000
    rows.append({"name": "One too many"})
    refused = api.post(
        "/api/v1/accounts/bulk", {"operation": "create", "records": rows}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        "Send 1 to 10,000 rows in 'records' (this has 10,001)."
    )
    assert Job.objects.count() == 1


def test_bulk_bodies_may_pass_the_usual_size_cap(api, send):
    rows = [{"name": f"A{n}", "description": "x" * 300} for n in range(8_000)]
    assert api.post("/api/v1/batch/account", {"records": rows}).status_code == 413
    body = {"operation": "create", "records": rows}
    assert _done(api, send(api, "/api/v1/accounts/bulk", body))["succeeded"] == 8_000


def test_errors_are_paged(api, send):
    rows = [{"name": f"A{n}", "parent_account": "acc_" + "0" * 32} for n in range(150)]
    answer = send(
        api, "/api/v1/accounts/bulk", {"operation": "create", "records": rows}
    )
    job = _done(api, answer)
    assert (job["failed"], len(job["errors"])) == (150, 100)
    assert job["errors_next"].endswith("?errors_after=99")
    rest = api.get(job["errors_next"]).json()
    assert [e["row"] for e in rest["errors"]] == list(range(100, 150))
    assert rest["errors_next"] is None


def test_a_retry_with_the_same_idempotency_key_returns_the_same_job(api, send):
    body = {"operation": "create", "records": [{"name": "Once"}]}
    key = {"Idempotency-Key": "bulk-0001"}
    first = send(api, "/api/v1/accounts/bulk", body, headers=key)
    again = send(api, "/api/v1/accounts/bulk", body, headers=key)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["job_id"] == first.json()["job_id"]
    assert again["Idempotent-Replayed"] == "true"
    assert (Job.objects.count(), Account.objects.count()) == (1, 1)


def test_the_job_is_found_again_by_its_key_when_the_reply_was_lost(ctx):
    from crm import jobs

    first = jobs.submit_bulk(ctx, "account", "create", [{}], idempotency_key="k-1")
    again = jobs.submit_bulk(ctx, "account", "create", [{}], idempotency_key="k-1")
    assert again.pk == first.pk
    assert Job.objects.count() == 1


def test_only_the_creator_or_an_admin_sees_a_job(ctx, member_ctx, other_ctx, send):
    admin, rep = ApiClient(pat(ctx)), ApiClient(pat(member_ctx))
    body = {"operation": "create", "records": [{"name": "Rep's"}]}
    url = send(rep, "/api/v1/accounts/bulk", body).json()["status_url"]
    assert rep.get(url).status_code == 200
    assert admin.get(url).status_code == 200
    admins = send(admin, "/api/v1/accounts/bulk", body).json()["status_url"]
    assert rep.get(admins).status_code == 404
    assert ApiClient(pat(other_ctx)).get(url).status_code == 404
    assert [j["status_url"] for j in rep.get("/api/v1/jobs").json()["results"]] == [url]
    assert len(admin.get("/api/v1/jobs").json()["results"]) == 2
    assert rep.get("/api/v1/jobs/job_nonsense").status_code == 404


@pytest.mark.parametrize(
    ("body", "details"),
    [
        (
            {"operation": "merge", "records": [{}]},
            [("operation", "'operation' is one of create, update, upsert or delete.")],
        ),
        ({"records": [{}]}, [("records[0].name", "Account name is required.")]),
        (
            {"operation": "create", "records": {}},
            [("records", "Send 'records' as a list.")],
        ),
        (
            {"operation": "create", "records": [], "extra": 1},
            [("extra", "Unknown field 'extra'.")],
        ),
        (
            {"operation": "create", "records": []},
            [("records", "Send 1 to 10,000 rows in 'records' (this has 0).")],
        ),
        (
            {"operation": "create", "records": [{"name": "A"}], "id_field": "name"},
            [("id_field", "'id_field' applies to upserts only.")],
        ),
        (
            {"operation": "upsert", "records": [{"name": "A"}]},
            [("id_field", "An upsert needs 'id_field': id or a unique field.")],
        ),
        (
            {"operation": "upsert", "records": [{"name": "A"}], "id_field": "name"},
            [("id_field", "'name' is not id or a unique field of Account.")],
        ),
        (
            {
                "operation": "create",
                "records": [
                    {"name": "Fine"},
                    {"name": "A", "annual_revenue": "12"},
                    {"phone": "+1 555 0100"},
                    "nope",
                    {"name": "B", "shoe_size": 9, "id": "acc_1"},
                    {"name": "C", "industry": "Knitting"},
                ],
            },
            [
                ("records[1].annual_revenue", "Enter a number, as a JSON number."),
                ("records[2].name", "Account name is required."),
                ("records[3]", "Each row is a JSON object of fields."),
                ("records[4].shoe_size", "Account has no field 'shoe_size'."),
                ("records[4].id", "Id is read-only."),
                (
                    "records[5].industry",
                    "'Knitting' is not a valid choice. Use one of: agriculture, "
                    "banking, construction, consulting, education, energy, finance, "
                    "government, healthcare, hospitality, insurance, manufacturing, "
                    "media, not_for_profit, retail, technology, telecommunications, "
                    "transportation, other.",
                ),
            ],
        ),
        (
            {
                "operation": "update",
                "records": [{"name": "No id"}, {"id": "opp_1", "name": "X"}, 4],
            },
            [
                ("records[0].id", "Each row needs one 'id'."),
                ("records[1].id", "'opp_1' is not the id of any Account."),
                ("records[2]", "Each row is a JSON object with 'id'."),
            ],
        ),
        (
            {"operation": "delete", "records": [12, {"id": "x", "name": "y"}]},
            [
                ("records[0]", "'12' is not the id of any Account."),
                ("records[1]", 'Each row is an id, or {"id": …} alone.'),
            ],
        ),
    ],
)
def test_bad_requests_are_400_naming_each_bad_row(api, body, details):
    answer = api.post("/api/v1/accounts/bulk", body)
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["details"] == [{"field": f, "message": m} for f, m in details]
    assert not Account.objects.exists()
    assert not Job.objects.exists()


def test_a_read_only_token_may_not_bulk_write(ctx, objects):
    reader = ApiClient(pat(ctx, scopes=["read:crm"]))
    answer = reader.post(
        f"/api/v1/{objects}/bulk", {"operation": "create", "records": [{"name": "A"}]}
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"


def test_a_job_runs_with_no_more_than_the_rights_it_was_made_with(ctx, send):
    writer = ApiClient(pat(ctx, scopes=["read:crm", "write:accounts"]))
    answer = send(
        writer,
        "/api/v1/accounts/bulk",
        {"operation": "create", "records": [{"name": "A"}]},
    )
    job = Job.objects.get(pk=answer.json()["job_id"].split("_")[1])
    assert job.rights["is_admin"] is False
    assert "create" in job.rights["grants"]["account"]
    assert "create" not in job.rights["grants"]["contact"]
    assert job.succeeded == 1


def test_another_workspaces_custom_object_is_not_found(other_api, project):
    answer = other_api.post(
        "/api/v1/projects/bulk", {"operation": "create", "records": [{"name": "A"}]}
    )
    assert answer.status_code == 404
