"""Jobs through a real Redis broker and real Celery worker processes that
this suite starts, against the pytest-django test database: 10,000 rows end
to end, and a worker killed with SIGKILL in the middle of a chunk, whose job
another worker finishes with every row applied exactly once.

Needs PostgreSQL and REDIS_URL; skipped otherwise, and failing instead when
HOTCRM_REQUIRE_SERVICES is set (CI). Each worker listens on a queue of its
own, so runs sharing a Redis never mix.
"""

from __future__ import annotations

import time
import uuid

import pytest
from celery import current_app

from crm import jobs
from crm.models import Account, Job, JobError, OutboxEvent
from tests import workers
from tests.api.conftest import ApiClient, pat

pytestmark = pytest.mark.services

ROWS = 10_000


@pytest.fixture
def queue(transactional_db):
    """Tasks leave this process for a queue of the test's own."""
    workers.needs_services()
    name = f"hotcrm-test-{uuid.uuid4().hex[:12]}"
    conf = current_app.conf
    saved = conf.task_always_eager, conf.task_default_queue
    conf.task_always_eager = False
    conf.task_default_queue = name
    started: list[workers.Worker] = []

    def start(**env: str) -> workers.Worker:
        worker = workers.Worker(name, env)
        started.append(worker)
        return worker

    yield start
    conf.task_always_eager, conf.task_default_queue = saved
    for worker in started:
        worker.stop(purge=worker is started[-1])


def _rows(tag: str) -> list[dict]:
    return [
        {"name": f"{tag} {n:05d}", "annual_revenue": n, "industry": "Technology"}
        for n in range(ROWS)
    ]


def _wait(predicate, worker, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}; worker log:\n{worker.log()}"
        time.sleep(0.02)


def test_ten_thousand_rows_run_on_the_worker(ctx, queue):
    worker = queue()
    api = ApiClient(pat(ctx))
    answer = api.post(
        "/api/v1/accounts/bulk", {"operation": "create", "records": _rows("Bulk")}
    )
    assert answer.status_code == 202, answer.content
    assert answer.json()["status"] == "queued"
    url = answer.json()["status_url"]

    def finished():
        body = api.get(url).json()
        return body if body["status"] in ("completed", "failed") else None

    job = _wait(finished, worker, 120, "the job did not finish")
    assert (job["status"], job["processed"], job["succeeded"]) == (
        "completed",
        ROWS,
        ROWS,
    )
    assert Account.objects.filter(workspace=ctx.workspace).count() == ROWS
    assert OutboxEvent.objects.filter(event="created").count() == ROWS


def test_a_killed_worker_loses_and_repeats_no_row(ctx, queue, settings):
    settings.JOB_CHUNK_ROWS = 500  # 20 chunks
    # Each chunk holds its transaction open a while before committing, so the
    # kill lands inside one; the lease runs out soon after.
    first = queue(JOB_CHUNK_PAUSE_SECONDS="0.25", JOB_LEASE_SECONDS="2")

    job = jobs.submit_bulk(ctx, "account", "create", _rows("Kill"))
    assert job.chunk_count == 20

    def some_chunks_done():
        job.refresh_from_db()
        return job.next_chunk >= 3

    _wait(some_chunks_done, first, 60, "the worker committed no chunk")
    first.kill()
    job.refresh_from_db()
    done = job.next_chunk
    assert (job.status, job.processed) == ("running", done * 500)
    assert 3 <= done < 20
    # The chunk in flight was rolled back with the worker's connection.
    assert Account.objects.filter(workspace=ctx.workspace).count() == done * 500
    assert OutboxEvent.objects.filter(event="created").count() == done * 500

    second = queue(JOB_LEASE_SECONDS="2")
    time.sleep(2.5)  # the dead worker's lease runs out
    entry = settings.CELERY_BEAT_SCHEDULE["crm.sweep_jobs"]
    current_app.send_task(entry["task"], **entry["options"])

    def completed():
        job.refresh_from_db()
        return job.status in ("completed", "failed")

    _wait(completed, second, 120, "the sweep did not resume the job")
    assert (job.status, job.processed, job.succeeded, job.failed) == (
        "completed",
        ROWS,
        ROWS,
        0,
    )
    assert job.attempts == 2
    names = list(
        Account.objects.filter(workspace=ctx.workspace).values_list("name", flat=True)
    )
    assert len(names) == ROWS
    assert sorted(names) == [f"Kill {n:05d}" for n in range(ROWS)]
    events = OutboxEvent.objects.filter(event="created")
    assert events.count() == ROWS
    assert events.values("record_id").distinct().count() == ROWS
    assert not JobError.objects.exists()
    assert Job.objects.get(pk=job.pk).lease_token is None
