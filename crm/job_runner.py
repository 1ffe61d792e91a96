"""Running jobs: claim, one chunk per transaction, resume, sweep.

``run`` claims a job with one atomic UPDATE (a lease with a token), then
applies one chunk per transaction: the chunk's records, their history and
events, the refused rows, the checkpoint and the counters commit together,
under the job's row lock and only while the token still holds the lease. A
worker killed mid-chunk loses that transaction whole; once its lease runs
out, the beat's ``sweep`` sends the job again and the next claim resumes at
the checkpoint. No row is applied twice, none is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import replace
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import access, errors
from accounts.access import Action, Context
from crm import collector, job_steps, jobs
from crm.models import Job

logger = logging.getLogger("crm")
Status = Job.Status


def context_of(job: Job) -> Context:
    """The creator's context now, narrowed to the rights the job was made
    with. NotFound when the creator is no longer an active member."""
    if job.created_by is None:
        raise errors.NotFound("The job's creator no longer exists.")
    ctx = access.context_for_user(job.created_by, job.workspace)
    if job.rights.get("is_admin"):
        return ctx
    granted = job.rights.get("grants", {})
    grants = {}
    for name, actions in granted.items():
        held = {a for a in Action if a.value in actions and ctx.can(name, a)}
        if held:
            grants[name] = frozenset(held)
    return replace(ctx, is_admin=False, grants=grants)


# -- running -----------------------------------------------------------------------


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)


def claim(job_id: UUID, token: UUID) -> bool:
    """Take the lease of a queued job, or of a running one whose worker's
    lease ran out. One UPDATE: two workers never both win."""
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job_id, status__in=[Status.QUEUED, Status.RUNNING])
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(
            status=Status.RUNNING,
            lease_token=token,
            lease_until=now + _lease(),
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), now),
        )
    )


def _step(job_id: UUID, token: UUID, ctx_cache: dict) -> bool:
    """Apply the next chunk; True when there is more to do."""
    with collector.paused(), transaction.atomic():
        job = Job.objects.select_for_update().select_related("workspace").get(pk=job_id)
        if job.lease_token != token or job.status != Status.RUNNING:
            return False  # the lease was lost: another worker goes on
        if "ctx" not in ctx_cache:
            ctx_cache["ctx"] = context_of(job)
        more = job_steps.STEPS[job.kind](ctx_cache["ctx"], job)
        now = timezone.now()
        job.lease_until = now + _lease()
        if not more:
            job.status, job.finished_at, job.lease_token = Status.COMPLETED, now, None
            job.lease_until = None
        pause = settings.JOB_CHUNK_PAUSE_SECONDS
        if pause:
            time.sleep(pause)  # lets the crash tests stop a worker mid-chunk
        job.save()
    return more


def fail(job_id: UUID, message: str) -> None:
    Job.objects.filter(pk=job_id).exclude(status=Status.COMPLETED).update(
        status=Status.FAILED,
        error=message[:2000],
        finished_at=timezone.now(),
        lease_token=None,
        lease_until=None,
    )


def run(job_id: UUID, *, budget: float | None = None) -> bool:
    """Run a job from its checkpoint, for up to ``budget`` seconds (None: to
    the end). True when it stopped with work left (send it again). Safe to
    call twice at once: the second finds the lease taken and returns."""
    token = uuid.uuid4()
    if not claim(job_id, token):
        return False
    deadline = None if budget is None else time.monotonic() + budget
    ctx_cache: dict = {}
    try:
        while _step(job_id, token, ctx_cache):
            if deadline is not None and time.monotonic() > deadline:
                Job.objects.filter(pk=job_id, lease_token=token).update(
                    lease_until=None, lease_token=None, enqueued_at=timezone.now()
                )
                return True
    except errors.DomainError as exc:
        fail(job_id, exc.message)
    except Exception as exc:
        logger.exception("Job %s failed", job_id)
        fail(job_id, f"The job stopped on an internal error ({type(exc).__name__}).")
    return False


def sweep() -> int:
    """Send again the jobs whose worker died (lease run out) and those queued
    for a while without a worker taking them; fail those tried too often.
    Returns how many were sent."""
    now = timezone.now()
    grace = dt.timedelta(seconds=settings.JOB_QUEUE_GRACE_SECONDS)
    stalled = Job.objects.filter(
        Q(status=Status.RUNNING, lease_until__lt=now)
        | Q(status=Status.QUEUED, enqueued_at__lt=now - grace)
        | Q(
            status=Status.RUNNING, lease_until__isnull=True, enqueued_at__lt=now - grace
        )
    )
    sent = 0
    for pk, attempts in stalled.values_list("pk", "attempts")[:100]:
        if attempts >= settings.JOB_MAX_ATTEMPTS:
            fail(pk, f"The job was stopped {attempts} times before it could finish.")
            continue
        # Dropping the dead lease marks the job "sent, not yet taken": the
        # next sweep sends it again only after the grace period, and a claim
        # made meanwhile by a live worker is left alone.
        if stalled.filter(pk=pk).update(
            enqueued_at=now, lease_until=None, lease_token=None
        ):
            sent += jobs.enqueue(pk)
    return sent


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete finished jobs (with their rows and errors) past the retention,
    and drafts nobody started within a day; returns how many rows went."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.JOB_RETENTION_DAYS)
    deleted, _ = Job.objects.filter(
        Q(status__in=[Status.COMPLETED, Status.FAILED], finished_at__lt=cutoff)
        | Q(status=Status.DRAFT, created_at__lt=now - dt.timedelta(days=1))
    ).delete()
    return deleted
