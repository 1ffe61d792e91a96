"""Record sharing: each object's org-wide default and the rules that open
records up beyond it. ``crm.query.visibility`` reads these; a manager always
sees (and edits) what the roles below theirs own."""

from django.db import models
from django.db.models import Q


class ObjectSharing(models.Model):
    """The org-wide default of one object in one workspace. Without a row an
    object is public read/write."""

    class Access(models.TextChoices):
        PRIVATE = "private", "Private"
        PUBLIC_READ = "public_read", "Public read only"
        PUBLIC_READ_WRITE = "public_read_write", "Public read/write"

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    object_name = models.CharField(max_length=60)
    access = models.CharField(
        max_length=20, choices=Access.choices, default=Access.PUBLIC_READ_WRITE
    )

    class Meta:
        ordering = ["object_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "object_name"], name="objectsharing_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_name}: {self.get_access_display()}"


class SharingRule(models.Model):
    """Records owned by a group's members (or a role and those below it) are
    shared with another group (or role and those below it) to read or edit."""

    class Level(models.TextChoices):
        READ = "read", "Read only"
        EDIT = "edit", "Read/write"

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    object_name = models.CharField(max_length=60)
    name = models.CharField(max_length=120)
    owned_by_group = models.ForeignKey(
        "accounts.PublicGroup",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    owned_by_role = models.ForeignKey(
        "accounts.Role",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    shared_with_group = models.ForeignKey(
        "accounts.PublicGroup",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    shared_with_role = models.ForeignKey(
        "accounts.Role",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    level = models.CharField(max_length=4, choices=Level.choices, default=Level.READ)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["object_name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "object_name", "name"], name="sharingrule_unique"
            ),
            models.CheckConstraint(
                condition=Q(owned_by_group__isnull=True)
                ^ Q(owned_by_role__isnull=True),
                name="sharingrule_one_owner_set",
            ),
            models.CheckConstraint(
                condition=Q(shared_with_group__isnull=True)
                ^ Q(shared_with_role__isnull=True),
                name="sharingrule_one_recipient_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.object_name}: {self.name}"
