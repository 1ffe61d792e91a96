"""One step of a job of each kind, run by ``crm.jobs`` inside the
transaction that also moves the job's checkpoint and counters.

Each step takes the job (locked) and returns True while there is more to do.
Bulk writes and imports apply one stored chunk through ``crm.records.batch``
and keep a ``JobError`` per refused row; an export writes the next page of
its query as a CSV chunk and keeps the cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from django.conf import settings

from accounts.access import Context
from crm import csv_io, query
from crm.models import Job, JobChunk, JobError
from crm.query import parse
from crm.records import batch
from crm.records.results import RowResult

#: Rows per page of an export.
EXPORT_PAGE = 2000
#: Query keys an export decides itself.
_PAGING = frozenset({"limit", "cursor", "after", "offset", "explain"})


def apply(ctx: Context, job: Job, rows: Sequence[Any]) -> list[RowResult]:
    """The job's operation on ``rows``, through the batch path. Rows cleaned
    when the job was made are not cleaned again while the metadata they were
    cleaned against holds."""
    name = job.object_name
    prepared = job.options.get("prepared") == str(ctx.workspace.metadata_version)
    if job.operation == "create":
        return batch.create_many(ctx, name, rows, prepared=prepared)
    if job.operation == "update":
        return batch.update_many(ctx, name, rows, prepared=prepared)
    if job.operation == "upsert":
        return batch.upsert_many(ctx, name, rows, key=job.key_field, prepared=prepared)
    return batch.delete_many(ctx, name, rows)


def _count(job: Job, results: Sequence[RowResult], failures: list[JobError]) -> None:
    job.processed += len(results)
    job.failed += len(failures)
    job.succeeded += len(results) - len(failures)
    actions = dict(job.actions)
    for result in results:
        if result.ok:
            actions[result.action] = actions.get(result.action, 0) + 1
    job.actions = actions


def _failure(job: Job, row: int, result: RowResult, cells=None) -> JobError:
    return JobError(
        job=job,
        row=row,
        record_id=result.record_id,
        code=result.error.code,
        problems=[{"field": e.field, "message": e.message} for e in result.errors],
        cells=cells,
    )


def _chunk(job: Job) -> tuple[JobChunk, list]:
    chunk = JobChunk.objects.get(job=job, index=job.next_chunk)
    return chunk, orjson.loads(bytes(chunk.payload))


def _finish_chunk(job: Job, results: Sequence[RowResult], failures) -> bool:
    JobError.objects.bulk_create(failures)
    _count(job, results, failures)
    job.next_chunk += 1
    return job.next_chunk < job.chunk_count


def bulk_step(ctx: Context, job: Job) -> bool:
    chunk, rows = _chunk(job)
    results = apply(ctx, job, rows)
    failures = [
        _failure(job, chunk.first_row + result.index, result)
        for result in results
        if not result.ok
    ]
    return _finish_chunk(job, results, failures)


def import_step(ctx: Context, job: Job) -> bool:
    """An import's chunk holds ``[line, cells]`` pairs; a refused row keeps
    its line and cells for the error report."""
    _, rows = _chunk(job)
    mapping = job.options["mapping"]
    results = apply(ctx, job, [csv_io.row_data(mapping, cells) for _, cells in rows])
    failures = [
        _failure(job, rows[result.index][0], result, rows[result.index][1])
        for result in results
        if not result.ok
    ]
    return _finish_chunk(job, results, failures)


def export_query(ctx: Context, object_name: str, body: Any, *, cursor: str | None):
    """The export's query at ``cursor``; ValidationFailed when it is wrong."""
    body = {k: v for k, v in dict(body or {}).items() if k not in _PAGING}
    body.update(limit=EXPORT_PAGE, cursor=cursor)
    return query.Query.from_json(ctx, object_name, body, max_limit=parse.HARD_LIMIT)


def export_step(ctx: Context, job: Job) -> bool:
    q = export_query(ctx, job.object_name, job.options.get("query"), cursor=job.cursor)
    if job.next_chunk == 0:
        job.total = min(query.count(ctx, q), settings.EXPORT_MAX_ROWS)
    page = query.page(ctx, q)
    room = settings.EXPORT_MAX_ROWS - job.processed
    rows = page.rows[:room]
    names = ["id", *(n for n in page.fields if n != "id")]
    table = [[row.get(name) for name in names] for row in rows]
    if job.next_chunk == 0:
        table.insert(0, names)  # field names, which an import matches back
    JobChunk.objects.create(
        job=job,
        index=job.next_chunk,
        first_row=job.processed,
        rows=len(rows),
        payload=csv_io.lines(table).encode(),
    )
    job.processed += len(rows)
    job.succeeded += len(rows)
    job.next_chunk += 1
    job.chunk_count = job.next_chunk
    more = page.has_more and len(rows) == len(page.rows) and room > len(rows)
    job.cursor = page.next_cursor if more else ""
    if not more:
        job.total = job.processed
    return more


STEPS: dict[str, Callable[[Context, Job], bool]] = {
    Job.Kind.BULK: bulk_step,
    Job.Kind.IMPORT: import_step,
    Job.Kind.EXPORT: export_step,
}
