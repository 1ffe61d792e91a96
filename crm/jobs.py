"""Background jobs: bulk writes, CSV imports and CSV exports, in checkpointed
chunks. This module submits and reads them; ``crm.job_runner`` runs them.

``submit_bulk``, ``submit_import`` and ``submit_export`` store a job (its rows
cut into chunks, kept in the database) and send ``crm.run_job`` once the
transaction commits; with no broker the job runs in-process right then.

A job runs with the rights of the request that made it, never more than its
creator has now. Only its creator or an admin of its workspace sees it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import orjson
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import access, errors
from accounts.access import Action, Context
from crm import csv_io, job_steps, tasking
from crm.metadata import registry
from crm.models import Job, JobChunk, JobError

RUN_TASK = "crm.run_job"
OPERATIONS = {
    "create": (Action.CREATE,),
    "update": (Action.EDIT,),
    "upsert": (Action.CREATE, Action.EDIT),
    "delete": (Action.DELETE,),
}
Status = Job.Status


# -- rights ------------------------------------------------------------------------


def rights_of(ctx: Context) -> dict[str, Any]:
    """What a job may do: the submitting context's rights, as JSON."""
    if ctx.is_admin:
        return {"is_admin": True}
    return {
        "is_admin": False,
        "grants": {name: sorted(actions) for name, actions in ctx.grants.items()},
    }


# -- submitting --------------------------------------------------------------------


def _chunks(job: Job, rows: Sequence[Any], size: int) -> list[JobChunk]:
    return [
        JobChunk(
            job=job,
            index=n,
            first_row=start,
            rows=len(rows[start : start + size]),
            payload=orjson.dumps(rows[start : start + size], default=str),
        )
        for n, start in enumerate(range(0, len(rows), size))
    ]


def _existing(ctx: Context, idempotency_key: str) -> Job | None:
    if not idempotency_key:
        return None
    since = timezone.now() - dt.timedelta(seconds=settings.API_IDEMPOTENCY_TTL)
    return Job.objects.filter(
        workspace=ctx.workspace,
        created_by=ctx.user,
        idempotency_key=idempotency_key,
        created_at__gte=since,
    ).first()


