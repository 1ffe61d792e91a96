"""Webhook subscriptions, their deliveries, and the dispatcher's bookkeeping.

A ``Subscription`` belongs to a workspace and names an object, event kinds, an
ObjectQL filter and a URL. The dispatcher turns each committed ``OutboxEvent``
into at most one ``Delivery`` per matching subscription (a unique constraint
holds it to that) and marks the event ``PublishedEvent``; the marks are also the
ordered log the event stream reads. Retries live in ``Delivery`` rows
(``next_attempt_at``), never in broker countdowns.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from uuid_utils.compat import uuid7

from crm.models import OutboxEvent

Kind = OutboxEvent.Kind


class Subscription(models.Model):
    """A URL that receives the workspace's changes to one object, signed."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=200)
    object_name = models.CharField(
        max_length=60, help_text="The object's api name (contract, project, …)."
    )
    events = models.JSONField(
        default=list, help_text="Event kinds: created, updated, deleted, …"
    )
    filter = models.JSONField(
        default=list,
        blank=True,
        help_text="ObjectQL conditions the record must meet after the change.",
    )
    url = models.URLField(max_length=2000)
    #: Signs every delivery; shown once, when created or rotated.
    secret = models.CharField(max_length=255)
    #: The secret before the last rotation: it signs too until it expires.
    previous_secret = models.CharField(max_length=255, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    signature_header = models.CharField(max_length=64, default="X-Signature")
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    #: When the current run of failed attempts began (None: healthy).
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["workspace", "object_name"],
                condition=Q(is_active=True),
                name="subscription_active",
            ),
            models.Index(
                fields=["failing_since"],
                condition=Q(is_active=True, failing_since__isnull=False),
                name="subscription_failing",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def signing_secrets(self, now=None) -> list[str]:
        """The secrets that sign a delivery now: the current one, and the
        previous one during its overlap period."""
        now = now or timezone.now()
        secrets = [self.secret]
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires and expires > now:
            secrets.append(self.previous_secret)
        return secrets


class Delivery(models.Model):
    """One event for one subscription: its body, its attempts, its outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,  # led by the (subscription, id) index below
    )
    # No database constraint: deliveries (and their bodies) outlive a purge of
    # old outbox events.
    event = models.ForeignKey(
        OutboxEvent,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    event_type = models.CharField(max_length=80, help_text="contract.updated, …")
    #: ``webhook-id``: the same on every attempt, for de-duplication.
    message_id = models.CharField(max_length=40)
    #: The exact bytes sent (UTF-8 JSON), so every attempt signs the same body.
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="delivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["subscription", "id"], name="delivery_log"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_due",
            ),
            models.Index(
                fields=["lease_until"],
                condition=Q(status="sending"),
                name="delivery_leased",
            ),
            models.Index(
                fields=["subscription", "completed_at"],
                condition=Q(status="failed"),
                name="delivery_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.status})"


class DispatchCursor(models.Model):
    """The dispatcher's watermark (one row): every outbox event up to
    ``last_event_id`` has been dispatched. Events above it are told apart by
    their ``PublishedEvent`` mark. Locking this row serialises dispatchers."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"dispatched through event {self.last_event_id}"


class PublishedEvent(models.Model):
    """An outbox event the dispatcher has handled, in the order it handled
    them. ``seq`` only grows in commit order (dispatchers hold the cursor's
    lock), so a reader paging on it never skips an event."""

    seq = models.BigAutoField(primary_key=True)
    event = models.OneToOneField(
        OutboxEvent, on_delete=models.CASCADE, related_name="+"
    )
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "seq"], name="published_workspace_seq"),
            models.Index(fields=["published_at"], name="published_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq}: event {self.event_id}"
