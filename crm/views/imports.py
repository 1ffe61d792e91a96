"""The import wizard of any object: upload a CSV → map its columns → run it,
with a progress bar that polls the job over HTMX and the error report at the
end. The file is read once and kept as a draft job (``crm.jobs``); the job
writes through ``crm.records`` like every other write."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts import access, errors
from accounts.access import Action
from crm import csv_io, jobs
from crm.metadata import registry
from crm.metadata.types import ObjectType
from crm.models import Job

OPERATIONS = (
    ("create", "Create a record from each row"),
    ("update", "Update the record each row names by its id"),
    ("upsert", "Update the record a row matches, or create one"),
)
#: Refused rows shown on the page; the report holds them all.
SHOWN_ERRORS = 50


def _keys(object_type: ObjectType) -> list:
    """Fields an upsert may match by: the id and the unique fields."""
    return [object_type.fields["id"]] + [
        spec for spec in object_type.fields.values() if spec.unique
    ]


def _job(request: HttpRequest, object_name: str, job_id: UUID):
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    job = jobs.get(ctx, job_id)
    if job.kind != Job.Kind.IMPORT or job.object_name != object_type.api_name:
        raise errors.NotFound("There is no such import.")
    return ctx, object_type, job


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, object_name: str) -> HttpResponse:
    """Step 1: the file, what to do with its rows, and an upsert's key."""
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    access.require(ctx, object_type, Action.CREATE)
    error = None
    operation = request.POST.get("operation", "create")
    key_field = request.POST.get("key_field", "")
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise errors.ValidationFailed("Choose a CSV file.", field="file")
            table = csv_io.read(csv_io.take(upload))
            job = jobs.submit_import(
                ctx,
                object_type.api_name,
                table,
                None,
                operation=operation,
                key_field=key_field if operation == "upsert" else "",
                filename=upload.name[:200],
            )
        except errors.ValidationFailed as exc:
            error = exc.message
        else:
            return redirect("crm:import_map", object_type.api_name, job.pk)
    return render(
        request,
        "crm/import_upload.html",
        {
            "object_type": object_type,
            "object_name": object_type.api_name,
            "operations": OPERATIONS,
            "operation": operation,
            "keys": _keys(object_type),
            "key_field": key_field,
            "error": error,
            "step": 1,
        },
        status=422 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def import_map(request: HttpRequest, object_name: str, job_id: UUID) -> HttpResponse:
    """Step 2: each column's field, matched by name or label to start with."""
    ctx, object_type, job = _job(request, object_name, job_id)
    if job.status != Job.Status.DRAFT:
        return redirect("crm:import_progress", object_type.api_name, job.pk)
    header = job.options["header"]
    mapping = csv_io.auto_map(object_type, header, job.operation)
    error = None
    if request.method == "POST":
        mapping = [request.POST.get(f"col{i}", "") for i in range(len(header))]
        try:
            jobs.start_import(ctx, job, mapping)
        except errors.ValidationFailed as exc:
            error = " ".join(d.message for d in exc.details) or exc.message
        else:
            return redirect("crm:import_progress", object_type.api_name, job.pk)
    samples = job.options.get("sample", [])
    columns = [
        {
            "index": i,
            "title": title,
            "field": mapping[i],
            "samples": [row[i] for row in samples if i < len(row) and row[i]][:3],
        }
        for i, title in enumerate(header)
    ]
    return render(
        request,
        "crm/import_map.html",
        {
            "object_type": object_type,
            "object_name": object_type.api_name,
            "job": job,
            "columns": columns,
            "fields": csv_io.importable(object_type, job.operation),
            "error": error,
            "step": 2,
        },
        status=422 if error else 200,
    )


@require_GET
def import_progress(
    request: HttpRequest, object_name: str, job_id: UUID
) -> HttpResponse:
    """Step 3: the progress bar (its partial is what HTMX polls), then the
    counts and the refused rows."""
    _, object_type, job = _job(request, object_name, job_id)
    if job.status == Job.Status.DRAFT:
        return redirect("crm:import_map", object_type.api_name, job.pk)
    failures = jobs.error_page(job, limit=SHOWN_ERRORS) if job.is_finished else []
    template = "crm/import_progress.html"
    if request.htmx and not request.htmx.boosted:
        template += "#progress"
    return render(
        request,
        template,
        {
            "object_type": object_type,
            "object_name": object_type.api_name,
            "job": job,
            "failures": failures,
            "header": job.options.get("header", []),
            "step": 3,
        },
    )


@require_GET
def import_errors(
    request: HttpRequest, object_name: str, job_id: UUID
) -> StreamingHttpResponse:
    """The refused rows as CSV: line, the cells as read, and what was wrong."""
    _, object_type, job = _job(request, object_name, job_id)
    report = csv_io.error_report(
        job.options.get("header", []), job.errors.order_by("row").iterator()
    )
    response = StreamingHttpResponse(report, content_type="text/csv; charset=utf-8")
    name = f"{object_type.plural}-import-errors.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
