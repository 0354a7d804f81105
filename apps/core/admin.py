"""Outbox in the admin: lag and dead letters at a glance, replay as an action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from apps.core import outbox
from apps.core.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "event_type",
        "aggregate_type",
        "aggregate_id",
        "status",
        "attempts",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type")
    search_fields = ("=event_id", "=aggregate_id", "event_type")
    readonly_fields = [field.name for field in OutboxEvent._meta.fields]
    ordering = ("-id",)
    actions = ("replay",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxEvent | None = None) -> bool:
        return False

    @admin.action(description="Replay the selected events", permissions=["view"])
    def replay(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> None:
        count = outbox.outbox_replay(ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"{count} event(s) queued again.", messages.SUCCESS)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> TemplateResponse:
        stats = outbox.outbox_stats()
        extra_context = {**(extra_context or {}), "outbox_stats": stats}
        return super().changelist_view(request, extra_context=extra_context)
