"""Customer service: cases."""

from django.db import models

from crm.models.base import StandardRecord


class Case(StandardRecord):
    class Priority(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Origin(models.TextChoices):
        PHONE = "phone", "Phone"
        EMAIL = "email", "Email"
        WEB = "web", "Web"
        CHAT = "chat", "Chat"

    class Type(models.TextChoices):
        QUESTION = "question", "Question"
        PROBLEM = "problem", "Problem"
        INCIDENT = "incident", "Incident"
        FEATURE_REQUEST = "feature_request", "Feature request"

    #: Given by the lifecycle when the case is created (``auto_numbers``
    #: below): eight digits, zero-padded, "00001000" for a workspace's first
    #: case, then one up per case in creation order. Unique in the workspace
    #: (the recycle bin included), never reused, never changed.
    case_number = models.CharField(max_length=20, editable=False)
    subject = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    account = models.ForeignKey(
        "crm.Account",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cases",
    )
    contact = models.ForeignKey(
        "crm.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    pipeline = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=60)
    priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, blank=True)
    type = models.CharField(max_length=20, choices=Type.choices, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    is_escalated = models.BooleanField(default=False)
    is_closed = models.BooleanField(default=False, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class CRM:
        api_name = "case"
        plural = "cases"
        prefix = "cas"
        hubspot_type_id = "0-5"
        name_field = "subject"
        pipeline_field = "status"
        field_types = {"pipeline": "picklist", "status": "picklist"}
        unique = ("case_number",)
        #: field → (format, first number): numbered per workspace on create
        #: (``crm.records.numbering``), "00001000", "00001001", …
        auto_numbers = {"case_number": ("{:08d}", 1000)}

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "case_number"], name="case_number_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "-created_at", "-id"],
                name="case_list",
                condition=models.Q(deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.subject
