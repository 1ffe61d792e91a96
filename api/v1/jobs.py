"""Jobs in v1: ``GET /api/v1/jobs`` (the caller's, or every one to an admin),
``GET /api/v1/jobs/{id}`` (status, counts and a page of refused rows),
``GET /api/v1/jobs/{id}/errors.csv`` (an import's error report) and
``GET /api/v1/jobs/{id}/download`` (an export's CSV). Ids are ``job_…``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from accounts import errors
from api.common.views import ApiView
from api.v1 import schema
from crm import csv_io, jobs
from crm.metadata import registry
from crm.models import Job
from crm.query import shape

PREFIX = "job"
ERRORS_PAGE = 100
#: Jobs one list answer may hold.
MAX_LIST = 200
JOB_OUT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string", "enum": ["bulk", "import", "export"]},
        "status": {
            "type": "string",
            "enum": ["queued", "running", "completed", "failed"],
        },
        "processed": {"type": "integer"},
        "succeeded": {"type": "integer"},
        "failed": {"type": "integer"},
        "errors": {"type": "array", "items": {"type": "object"}},
        "errors_next": {"type": "string", "nullable": True},
    },
}
_JOB_ID = OpenApiParameter("job_id", str, OpenApiParameter.PATH)


def public_id(job: Job) -> str:
    return f"{PREFIX}_{job.pk.hex}"


def parse_id(raw: str) -> UUID:
    prefix, sep, tail = raw.strip().rpartition("_")
    if not sep or prefix == PREFIX:
        try:
            return UUID(tail)
        except ValueError:
            pass
    raise errors.NotFound("There is no job with that id.")


def _when(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _url(name: str, job: Job) -> str:
    return reverse(f"api:v1:{name}", args=[public_id(job)])


def represent(job: Job, *, after: int = -1, limit: int = ERRORS_PAGE) -> dict:
    """A job as v1 JSON, with a page of its refused rows after row ``after``."""
    failures = jobs.error_page(job, after=after, limit=limit + 1)
    more = len(failures) > limit
    failures = failures[:limit]
    object_type = registry.for_workspace(job.workspace).find(job.object_name)
    prefix = object_type.prefix if object_type is not None else job.object_name
    body: dict[str, Any] = {
        "id": public_id(job),
        "job_id": public_id(job),
        "kind": job.kind,
        "object": job.object_name,
        "operation": job.operation or None,
        "id_field": job.key_field or None,
        "status": job.status,
        "total": job.total,
        "processed": job.processed,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "actions": job.actions,
        "percent": job.percent,
        "error": job.error or None,
        "created_at": _when(job.created_at),
        "started_at": _when(job.started_at),
        "finished_at": _when(job.finished_at),
        "status_url": _url("job", job),
        "errors": [
            {
                "row": f.row,
                "record_id": f"{prefix}_{f.record_id.hex}" if f.record_id else None,
                "code": f.code,
                "errors": f.problems,
            }
            for f in failures
        ],
        "errors_next": (
            f"{_url('job', job)}?errors_after={failures[-1].row}" if more else None
        ),
    }
    if job.kind == Job.Kind.IMPORT:
        body["error_report_url"] = _url("job-error-report", job)
    if job.kind == Job.Kind.EXPORT:
        body["download_url"] = _url("job-download", job)
    return body


def accepted(job: Job) -> Response:
    """202 for a job just submitted (or found again by its idempotency key)."""
    body = represent(job)
    return Response(body, status=202, headers={"Location": body["status_url"]})


def _number(raw: str | None, name: str, default: int) -> int:
    if raw in (None, ""):
        return default
    digits = raw.strip().removeprefix("-")
    # ASCII only: str.isdigit() also takes '²', which int() refuses.
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 9:
        raise errors.ValidationFailed(
            f"'{name}' is a whole number of at most 9 digits.", field=name
        )
    return int(raw)


class JobList(ApiView):
    """The caller's latest jobs (an admin's: everyone's in the workspace)."""

    @extend_schema(
        operation_id="job_list",
        parameters=[
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIST},
                description=f"Newest jobs to list, 1 to {MAX_LIST} (default 50).",
            )
        ],
        responses={200: {"type": "object"}, **schema.ERRORS},
    )
    def get(self, request) -> Response:
        limit = shape.limit(request.GET.get("limit"), 50, MAX_LIST)
        found = jobs.job_list(self.ctx, limit=limit)
        return Response({"results": [represent(job, limit=0) for job in found]})


class JobDetail(ApiView):
    """A job's status and counts, and its refused rows a page at a time
    (``?errors_after=<row>``)."""

    @extend_schema(
        operation_id="job_get",
        parameters=[
            _JOB_ID,
            OpenApiParameter("errors_after", int, description="Row to page after."),
            OpenApiParameter("errors_limit", int, description="At most 1000."),
        ],
        responses={200: JOB_OUT, **schema.ERRORS},
    )
    def get(self, request, job_id: str) -> Response:
        job = jobs.get(self.ctx, parse_id(job_id))
        after = _number(request.GET.get("errors_after"), "errors_after", -1)
        limit = _number(request.GET.get("errors_limit"), "errors_limit", ERRORS_PAGE)
        return Response(represent(job, after=after, limit=max(0, min(limit, 1000))))


def _csv(chunks, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class JobErrorReport(ApiView):
    """An import's refused rows as CSV: line, cells as read, and the error."""

    @extend_schema(
        operation_id="job_error_report",
        parameters=[_JOB_ID],
        responses={(200, "text/csv"): OpenApiTypes.STR, **schema.ERRORS},
    )
    def get(self, request, job_id: str):
        job = jobs.get(self.ctx, parse_id(job_id))
        if job.kind != Job.Kind.IMPORT:
            raise errors.NotFound("Only an import has an error report.")
        header = job.options.get("header", [])
        failures = job.errors.order_by("row").iterator()
        return _csv(csv_io.error_report(header, failures), f"{job.pk}-errors.csv")


class JobDownload(ApiView):
    """A finished export's CSV."""

    @extend_schema(
        operation_id="job_download",
        parameters=[_JOB_ID],
        responses={(200, "text/csv"): OpenApiTypes.STR, **schema.ERRORS},
    )
    def get(self, request, job_id: str):
        job = jobs.get(self.ctx, parse_id(job_id))
        if job.kind != Job.Kind.EXPORT:
            raise errors.NotFound("Only an export has a file to download.")
        if job.status != Job.Status.COMPLETED:
            raise errors.ReferenceConflict("The export has not finished yet.")
        return _csv(jobs.chunks(job), f"{job.object_name}-{job.pk}.csv")
