"""Activities: tasks, events, notes, calls and emails.

Each links to a person (contact or lead) and to what it is about (account,
opportunity, case); it goes to the recycle bin with any of them.
"""

from django.db import models
from django.utils import timezone

from crm.models.base import StandardRecord
from crm.models.choices import Direction


def _link(model: str) -> models.ForeignKey:
    return models.ForeignKey(
        model,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="%(class)ss",
    )


class Activity(StandardRecord):
    contact = _link("crm.Contact")
    lead = _link("crm.Lead")
    account = _link("crm.Account")
    opportunity = _link("crm.Opportunity")
    case = _link("crm.Case")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return getattr(self, "subject", "") or str(self.pk)


class Task(Activity):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        WAITING = "waiting", "Waiting on someone else"
        DEFERRED = "deferred", "Deferred"
        COMPLETED = "completed", "Completed"

    class Priority(models.TextChoices):
        HIGH = "high", "High"
        NORMAL = "normal", "Normal"
        LOW = "low", "Low"

    subject = models.CharField(max_length=255)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    due_date = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    description = models.TextField(blank=True)

    class CRM:
        api_name = "task"
        plural = "tasks"
        prefix = "tsk"
        hubspot_type_id = "0-27"
        name_field = "subject"

    class Meta:
        indexes = [
            # The home page's "my tasks due", in due-date order.
            models.Index(
                fields=["workspace", "owner", "due_date", "id"],
                name="task_open_owner",
                condition=models.Q(deleted_at__isnull=True)
                & ~models.Q(status="completed"),
            ),
        ]

    def derive(self) -> None:
        if self.status != self.Status.COMPLETED:
            self.completed_at = None
        elif self.completed_at is None:
            self.completed_at = timezone.now()


class Event(Activity):
    subject = models.CharField(max_length=255)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField(null=True, blank=True)
    is_all_day = models.BooleanField(default=False)
    location = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)

    class CRM:
        api_name = "event"
        plural = "events"
        prefix = "evt"
        hubspot_type_id = "0-4"
        name_field = "subject"


class Note(Activity):
    title = models.CharField(max_length=255, blank=True)
    body = models.TextField()

    class CRM:
        api_name = "note"
        plural = "notes"
        prefix = "note"
        hubspot_type_id = "0-46"
        name_field = "title"

    def __str__(self) -> str:
        return self.title or self.body[:60]


class Call(Activity):
    class Outcome(models.TextChoices):
        CONNECTED = "connected", "Connected"
        LEFT_VOICEMAIL = "left_voicemail", "Left voicemail"
        NO_ANSWER = "no_answer", "No answer"
        BUSY = "busy", "Busy"
        WRONG_NUMBER = "wrong_number", "Wrong number"

    subject = models.CharField(max_length=255)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    call_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    description = models.TextField("notes", blank=True)

    class CRM:
        api_name = "call"
        plural = "calls"
        prefix = "call"
        hubspot_type_id = "0-48"
        name_field = "subject"


class EmailMessage(Activity):
    subject = models.CharField(max_length=255)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    from_address = models.EmailField(max_length=255, blank=True)
    to_addresses = models.CharField(max_length=1000, blank=True)
    cc_addresses = models.CharField(max_length=1000, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    body = models.TextField(blank=True)

    class CRM:
        api_name = "email"
        plural = "emails"
        label = "Email"
        prefix = "eml"
        hubspot_type_id = "0-49"
        name_field = "subject"
