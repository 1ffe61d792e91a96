"""The admin of background jobs: read-only, as the service writes them. Ops
see each job's progress, lease and failure, its chunks (sizes, not contents)
and its refused rows."""

from __future__ import annotations

from django.contrib import admin

from crm.admin.logs import LogAdmin
from crm.models import JobChunk


class JobAdmin(LogAdmin):
    ordering = ("-created_at",)
    list_display = (
        "id",
        "kind",
        "object_name",
        "operation",
        "status",
        "processed",
        "total",
        "failed",
        "created_by",
        "created_at",
        "workspace",
    )
    list_filter = ("status", "kind", "workspace")
    list_select_related = ("created_by", "workspace")
    search_fields = ("=id", "object_name")
    exclude = ("rights",)


class JobChunkAdmin(LogAdmin):
    list_display = ("job", "index", "first_row", "rows", "size")
    list_select_related = ("job",)
    search_fields = ("=job__id",)
    exclude = ("payload",)
    readonly_fields = ("size",)

    @admin.display(description="bytes")
    def size(self, chunk: JobChunk) -> int:
        return len(chunk.payload or b"")


class JobErrorAdmin(LogAdmin):
    list_display = ("job", "row", "code", "record_id")
    list_select_related = ("job",)
    list_filter = ("code",)
    search_fields = ("=job__id", "=record_id")
