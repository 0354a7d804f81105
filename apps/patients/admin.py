"""Patients and portal invitations in the Django admin; every change goes through the services."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.audit import public as audit
from apps.core.errors import ApplicationError
from apps.core.history_admin import ReadOnlyHistoryAdmin
from apps.patients import selectors, services
from apps.patients.models import Patient, PortalInvitation

_AUDIT_FIELDS = ("created_at", "created_by", "updated_at", "updated_by")
_STATE_FIELDS = ("active", "review_status", "registration_source", "user")
_EDITABLE_FIELDSETS = (
    (None, {"fields": ("family_name", "given_name", "birth_date", "gender")}),
    (
        "Contact and consent",
        {
            "fields": (
                "phone",
                "email",
                "preferred_language",
                "consent_email",
                "consent_sms",
                "address_line",
                "city",
                "postal_code",
                "country",
            )
        },
    ),
    (
        "Emergency contact",
        {
            "fields": (
                "emergency_contact_name",
                "emergency_contact_phone",
                "emergency_contact_relationship",
            )
        },
    ),
)


def _error_text(error: ApplicationError) -> str:
    details = [f"{field}: {' '.join(texts)}" for field, texts in error.field_errors.items()]
    return " ".join([error.detail, *details])


class PatientAdminForm(forms.ModelForm):
    """Shows the services' validation beside each field, before anything is saved."""

    class Meta:
        model = Patient
        fields = services.EDITABLE_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # An edit checks what it changes, as patient_update will; a new patient checks all.
        names = self.changed_data if self.instance.pk else services.EDITABLE_FIELDS
        values = {name: cleaned[name] for name in names if name in cleaned}
        try:
            services.patient_validate_fields(fields=values)
        except ApplicationError as error:
            for field, texts in error.field_errors.items():
                self.add_error(field if field in self.fields else None, texts)
        return cleaned


def _become(obj: Patient, saved: Patient) -> None:
    """The admin goes on with `obj` (history, message, redirect): make it the saved row."""
    for field in Patient._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


@admin.register(Patient)
class PatientAdmin(audit.PatientAccessAdmin, ReadOnlyHistoryAdmin):
    audit_resource = "patient"
    audit_patient_field = "pk"
    form = PatientAdminForm
    list_display = (
        "mrn",
        "family_name",
        "given_name",
        "birth_date",
        "gender",
        "active",
        "review_status",
    )
    list_filter = ("active", "review_status", "gender", "preferred_language")
    # Shows the search box; get_search_results does the searching, through the indexes.
    search_fields = ("=mrn", "^family_name", "^given_name")
    search_help_text = (
        "MRN (9 digits), birth date (YYYY-MM-DD or DD/MM/YYYY), or the start of a name: "
        "'smi', 'smith jo' or 'smith, jo' (family, given)."
    )
    readonly_fields = ("mrn", *_STATE_FIELDS, *_AUDIT_FIELDS)
    actions = ("deactivate", "reactivate", "approve_registration")
    show_full_result_count = False

    def get_fieldsets(self, request: HttpRequest, obj: Patient | None = None) -> Any:
        if obj is None:
            return _EDITABLE_FIELDSETS
        return (
            ("Record", {"fields": ("mrn", *_STATE_FIELDS)}),
            *_EDITABLE_FIELDSETS,
            ("Audit", {"fields": _AUDIT_FIELDS}),
        )

    def has_delete_permission(self, request: HttpRequest, obj: Patient | None = None) -> bool:
        return False  # clinical records are deactivated, never deleted

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Patient], search_term: str
    ) -> tuple[QuerySet[Patient], bool]:
        if not search_term.strip():
            return queryset, False
        return selectors.patient_search_filter(queryset=queryset, query=search_term), False

    def save_model(
        self, request: HttpRequest, obj: Patient, form: forms.ModelForm, change: bool
    ) -> None:
        values = {
            name: form.cleaned_data[name]
            for name in services.EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        if change:
            changed = {name: values[name] for name in form.changed_data if name in values}
            saved = services.patient_update(
                patient_id=obj.pk, updated_by_id=request.user.pk, **changed
            )
        else:
            saved = services.patient_register(**values, created_by_id=request.user.pk)
        _become(obj, saved)

    def _apply(
        self,
        request: HttpRequest,
        patient_ids: list[int],
        service: Callable[..., Patient],
        done: str,
    ) -> None:
        succeeded = 0
        refusals: Counter[str] = Counter()
        for patient_id in patient_ids:
            try:
                service(patient_id=patient_id, by_id=request.user.pk)
            except ApplicationError as error:
                refusals[_error_text(error)] += 1
            else:
                succeeded += 1
        self.message_user(request, f"{succeeded} patient(s) {done}.", messages.SUCCESS)
        for text, count in refusals.items():
            self.message_user(
                request, f"{count} patient(s) left as they were: {text}", messages.ERROR
            )

    @admin.action(description="Deactivate the selected patients", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Patient]) -> None:
        ids = list(queryset.filter(active=True).values_list("id", flat=True))
        self._apply(request, ids, services.patient_deactivate, "deactivated")

    @admin.action(description="Reactivate the selected patients", permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Patient]) -> None:
        ids = list(queryset.filter(active=False).values_list("id", flat=True))
        self._apply(request, ids, services.patient_reactivate, "reactivated")

    @admin.action(description="Approve the selected registrations", permissions=["change"])
    def approve_registration(self, request: HttpRequest, queryset: QuerySet[Patient]) -> None:
        # Not filtered: the service's refusal tells staff which selected ones were not pending.
        ids = list(queryset.values_list("id", flat=True))
        self._apply(request, ids, services.patient_approve_registration, "approved")


@admin.register(PortalInvitation)
class PortalInvitationAdmin(audit.PatientAccessAdmin, admin.ModelAdmin):
    audit_resource = "portal_invitation"
    """Read-only: invitations are issued through the service, and the code hash stays hidden."""

    list_display = ("id", "patient", "created_at", "expires_at", "used_at")
    list_select_related = ("patient",)
    fields = ("patient", "created_at", "created_by", "expires_at", "used_at")
    readonly_fields = fields
    search_fields = ("=patient__mrn",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: PortalInvitation | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: PortalInvitation | None = None
    ) -> bool:
        return False
