"""Rows the lifecycle writes around records: custom records, associations,
history, the outbox, recycle-bin batches and pipeline totals."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from uuid_utils.compat import uuid7

from crm.models.base import TenantRecord


class CustomRecord(TenantRecord):
    """A record of a custom object; its fields live in ``data``."""

    definition = models.ForeignKey(
        "crm.ObjectDefinition", on_delete=models.CASCADE, related_name="records"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["definition", "created_at"], name="customrecord_def_created"
            )
        ]

    def __str__(self) -> str:
        return str(self.data.get("name") or self.pk)


class Association(models.Model):
    """A labelled link between any two records (many-to-many, custom objects too)."""

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    from_object = models.CharField(max_length=60)
    from_id = models.UUIDField()
    to_object = models.CharField(max_length=60)
    to_id = models.UUIDField()
    label = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "workspace",
                    "from_object",
                    "from_id",
                    "to_object",
                    "to_id",
                    "label",
                ],
                name="association_unique",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "from_id"], name="association_from"),
            models.Index(fields=["workspace", "to_id"], name="association_to"),
        ]

    def __str__(self) -> str:
        return f"{self.from_object}:{self.from_id} → {self.to_object}:{self.to_id}"


class OutboxEvent(models.Model):
    """A change to a record, written in the same transaction as the change.

    The webhook dispatcher and the event stream read these; an event exists if
    and only if its change was committed.
    """

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        DELETED = "deleted", "Deleted"
        RESTORED = "restored", "Restored"
        STAGE_CHANGED = "stage_changed", "Stage changed"
        #: Removed for good from the recycle bin (``before`` is its last state).
        PURGED = "purged", "Purged"

    id = models.BigAutoField(primary_key=True)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    object_name = models.CharField(max_length=60)
    record_id = models.UUIDField()
    event = models.CharField(max_length=20, choices=Kind.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    changed = models.JSONField(default=list, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "id"], name="outbox_workspace_seq"),
            models.Index(fields=["record_id"], name="outbox_record"),
        ]

    def __str__(self) -> str:
        return f"{self.object_name}.{self.event} {self.record_id}"


class FieldChange(models.Model):
    """One field of one record changing: the record's history."""

    id = models.BigAutoField(primary_key=True)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    object_name = models.CharField(max_length=60)
    record_id = models.UUIDField()
    field = models.CharField(max_length=60)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["record_id", "changed_at"], name="fieldchange_record"),
        ]

    def __str__(self) -> str:
        return f"{self.object_name}.{self.field} on {self.record_id}"


class Deletion(models.Model):
    """One trip to the recycle bin: a record and everything that went with it."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    object_name = models.CharField(max_length=60)
    record_id = models.UUIDField()
    record_label = models.CharField(max_length=255)
    counts = models.JSONField(
        default=dict, help_text="Records in this batch, per object."
    )
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deleted_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-deleted_at"]
        indexes = [
            models.Index(fields=["workspace", "deleted_at"], name="deletion_workspace")
        ]

    def __str__(self) -> str:
        return f"{self.object_name} {self.record_label}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class StageTotal(models.Model):
    """The live records of a pipeline object in one (pipeline, stage, owner):
    how many, and the sum of the object's amount field in cents (exact on
    every database). ``crm.records.totals`` moves these with each event the
    lifecycle writes, in the same transaction; ``crm.query.totals`` answers a
    pipeline board's totals from them, so the board costs the same at a
    thousand records as at a million."""

    id = models.BigAutoField(primary_key=True)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    object_name = models.CharField(max_length=60)
    pipeline = models.CharField(max_length=60, blank=True)
    stage = models.CharField(max_length=60, blank=True)
    #: The owner's id as 32 hex digits; "" for records without an owner.
    owner_key = models.CharField(max_length=32, blank=True)
    count = models.BigIntegerField(default=0)
    #: Records whose amount is set: a sum over none of them is null, not 0.
    amount_count = models.BigIntegerField(default=0)
    amount_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "object_name", "pipeline", "stage", "owner_key"],
                name="stagetotal_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_name} {self.pipeline}/{self.stage}: {self.count}"


class Counter(models.Model):
    """The last number given to a field a model numbers itself
    (``auto_numbers`` in its ``CRM`` class), per workspace.
    ``crm.records.numbering`` moves it in the transaction of the records it
    numbers: a block per batch, with one upsert that locks the row until the
    transaction ends, so concurrent creates never share a number and a
    rolled-back create gives its numbers back."""

    id = models.BigAutoField(primary_key=True)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    object_name = models.CharField(max_length=60)
    field = models.CharField(max_length=60)
    last_value = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "object_name", "field"], name="counter_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_name}.{self.field}: {self.last_value}"
