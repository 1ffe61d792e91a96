"""Ops view of webhooks: subscriptions, the delivery log and the dispatcher's
bookkeeping. Read-only: subscriptions change through the API (which checks
URLs with the SSRF guard); ops may disable one or replay deliveries. Secrets
are never shown."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from webhooks import deliveries, health, queue
from webhooks.models import Delivery, DispatchCursor, PublishedEvent, Subscription


class ReadOnlyAdmin(admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "object_name",
        "url",
        "is_active",
        "failing_since",
        "workspace",
        "created_at",
    )
    list_filter = ("is_active", "object_name", "workspace")
    list_select_related = ("workspace",)
    search_fields = ("name", "url", "=id")
    fields = (
        "id",
        "workspace",
        "name",
        "object_name",
        "events",
        "filter",
        "url",
        "signature_header",
        "is_active",
        "disabled_reason",
        "disabled_at",
        "failing_since",
        "last_success_at",
        "secret_rotated_at",
        "previous_secret_expires_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    actions = ("disable",)

    @admin.action(description="Disable the selected webhooks")
    def disable(self, request, queryset) -> None:
        reason = f"Disabled by {request.user.email} in the admin."
        done = sum(health.disable(s, reason) for s in queryset.select_related())
        self.message_user(request, f"{done} webhook(s) disabled.", messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "event_type",
        "subscription",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("subscription",)
    search_fields = ("=id", "=message_id")
    raw_id_fields = ("subscription",)
    fields = (
        "id",
        "subscription",
        "event_id",
        "event_type",
        "message_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "lease_until",
        "response_status",
        "duration_ms",
        "response_excerpt",
        "error",
        "completed_at",
        "created_at",
        "body",
    )
    readonly_fields = ("event_id",)
    actions = ("replay",)

    @admin.action(description="Send the selected deliveries again")
    def replay(self, request, queryset) -> None:
        count = deliveries.reset(queryset, timezone.now())
        queue.send(queue.SEND_DUE)
        self.message_user(request, f"{count} delivery(ies) queued.", messages.SUCCESS)


@admin.register(DispatchCursor)
class DispatchCursorAdmin(ReadOnlyAdmin):
    list_display = ("id", "last_event_id", "updated_at")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PublishedEvent)
class PublishedEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "event_id", "workspace", "published_at")
    list_select_related = ("workspace",)
    list_filter = ("workspace",)
    search_fields = ("=event__id",)
    fields = ("seq", "event_id", "workspace", "published_at")
    readonly_fields = ("event_id",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
