"""Running jobs in-process: the atomic claim, the lease, the checkpoint that
commits with each chunk, the sweep, budgets, rights, and rows cleaned at
submission read back as such only while the metadata holds."""

from __future__ import annotations

import datetime as dt
import uuid
from unittest import mock

import pytest
from django.utils import timezone

from crm import job_runner, job_steps, jobs, tasking
from crm.metadata import services as metadata
from crm.models import Account, Job, OutboxEvent

Status = Job.Status


@pytest.fixture
def no_send(monkeypatch):
    """Submitting sends nothing: the test runs the job itself."""
    sent = []
    monkeypatch.setattr(jobs, "enqueue", lambda job_id: sent.append(job_id) or True)
    return sent


def _job(ctx, n=5, **kwargs) -> Job:
    rows = [{"name": f"A{i}"} for i in range(n)]
    return jobs.submit_bulk(ctx, "account", "create", rows, **kwargs)


def test_only_one_claim_wins(ctx, no_send):
    job = _job(ctx)
    first, second = uuid.uuid4(), uuid.uuid4()
    assert job_runner.claim(job.pk, first) is True
    assert job_runner.claim(job.pk, second) is False
    job.refresh_from_db()
    assert (job.status, job.lease_token, job.attempts) == (Status.RUNNING, first, 1)


def test_a_worker_that_lost_its_lease_stops_and_the_new_one_resumes(
    ctx, no_send, settings
):
    settings.JOB_CHUNK_ROWS = 2
    job = _job(ctx)
    old = uuid.uuid4()
    assert job_runner.claim(job.pk, old)
    assert job_runner._step(job.pk, old, {}) is True  # chunk 0 committed
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now())  # it expired
    new = uuid.uuid4()
    assert job_runner.claim(job.pk, new)
    assert job_runner._step(job.pk, old, {}) is False  # the old worker stops
    job.refresh_from_db()
    assert (job.next_chunk, job.processed) == (1, 2)
    while job_runner._step(job.pk, new, {}):
        pass
    job.refresh_from_db()
    assert (job.status, job.processed, job.next_chunk) == (Status.COMPLETED, 5, 3)
    assert Account.objects.count() == 5
    assert OutboxEvent.objects.count() == 5


def test_a_chunk_that_fails_leaves_the_checkpoint_where_it_was(
    ctx, no_send, settings, monkeypatch
):
    settings.JOB_CHUNK_ROWS = 2
    job = _job(ctx)
    real = job_steps.apply
    calls = []

    def flaky(ctx, job, rows):
        calls.append(len(rows))
        results = real(ctx, job, rows)  # the rows are written…
        if len(calls) == 2:
            raise RuntimeError("the worker dies here")  # …and rolled back
        return results

    monkeypatch.setattr(job_steps, "apply", flaky)
    assert job_runner.run(job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.next_chunk, job.processed) == (Status.FAILED, 1, 2)
    assert job.error == "The job stopped on an internal error (RuntimeError)."
    assert Account.objects.count() == 2


def test_the_sweep_sends_stalled_jobs_again_and_gives_up_in_the_end(
    ctx, no_send, settings
):
    settings.JOB_MAX_ATTEMPTS = 3
    fresh, stalled, dead, done = (_job(ctx) for _ in range(4))
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    Job.objects.filter(pk=stalled.pk).update(
        status=Status.RUNNING, lease_until=long_ago, attempts=1
    )
    Job.objects.filter(pk=dead.pk).update(
        status=Status.RUNNING, lease_until=long_ago, attempts=3
    )
    Job.objects.filter(pk=done.pk).update(status=Status.COMPLETED)
    no_send.clear()
    assert job_runner.sweep() == 1
    assert no_send == [stalled.pk]
    dead.refresh_from_db()
    assert (dead.status, dead.error) == (
        Status.FAILED,
        "The job was stopped 3 times before it could finish.",
    )
    Job.objects.filter(pk=fresh.pk).update(enqueued_at=long_ago)
    no_send.clear()
    assert job_runner.sweep() == 1
    assert no_send == [fresh.pk]  # queued, but no worker took it


def test_a_budget_stops_between_chunks_and_the_task_sends_the_job_again(
    ctx, no_send, settings
):
    settings.JOB_CHUNK_ROWS = 1
    job = _job(ctx, n=3)
    assert job_runner.run(job.pk, budget=0) is True
    job.refresh_from_db()
    assert (job.status, job.next_chunk, job.lease_until) == (Status.RUNNING, 1, None)
    assert job_runner.run(job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.processed) == (Status.COMPLETED, 3)


def test_a_job_whose_creator_left_fails(ctx, member, member_ctx, no_send):
    job = jobs.submit_bulk(member_ctx, "account", "create", [{"name": "A"}])
    member.memberships.update(is_active=False)
    job_runner.run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == (Status.FAILED, "No such workspace.")
    assert not Account.objects.exists()


def test_a_job_keeps_no_more_rights_than_its_creator_has_now(
    ctx, member, member_ctx, no_send
):
    job = jobs.submit_bulk(member_ctx, "account", "create", [{"name": "A"}])
    profile = member.memberships.get().profile
    profile.object_permissions.filter(object_name="account").update(can_create=False)
    job_runner.run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == (
        Status.FAILED,
        "You may not create Account records.",
    )


def test_rows_cleaned_before_a_metadata_change_are_cleaned_again(ctx, no_send):
    metadata.create_field(
        ctx, "account", name="tier", label="Tier", type="picklist", choices=["Gold"]
    )
    ctx.workspace.refresh_from_db()
    rows = [{"name": "A", "tier": "gold"}]
    job = jobs.submit_bulk(ctx, "account", "create", rows, prepared=True)
    assert job.options["prepared"] == str(ctx.workspace.metadata_version)
    metadata.delete_field(ctx, "account", "tier")
    job_runner.run(job.pk)
    job.refresh_from_db()
    assert (job.succeeded, job.failed) == (0, 1)
    failure = job.errors.get()
    assert failure.problems == [
        {"field": "tier", "message": "Account has no field 'tier'."}
    ]


def test_with_no_broker_a_submitted_job_runs_once_its_transaction_commits(
    ctx, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = _job(ctx)
        assert Job.objects.get(pk=job.pk).status == Status.QUEUED
    job.refresh_from_db()
    assert (job.status, job.succeeded) == (Status.COMPLETED, 5)


def test_a_broker_that_is_down_loses_no_job(ctx, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasking.current_app, "tasks", {}),
        mock.patch.object(
            tasking.current_app, "send_task", side_effect=ConnectionError("down")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = _job(ctx)
    assert Job.objects.get(pk=job.pk).status == Status.QUEUED
    Job.objects.filter(pk=job.pk).update(
        enqueued_at=timezone.now() - dt.timedelta(minutes=5)
    )
    assert job_runner.sweep() == 1  # in-process now: it runs
    job.refresh_from_db()
    assert job.status == Status.COMPLETED


def test_old_finished_jobs_and_forgotten_drafts_are_purged(ctx, no_send):
    old, recent = _job(ctx), _job(ctx)
    long_ago = timezone.now() - dt.timedelta(days=40)
    Job.objects.filter(pk__in=[old.pk, recent.pk]).update(
        status=Status.COMPLETED, finished_at=long_ago
    )
    Job.objects.filter(pk=recent.pk).update(finished_at=timezone.now())
    job_runner.purge_expired()
    assert list(Job.objects.values_list("pk", flat=True)) == [recent.pk]
