"""Allergy entries and the allergen catalogue in the admin: read, search, verify via services."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.allergies import services
from apps.allergies.models import AllergyIntolerance, AllergyReaction, Substance
from apps.allergies.selectors import substance_display
from apps.audit import public as audit
from apps.core.errors import ApplicationError
from apps.core.history_admin import ReadOnlyHistoryAdmin


class AllergyReactionInline(admin.TabularInline):
    model = AllergyReaction
    extra = 0
    can_delete = False
    fields = ("manifestations", "severity", "exposure_route", "description", "onset_date")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: AllergyIntolerance | None) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: AllergyIntolerance | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: AllergyIntolerance | None = None
    ) -> bool:
        return False


@admin.register(AllergyIntolerance)
class AllergyIntoleranceAdmin(audit.PatientAccessAdmin, ReadOnlyHistoryAdmin):
    audit_resource = "allergy"
    list_display = (
        "id",
        "patient__mrn",
        "substance_name",
        "kind",
        "criticality",
        "clinical_status",
        "verification_status",
        "asserted_by",
        "recorded_at",
    )
    list_select_related = ("patient", "substance")
    search_fields = ("=patient__mrn", "substance__display", "substance_text")
    list_filter = (
        "clinical_status",
        "verification_status",
        "criticality",
        "category",
        "asserted_by",
        "kind",
    )
    ordering = ("-recorded_at", "-id")
    inlines = (AllergyReactionInline,)
    readonly_fields = (
        "patient",
        "kind",
        "substance",
        "substance_text",
        "type",
        "category",
        "criticality",
        "clinical_status",
        "verification_status",
        "onset_date",
        "asserted_by",
        "note",
        "recorded_at",
        "recorder",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
    )
    fields = readonly_fields
    actions = ("confirm", "refute", "mark_entered_in_error")
    show_full_result_count = False

    @admin.display(description="Substance", ordering="substance__display")
    def substance_name(self, obj: AllergyIntolerance) -> str:
        return substance_display(obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Recording needs the rules of allergies.services (verification, NKA, duplicates).
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: AllergyIntolerance | None = None
    ) -> bool:
        # An entry changes only through the actions, which emit events; its page is read-only.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(
        self, request: HttpRequest, obj: AllergyIntolerance | None = None
    ) -> bool:
        return False

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[AllergyIntolerance],
        *,
        service: Callable[..., AllergyIntolerance],
        done: str,
    ) -> None:
        changed = 0
        refused: list[str] = []
        for allergy_id in queryset.order_by("id").values_list("id", flat=True):
            try:
                service(allergy_id=allergy_id, by_id=request.user.pk)
            except ApplicationError as error:
                refused.append(f"#{allergy_id}: {error.detail}")
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{done}: {changed} entries.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Not changed: " + " ".join(refused), messages.WARNING)

    @admin.action(description="Confirm the selected entries", permissions=["change"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[AllergyIntolerance]) -> None:
        self._apply(request, queryset, service=services.allergy_confirm, done="Confirmed")

    @admin.action(description="Refute the selected entries", permissions=["change"])
    def refute(self, request: HttpRequest, queryset: QuerySet[AllergyIntolerance]) -> None:
        self._apply(request, queryset, service=services.allergy_refute, done="Refuted")

    @admin.action(description="Mark the selected entries entered in error", permissions=["change"])
    def mark_entered_in_error(
        self, request: HttpRequest, queryset: QuerySet[AllergyIntolerance]
    ) -> None:
        self._apply(
            request,
            queryset,
            service=services.allergy_mark_entered_in_error,
            done="Marked entered in error",
        )


@admin.register(Substance)
class SubstanceAdmin(admin.ModelAdmin):
    """The catalogue is loaded by migrations; codes are referenced by appointment types."""

    list_display = ("display", "code", "category", "group")
    list_select_related = ("group",)
    list_filter = ("category",)
    search_fields = ("display", "code")
    ordering = ("display",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Substance | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Substance | None = None) -> bool:
        return False
