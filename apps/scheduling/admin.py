"""Scheduling in the Django admin: appointments with lifecycle actions through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.audit import public as audit
from apps.core.errors import ApplicationError
from apps.core.history_admin import ReadOnlyHistoryAdmin
from apps.core.pagination import EstimatedCountPaginator
from apps.scheduling import services
from apps.scheduling.contracts import AppointmentStatus
from apps.scheduling.models import Appointment, BookingRequest, Slot, WaitlistEntry


def _each(request: HttpRequest, queryset: QuerySet, action, done: str) -> None:
    """Run a service per selected row, reporting successes and refusals."""
    succeeded, refused = 0, []
    for obj in queryset:
        try:
            action(obj)
            succeeded += 1
        except ApplicationError as error:
            refused.append(f"#{obj.pk}: {error.detail}")
    if succeeded:
        messages.success(request, f"{succeeded} appointment(s) {done}.")
    for message in refused:
        messages.error(request, message)


@admin.register(Appointment)
class AppointmentAdmin(audit.PatientAccessAdmin, ReadOnlyHistoryAdmin):
    audit_resource = "appointment"
    list_display = (
        "id", "start", "timezone", "patient", "practitioner", "location", "appointment_type",
        "status", "channel", "needs_allergy_review",
    )  # fmt: skip
    list_select_related = ("patient", "practitioner", "location", "appointment_type")
    # A date filter, not date_hierarchy: the hierarchy's links read the distinct dates of every
    # appointment (hundreds of thousands) on each page.
    list_filter = (
        ("start", admin.DateFieldListFilter),
        "status", "channel", "needs_allergy_review", "location", "appointment_type",
    )  # fmt: skip
    search_fields = ("=id", "=patient__mrn")
    # (start, id) is indexed (appt_start_id_idx): a page is an index walk, not a sort of all.
    ordering = ("-start", "-id")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ("check_in", "cancel")
    readonly_fields = [f.name for f in Appointment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # bookings go through the booking service (staff portal, API)

    def has_delete_permission(self, request: HttpRequest, obj: Appointment | None = None) -> bool:
        return False

    @admin.action(description="Check in the selected appointments", permissions=["change"])
    def check_in(self, request: HttpRequest, queryset: QuerySet[Appointment]) -> None:
        _each(
            request,
            queryset,
            lambda a: services.appointment_transition(
                appointment_id=a.id, to=AppointmentStatus.CHECKED_IN, by_id=request.user.id
            ),
            "checked in",
        )

    @admin.action(description="Cancel the selected appointments", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Appointment]) -> None:
        _each(
            request,
            queryset,
            lambda a: services.appointment_cancel(
                appointment_id=a.id, by_id=request.user.id, reason="cancelled by staff in admin"
            ),
            "cancelled",
        )


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ("id", "start", "end", "timezone", "practitioner_id", "location_id",
                    "capacity", "booked_count", "status")  # fmt: skip
    list_filter = ("status", "location_id")
    date_hierarchy = "start"
    ordering = ("-start",)
    show_full_result_count = False
    readonly_fields = [f.name for f in Slot._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # slots are materialised from availability

    def has_delete_permission(self, request: HttpRequest, obj: Slot | None = None) -> bool:
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(audit.PatientAccessAdmin, admin.ModelAdmin):
    audit_resource = "waitlist_entry"
    list_display = ("id", "patient", "practitioner", "specialty", "location", "appointment_type",
                    "date_from", "date_to", "status", "offer_expires_at")  # fmt: skip
    list_select_related = ("patient", "practitioner", "specialty", "location", "appointment_type")
    list_filter = ("status",)
    search_fields = ("=patient__mrn",)
    readonly_fields = [f.name for f in WaitlistEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: WaitlistEntry | None = None) -> bool:
        return False


@admin.register(BookingRequest)
class BookingRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "scope", "key", "appointment_id", "created_at")
    readonly_fields = [f.name for f in BookingRequest._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: BookingRequest | None = None
    ) -> bool:
        return False
