"""The admin of what the lifecycle records around records: field history,
outbox events and pipeline totals (read here, never written; totals can be
recounted), links between records (made and removed through
``crm.records``), and the recycle bin (restore a batch, or purge it for good).
"""

from __future__ import annotations

from django.contrib import admin

from accounts import access
from accounts.models import Workspace
from crm import records
from crm.admin import base
from crm.models import Deletion
from crm.records import totals


class LogAdmin(base.BigTable, admin.ModelAdmin):
    """A log the lifecycle writes: read here, never written or deleted."""

    ordering = ("-id",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class FieldChangeAdmin(LogAdmin):
    list_display = (
        "object_name",
        "record_id",
        "field",
        "old_value",
        "new_value",
        "changed_by",
        "changed_at",
        "workspace",
    )
    list_filter = (base.object_name_filter("object_name"), "workspace")
    list_select_related = ("changed_by", "workspace")
    search_fields = ("=record_id", "=field")


class OutboxEventAdmin(LogAdmin):
    list_display = (
        "id",
        "event",
        "object_name",
        "record_id",
        "user",
        "occurred_at",
        "workspace",
    )
    list_filter = ("event", base.object_name_filter("object_name"), "workspace")
    list_select_related = ("user", "workspace")
    search_fields = ("=record_id",)


class StageTotalAdmin(LogAdmin):
    list_display = (
        "object_name",
        "pipeline",
        "stage",
        "owner_key",
        "count",
        "amount_count",
        "amount_cents",
        "workspace",
    )
    list_filter = (base.object_name_filter("object_name"), "workspace")
    list_select_related = ("workspace",)
    search_fields = ("=stage", "=owner_key")
    actions = ("recount",)

    @admin.action(description="Recount the totals of these workspaces")
    def recount(self, request, queryset) -> None:
        workspaces = Workspace.objects.filter(pk__in=queryset.values("workspace_id"))
        for workspace in workspaces:
            totals.rebuild(workspace)
        self.message_user(request, f"Recounted {len(workspaces)} workspace(s).")


class CounterAdmin(LogAdmin):
    """Auto-number counters (case numbers): moved by the lifecycle only."""

    list_display = ("object_name", "field", "last_value", "workspace")
    list_filter = ("workspace",)
    list_select_related = ("workspace",)


class AssociationAdmin(base.BigTable, base.LifecycleAdmin):
    """Links between records, made and removed through crm.records. A link is
    replaced, never edited."""

    form = base.TenantForm
    list_display = (
        "from_object",
        "from_id",
        "label",
        "to_object",
        "to_id",
        "workspace",
        "created_at",
    )
    list_filter = ("workspace", base.object_name_filter("from_object"))
    list_select_related = ("workspace",)
    search_fields = ("=from_id", "=to_id", "label")
    fields = (
        "workspace",
        "from_object",
        "from_id",
        "to_object",
        "to_id",
        "label",
        "created_by",
        "created_at",
    )
    readonly_fields = ("created_by", "created_at")
    autocomplete_fields = ("workspace",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        ctx = access.system_context(obj.workspace, request.user)
        link = base.attempt(
            "New link", records.associate, ctx, *self._ends(obj), label=obj.label
        )
        base.adopt(link, obj)

    def delete_model(self, request, obj) -> None:
        ctx = access.system_context(obj.workspace, request.user)
        base.attempt(obj, records.dissociate, ctx, *self._ends(obj), label=obj.label)

    @staticmethod
    def _ends(link) -> tuple:
        return link.from_object, link.from_id, link.to_object, link.to_id


class DeletionAdmin(base.BigTable, base.LifecycleAdmin):
    """The recycle bin: restore a batch, or delete it here to purge it for good."""

    list_display = (
        "record_label",
        "object_name",
        "contents",
        "workspace",
        "deleted_by",
        "deleted_at",
    )
    list_filter = (base.object_name_filter("object_name"), "workspace")
    list_select_related = ("workspace", "deleted_by")
    search_fields = ("record_label", "=record_id")
    actions = ("restore_selected", "delete_selected")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="records")
    def contents(self, deletion: Deletion) -> str:
        return ", ".join(f"{n} {name}" for name, n in deletion.counts.items())

    def delete_model(self, request, obj) -> None:
        ctx = access.system_context(obj.workspace, request.user)
        base.attempt(obj, records.purge, ctx, obj.pk)

    def get_deleted_objects(self, objs, request):
        """What a purge removes for good: each batch and its records."""
        limit = base.CONFIRMATION_LIMIT
        batches = list(objs[:limit])
        items = [f"{d.object_name} “{d}”: {self.contents(d)}" for d in batches]
        if len(objs) > limit:
            items.append(f"… and {len(objs) - limit} more batches")
        counts = {"records": sum(d.total for d in batches)}
        return items, counts, set(), []

    @admin.action(permissions=["delete"], description="Purge selected batches for good")
    def delete_selected(self, request, queryset):
        return super().delete_selected(request, queryset)

    @admin.action(permissions=["delete"], description="Restore selected batches")
    def restore_selected(self, request, queryset) -> None:
        base.restore(self, request, list(queryset.select_related("workspace")))
