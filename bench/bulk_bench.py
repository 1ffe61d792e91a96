"""Bulk jobs end to end: rows/s of a 10,000-row create and update, and the
create as a ratio to a raw COPY of the same rows, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotcrm \\
        .venv/bin/python bench/bulk_bench.py [--rows 10000] [--runs 5] [--worker]

What is timed, per run: ``POST /api/v1/accounts/bulk`` through the Django
test client (a personal access token, the request's full check of every row,
the job and its chunks stored) → the job run to the end (every row cleaned and
checked — lookups, rules, required fields — written with its outbox event;
an update also with its field history) → ``GET /api/v1/jobs/{id}`` answering
``completed``. By default the job runs in-process, as without a broker; with
``--worker`` a real Celery worker (REDIS_URL) runs it and the client polls.
In-process, the webhook dispatcher that each commit would trigger is
switched off: it is not the job's work (bench/webhooks_bench.py measures it).
The worker runs it as a deployment would, beside the job.

The baselines: the same rows (the same columns and values) written by one
``COPY`` with psycopg 3 and committed (the foreign keys, deferred, are checked
at the commit, as they are for the job's chunks), nothing else. Each figure
is the median of ``--runs`` runs, each on new rows. Targets: create >= 20,000
rows/s (stretch 30,000), update >= 15,000 rows/s. A second baseline, "COPY +
event", adds one outbox row per record (a second COPY in the same
transaction): what the database alone needs for records written with their
events, a ceiling on any create that writes them. The third, "update
floor", is the same for the update: one ``UPDATE … FROM unnest`` of the two
changed columns, two history rows and one outbox row (before and after) per
record, by COPY, committed.

Runs in a scratch database ``<name>_bulk_bench`` next to DATABASE_URL's,
created and dropped here.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["LOG_LEVEL"] = "WARNING"
# The bench polls the job's status URL every few milliseconds: far past the
# API's hourly rate limit, which is not what it measures.
os.environ.setdefault("API_RATE_LIMIT", "100000000")

INDUSTRIES = ["technology", "finance", "energy", "retail", "healthcare"]


def payload(n: int, run: int, parent: str) -> list[dict]:
    return [
        {
            "name": f"Account {run}-{i}",
            "annual_revenue": 1000 + i,
            "number_of_employees": i % 5000,
            "industry": INDUSTRIES[i % len(INDUSTRIES)],
            "phone": f"+1 555 {i % 10000:04d}",
            "website": f"https://a{i}.example.com",
            "billing_city": "Springfield",
            "billing_country": "US",
            "rating": "hot" if i % 2 else "warm",
            "parent_account": parent,
        }
        for i in range(n)
    ]


def copy_rows(connection, workspace, owner, rows: list[dict], *, events=False):
    """Write ``rows`` as accounts with one COPY: the baseline. With
    ``events``, also one outbox row each (its ``after`` the row's values as
    JSON), as a second COPY: what a record with its event costs the database
    alone."""
    import orjson
    from django.utils import timezone
    from uuid_utils.compat import uuid7

    from crm.models import Account, OutboxEvent

    fields = [f for f in Account._meta.concrete_fields]
    names = ", ".join(f'"{f.column}"' for f in fields)
    empties = [(f.attname, _empty(f)) for f in fields]
    now = timezone.now()
    written = []
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f'COPY "{Account._meta.db_table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                values = {
                    "id": uuid7(),
                    "workspace_id": workspace.pk,
                    "owner_id": owner.pk,
                    "created_by_id": owner.pk,
                    "updated_by_id": owner.pk,
                    "created_at": now,
                    "updated_at": now,
                    "custom": "{}",
                    "parent_account_id": row["parent_account"].rpartition("_")[2],
                    **{k: v for k, v in row.items() if k != "parent_account"},
                }
                copy.write_row([values.get(a, e) for a, e in empties])
                written.append(values)
        if not events:
            return written
        table = OutboxEvent._meta.db_table
        columns = "workspace_id, user_id, occurred_at, object_name, record_id, "
        columns += "event, after, changed"
        with raw.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
            for values in written:
                after = orjson.dumps(values, default=str).decode()
                event = ("account", values["id"], "created", after, "[]")
                copy.write_row((workspace.pk, owner.pk, now, *event))
    return written


def update_floor(connection, workspace, owner, written: list[dict]) -> None:
    """What the database alone needs for the bench's update: one ``UPDATE …
    FROM unnest`` of the changed columns of ``written`` (rows ``copy_rows``
    made), two history rows per record and one outbox row with the record
    before and after (COPYs), nothing else."""
    import orjson
    from django.utils import timezone

    from crm.models import Account, FieldChange, OutboxEvent

    now = timezone.now()
    ids = [values["id"] for values in written]
    ratings = ["cold"] * len(ids)
    revenues = list(range(len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{Account._meta.db_table}" AS t SET rating = v.rating, '
            "annual_revenue = v.revenue, updated_at = %s "
            "FROM unnest(%s::uuid[], %s::varchar[], %s::numeric[]) "
            "AS v(id, rating, revenue) WHERE t.id = v.id",
            [now, ids, ratings, revenues],
        )
        raw = cursor.cursor
        table = FieldChange._meta.db_table
        columns = "workspace_id, object_name, record_id, field, old_value, "
        columns += "new_value, changed_by_id, changed_at"
        with raw.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
            for values, revenue in zip(written, revenues, strict=True):
                pk = values["id"]
                for field, old, new in (
                    ("rating", values["rating"], "cold"),
                    ("annual_revenue", values["annual_revenue"], revenue),
                ):
                    old, new = orjson.dumps(old).decode(), orjson.dumps(new).decode()
                    row = (workspace.pk, "account", pk, field, old, new, owner.pk, now)
                    copy.write_row(row)
        table = OutboxEvent._meta.db_table
        columns = "workspace_id, user_id, occurred_at, object_name, record_id, "
        columns += "event, before, after, changed"
        changed = orjson.dumps(["annual_revenue", "rating"]).decode()
        with raw.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
            for values, revenue in zip(written, revenues, strict=True):
                before = orjson.dumps(values, default=str).decode()
                after_values = {**values, "rating": "cold", "annual_revenue": revenue}
                after = orjson.dumps(after_values, default=str).decode()
                event = ("account", values["id"], "updated", before, after, changed)
                copy.write_row((workspace.pk, owner.pk, now, *event))


def _empty(field):
    if field.has_default() and not callable(field.default):
        return field.default
    return None if field.null else ""


def wait(client, url: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(url).json()
        if job["status"] in ("completed", "failed"):
            return job
        if time.monotonic() > deadline:
            raise RuntimeError(f"the job did not finish: {job}")
        time.sleep(0.02)  # each poll is a request: it costs the machine too


def run(options) -> None:
    import django

    django.setup()
    from celery import current_app
    from django.db import connection, transaction

    from accounts import access, credentials
    from crm import records, workspaces
    from crm.models import Account, OutboxEvent
    from crm.records import outbox
    from tests.api.conftest import ApiClient

    if connection.vendor != "postgresql":
        sys.exit("bench/bulk_bench.py needs a PostgreSQL DATABASE_URL.")
    outbox._trigger_dispatch = lambda: None
    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = f"{connection.settings_dict['NAME']}_bulk_bench"
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False
    )
    worker = None
    try:
        workspace, owner = workspaces.create(
            "Bench", email="bench@example.com", password="bench-password-1"
        )
        ctx = access.context_for_user(owner, workspace)
        _, secret = credentials.issue_pat(ctx, name="bench")
        client = ApiClient(secret)
        parent = records.create(ctx, "account", data={"name": "Parent"})
        parent_id = f"acc_{parent.pk.hex}"
        if options.worker:
            from tests.workers import Worker

            worker = Worker(f"hotcrm-bench-{os.getpid()}", options.worker_env)
            current_app.conf.task_always_eager = False
            current_app.conf.task_default_queue = worker.queue
        else:
            current_app.conf.task_always_eager = True
        created, updated, copied, floors, update_floors = [], [], [], [], []
        profile = cProfile.Profile() if options.profile else None
        for n in range(options.runs + 1):  # the first run warms up
            rows = payload(options.rows, n, parent_id)
            body = {"operation": "create", "records": rows}
            if profile and n:
                profile.enable()
            started = time.perf_counter()
            answer = client.post("/api/v1/accounts/bulk", body)
            job = wait(client, answer.json()["status_url"])
            elapsed = time.perf_counter() - started
            if profile:
                profile.disable()
            assert job["succeeded"] == options.rows, job
            ids = [
                f"acc_{pk.hex}"
                for pk in Account.objects.filter(name__startswith=f"Account {n}-")
                .order_by()
                .values_list("pk", flat=True)
            ]
            changes = [
                {"id": pk, "rating": "cold", "annual_revenue": i}
                for i, pk in enumerate(ids)
            ]
            body = {"operation": "update", "records": changes}
            started = time.perf_counter()
            answer = client.post("/api/v1/accounts/bulk", body)
            job = wait(client, answer.json()["status_url"])
            update_elapsed = time.perf_counter() - started
            assert job["actions"] == {"updated": options.rows}, job
            started = time.perf_counter()
            with transaction.atomic():
                copy_rows(connection, workspace, owner, rows)
            copy_elapsed = time.perf_counter() - started
            started = time.perf_counter()
            with transaction.atomic():
                written = copy_rows(connection, workspace, owner, rows, events=True)
            floor_elapsed = time.perf_counter() - started
            started = time.perf_counter()
            with transaction.atomic():
                update_floor(connection, workspace, owner, written)
            update_floor_elapsed = time.perf_counter() - started
            if n:
                created.append(elapsed)
                updated.append(update_elapsed)
                copied.append(copy_elapsed)
                floors.append(floor_elapsed)
                update_floors.append(update_floor_elapsed)
        events = OutboxEvent.objects.filter(workspace=workspace).count()
        assert events == 1 + 4 * options.rows * (options.runs + 1), events
        create_s, update_s, copy_s, floor_s, update_floor_s = map(
            statistics.median, (created, updated, copied, floors, update_floors)
        )
        where = "a Celery worker" if worker else "in-process"
        print(f"database:     {connection.vendor}, jobs run {where}")
        print(f"rows per run: {options.rows:,} ({options.runs} runs, median)")
        print(f"bulk create:  {create_s:.3f} s = {options.rows / create_s:,.0f} rows/s")
        print(f"raw COPY:     {copy_s:.3f} s = {options.rows / copy_s:,.0f} rows/s")
        print(f"create/COPY:  {create_s / copy_s:.1f}x the time of the raw COPY")
        print(
            f"COPY + event: {floor_s:.3f} s = {options.rows / floor_s:,.0f} rows/s "
            "(the rows and an outbox row each, nothing else: the database's floor)"
        )
        print(f"bulk update:  {update_s:.3f} s = {options.rows / update_s:,.0f} rows/s")
        print(
            f"update floor: {update_floor_s:.3f} s = "
            f"{options.rows / update_floor_s:,.0f} rows/s (one UPDATE, two history "
            "rows and an outbox row each, nothing else)"
        )
        if profile:
            pstats.Stats(profile).sort_stats(options.sort).print_stats(options.lines)
    finally:
        if worker is not None:
            worker.stop()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--worker", action="store_true", help="run jobs on Celery")
    parser.add_argument("--profile", action="store_true", help="profile the creates")
    parser.add_argument("--sort", default="cumulative", help="profile order")
    parser.add_argument("--lines", type=int, default=45, help="profile lines")
    options = parser.parse_args()
    options.worker_env = {}
    run(options)
