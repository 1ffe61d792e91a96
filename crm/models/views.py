"""Saved list views: a named set of filters, columns and sort of one object.

A view belongs to its owner; a shared one is offered to everyone in the
workspace (only its owner or an admin may change it). Its filters are an
ObjectQL filter list, checked by ``crm.query`` each time it is used, so a view
naming a field deleted since reads as an error, not as a crash.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from uuid_utils.compat import uuid7


class SavedView(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    object_name = models.CharField(max_length=60)
    name = models.CharField(max_length=80)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    is_shared = models.BooleanField(
        default=False, help_text="Offered to everyone in the workspace."
    )
    filters = models.JSONField(default=list, blank=True)
    columns = models.JSONField(default=list, blank=True)
    sort = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["workspace", "object_name"], name="savedview_object")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "object_name", "owner", "name"],
                name="savedview_unique_name",
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_name}: {self.name}"