def _store(ctx: Context, job: Job, rows: Sequence[Any]) -> Job:
    """Save the job and its chunks; send it once the transaction commits."""
    with transaction.atomic():
        found = _existing(ctx, job.idempotency_key)
        if found is not None:
            return found
        size = settings.JOB_CHUNK_ROWS
        job.total = len(rows)
        job.chunk_count = -(-len(rows) // size)
        job.enqueued_at = timezone.now()
        job.save(force_insert=True)
        JobChunk.objects.bulk_create(_chunks(job, rows, size))
        if job.status == Status.QUEUED:
            transaction.on_commit(lambda: enqueue(job.pk))
    return job


def _new(ctx: Context, object_type, kind: str, **fields) -> Job:
    return Job(
        workspace=ctx.workspace,
        created_by=ctx.user,
        kind=kind,
        object_name=object_type.api_name,
        rights=rights_of(ctx),
        **fields,
    )


def submit_bulk(
    ctx: Context,
    object_name: str,
    operation: str,
    rows: Sequence[Any],
    *,
    key_field: str = "",
    idempotency_key: str = "",
    prepared: bool = False,
) -> Job:
    """A job applying ``operation`` to each row (see ``crm.records.batch``).
    ``prepared`` rows were cleaned already (``validation.prepare``): the job
    reads them back without cleaning them again, unless the workspace's
    metadata changed in between. A second call with the same
    ``idempotency_key`` returns the first job."""
    object_type = registry.get(ctx, object_name)
    if operation not in OPERATIONS:
        raise errors.ValidationFailed(
            "'operation' is one of create, update, upsert or delete.",
            field="operation",
        )
    for action in OPERATIONS[operation]:
        access.require(ctx, object_type, action)
    job = _new(
        ctx,
        object_type,
        Job.Kind.BULK,
        operation=operation,
        key_field=key_field,
        idempotency_key=idempotency_key,
    )
    if prepared:
        job.options["prepared"] = str(ctx.workspace.metadata_version)
    return _store(ctx, job, rows)


def submit_import(
    ctx: Context,
    object_name: str,
    table: csv_io.Table,
    mapping: Sequence[str] | None,
    *,
    operation: str = "create",
    key_field: str = "",
    filename: str = "",
) -> Job:
    """A job importing the rows of a parsed CSV ``table``; ``mapping`` names
    the field of each column ("" skips it; see ``crm.csv_io.auto_map``).
    Without a mapping the job is a draft until ``start_import``."""
    object_type = registry.get(ctx, object_name)
    _check_import(ctx, object_type, operation, key_field)
    if mapping is not None:
        csv_io.check_mapping(object_type, table.header, mapping, operation, key_field)
    options = {
        "header": table.header,
        "mapping": list(mapping or []),
        "filename": filename,
        "sample": [cells for _, cells in table.rows[:3]],
    }
    job = _new(
        ctx,
        object_type,
        Job.Kind.IMPORT,
        operation=operation,
        key_field=key_field,
        options=options,
        status=Status.QUEUED if mapping is not None else Status.DRAFT,
    )
    return _store(ctx, job, [[line, cells] for line, cells in table.rows])


def _check_import(ctx: Context, object_type, operation: str, key_field: str) -> None:
    if operation not in ("create", "update", "upsert"):
        raise errors.ValidationFailed(
            "An import creates, updates or upserts records.", field="operation"
        )
    for action in OPERATIONS[operation]:
        access.require(ctx, object_type, action)
    if operation == "upsert":
        spec = object_type.find_field(key_field or "")
        if spec is None or not (spec.name == "id" or spec.unique):
            raise errors.ValidationFailed(
                "An upsert matches records by id or a unique field.",
                field="key_field",
            )


def start_import(
    ctx: Context,
    job: Job,
    mapping: Sequence[str],
    *,
    operation: str | None = None,
    key_field: str | None = None,
) -> Job:
    """Give a draft import its mapping (and operation) and send it."""
    object_type = registry.get(ctx, job.object_name)
    operation = operation or job.operation
    key_field = job.key_field if key_field is None else key_field
    if operation != "upsert":
        key_field = ""
    _check_import(ctx, object_type, operation, key_field)
    header = job.options["header"]
    csv_io.check_mapping(object_type, header, mapping, operation, key_field)
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status=Status.DRAFT).update(
            operation=operation,
            key_field=key_field,
            options={**job.options, "mapping": list(mapping)},
            status=Status.QUEUED,
            enqueued_at=timezone.now(),
        )
        if updated:
            transaction.on_commit(lambda: enqueue(job.pk))
    job.refresh_from_db()
    return job


def submit_export(ctx: Context, object_name: str, query: dict[str, Any]) -> Job:
    """A job writing the records an ObjectQL ``query`` selects as CSV (the
    query is checked now; ValidationFailed names what is wrong)."""
    object_type = registry.get(ctx, object_name)
    job_steps.export_query(ctx, object_type.api_name, query, cursor=None)
    job = _new(ctx, object_type, Job.Kind.EXPORT, options={"query": query})
    with transaction.atomic():
        job.enqueued_at = timezone.now()
        job.save(force_insert=True)
        transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: UUID) -> bool:
    """Send ``crm.run_job``; False (and a log line) when the broker refuses:
    the sweep sends it later."""
    return tasking.send(RUN_TASK, [str(job_id)])


# -- reading -----------------------------------------------------------------------


def get(ctx: Context, job_id: UUID) -> Job:
    """A job of the context's workspace that it may see (its own, or any as
    an admin); NotFound otherwise."""
    job = Job.objects.filter(workspace=ctx.workspace, pk=job_id).first()
    if job is None or not (ctx.is_admin or job.created_by_id == ctx.user_id):
        raise errors.NotFound("There is no job with that id.")
    return job


def job_list(ctx: Context, *, limit: int = 50) -> list[Job]:
    jobs = Job.objects.filter(workspace=ctx.workspace)
    if not ctx.is_admin:
        jobs = jobs.filter(created_by=ctx.user)
    return list(jobs.order_by("-created_at")[:limit])


def error_page(job: Job, *, after: int = -1, limit: int = 100) -> list[JobError]:
    """Refused rows after row ``after``, in row order."""
    return list(job.errors.filter(row__gt=after).order_by("row")[:limit])


def chunks(job: Job):
    """An export's CSV, a chunk at a time."""
    for payload in (
        job.chunks.order_by("index").values_list("payload", flat=True).iterator()
    ):
        yield bytes(payload)
