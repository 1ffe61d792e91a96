"""Ops view of the API's own rows (read-only: the API writes them)."""

from django.contrib import admin

from api.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ("key", "principal", "workspace", "status_code", "created_at")
    list_filter = ("status_code",)
    search_fields = ("key", "principal")
    list_select_related = ("workspace",)
    exclude = ("content",)
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
