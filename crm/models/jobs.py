"""Background jobs over many records: bulk writes, CSV imports and exports.

A job keeps its input in the database, cut into chunks, and a checkpoint (the
next chunk, or the export's cursor). A worker applies one chunk and moves the
checkpoint and the counters in the same transaction, so a job whose worker
dies resumes where it stopped and applies no row twice. ``crm.jobs`` is the
service; these are its rows.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from uuid_utils.compat import uuid7


class Job(models.Model):
    class Kind(models.TextChoices):
        BULK = "bulk", "Bulk write"
        IMPORT = "import", "CSV import"
        EXPORT = "export", "CSV export"

    class Status(models.TextChoices):
        #: An import waiting for its column mapping (the browser's wizard).
        DRAFT = "draft", "Waiting for its mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_name = models.CharField(max_length=60)
    #: create, update, upsert or delete (imports and bulk writes).
    operation = models.CharField(max_length=10, blank=True)
    #: The field an upsert matches records by (``id`` or a unique field).
    key_field = models.CharField(max_length=60, blank=True)
    #: Kind-specific: an import's header and column mapping, an export's query.
    options = models.JSONField(default=dict, blank=True)
    #: The rights of the request that made the job; it runs with no more.
    rights = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    #: Rows to apply (an export's rows written so far).
    total = models.PositiveIntegerField(default=0)
    chunk_count = models.PositiveIntegerField(default=0)
    #: The checkpoint: the chunk to apply next.
    next_chunk = models.PositiveIntegerField(default=0)
    #: An export's checkpoint: the cursor of its next page.
    cursor = models.TextField(blank=True)
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    #: Applied rows per action (created, updated, unchanged, deleted).
    actions = models.JSONField(default=dict, blank=True)
    #: Why the job as a whole failed.
    error = models.TextField(blank=True)
    #: The claim of the worker running it, renewed with every chunk.
    lease_token = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="job_workspace"),
            models.Index(fields=["status", "lease_until"], name="job_status_lease"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "created_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="job_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.object_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.COMPLETED:
            return 100
        if not self.total:
            return 0
        return min(100, self.processed * 100 // self.total)


class JobChunk(models.Model):
    """A slice of a job: input rows (orjson), or a page of an export's CSV."""

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_row = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    payload = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="jobchunk_unique")
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of {self.job_id}"


class JobError(models.Model):
    """One refused row of a job and why."""

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="errors")
    #: The row's position in the request (0-based), or an import's line.
    row = models.PositiveIntegerField()
    record_id = models.UUIDField(null=True, blank=True)
    code = models.CharField(max_length=40)
    #: [{"field", "message"}, …]
    problems = models.JSONField(default=list)
    #: An import's cells as read, for the error report.
    cells = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["job", "row"], name="joberror_row")]

    def __str__(self) -> str:
        return f"row {self.row} of {self.job_id}: {self.code}"
