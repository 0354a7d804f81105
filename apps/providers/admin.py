"""Providers in the Django admin: every save goes through the services, so events are emitted.

Forms run the services' `*_validate` checks so a refusal shows on its field; the services run
them again inside their transaction, which is what actually guards the data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from apps.core.errors import ApplicationError
from apps.providers import services
from apps.providers.contracts import AvailabilityExceptionSpec, AvailabilityRuleSpec, ExceptionKind
from apps.providers.models import (
    AppointmentType,
    AvailabilityException,
    AvailabilityRule,
    Location,
    Practitioner,
    PractitionerRole,
    Specialty,
    StaffAssignment,
)

AUDIT_FIELDS = ("created_at", "created_by", "updated_at", "updated_by")

# Services name their inputs by id or code; the admin forms by model field.
FORM_FIELD_FOR = {
    "user_id": "user",
    "location_id": "location",
    "practitioner_id": "practitioner",
    "specialty_codes": "specialties",
    "appointment_type_ids": "appointment_types",
}


def _report(form: forms.BaseForm, error: ApplicationError) -> None:
    """Show a service's refusal on the form, each message on the field it names."""
    if not error.field_errors:
        form.add_error(None, error.detail)
        return
    for field, field_messages in error.field_errors.items():
        name = FORM_FIELD_FOR.get(field, field)
        form.add_error(name if name in form.fields else None, list(field_messages))


def _check(form: forms.BaseForm, check: Callable[..., None], **values: Any) -> None:
    try:
        check(**values)
    except ApplicationError as error:
        _report(form, error)


def _adopt(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved instance the row a service saved (for its log and redirect)."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class ServiceAdmin(admin.ModelAdmin):
    """Saves through services; many-to-many fields are the services' to write, not the form's."""

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool
    ) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            # The forms checked first; this is a concurrent change slipping in between, and the
            # admin's transaction has already rolled the whole save back.
            self.message_user(request, error.detail, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


# Locations


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ("name", "address_line", "city", "postal_code", "country", "timezone", "active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:
            _check(
                self,
                services.location_validate,
                name=cleaned["name"],
                timezone=cleaned["timezone"],
                address_line=cleaned["address_line"],
                city=cleaned["city"],
                postal_code=cleaned["postal_code"],
                country=cleaned["country"],
            )
        return cleaned


@admin.register(Location)
class LocationAdmin(ServiceAdmin):
    form = LocationForm
    list_display = ("name", "city", "country", "timezone", "active")
    list_filter = ("active", "country", "timezone")
    search_fields = ("name", "city", "postal_code")
    readonly_fields = AUDIT_FIELDS

    def has_delete_permission(self, request: HttpRequest, obj: Location | None = None) -> bool:
        return False  # roles and appointments keep referring to it: deactivate instead

    def save_model(
        self, request: HttpRequest, obj: Location, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        fields = {
            name: data[name]
            for name in ("name", "timezone", "address_line", "city", "postal_code", "country")
        }
        if change:
            saved = services.location_update(
                location_id=obj.pk, **fields, active=data["active"], actor_id=request.user.pk
            )
        else:
            saved = services.location_create(
                **fields, active=data["active"], actor_id=request.user.pk
            )
        _adopt(obj, saved)


# Specialties


class SpecialtyForm(forms.ModelForm):
    class Meta:
        model = Specialty
        fields = ("code", "name")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:
            _check(
                self,
                services.specialty_validate,
                name=cleaned["name"],
                code=cleaned.get("code"),
                specialty_id=self.instance.pk,
            )
        return cleaned


@admin.register(Specialty)
class SpecialtyAdmin(ServiceAdmin):
    form = SpecialtyForm
    list_display = ("name", "code")
    search_fields = ("name", "code")

    def get_readonly_fields(
        self, request: HttpRequest, obj: Specialty | None = None
    ) -> tuple[str, ...]:
        return ("code",) if obj else ()  # events and other apps know a specialty by its code

    def has_delete_permission(self, request: HttpRequest, obj: Specialty | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Specialty, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            saved = services.specialty_update(specialty_id=obj.pk, name=data["name"])
        else:
            saved = services.specialty_create(code=data["code"], name=data["name"])
        _adopt(obj, saved)


# Practitioners


class PractitionerForm(forms.ModelForm):
    class Meta:
        model = Practitioner
        fields = (
            "prefix",
            "given_name",
            "family_name",
            "qualifications",
            "specialties",
            "languages",
            "bio",
            "active",
            "user",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:
            _check(
                self,
                services.practitioner_validate,
                **_practitioner_values(cleaned),
                practitioner_id=self.instance.pk,
            )
        return cleaned


def _practitioner_values(cleaned: dict[str, Any]) -> dict[str, Any]:
    user = cleaned.get("user")
    return {
        "prefix": cleaned["prefix"],
        "family_name": cleaned["family_name"],
        "given_name": cleaned["given_name"],
        "qualifications": cleaned["qualifications"],
        "specialty_codes": [specialty.code for specialty in cleaned["specialties"]],
        "languages": cleaned["languages"],
        "bio": cleaned["bio"],
        "user_id": user.pk if user is not None else None,
    }


@admin.register(Practitioner)
class PractitionerAdmin(ServiceAdmin):
    form = PractitionerForm
    list_display = ("__str__", "qualifications", "specialty_names", "languages", "active", "user")
    list_filter = ("active", "specialties")
    list_select_related = ("user",)
    search_fields = ("family_name", "given_name", "qualifications")
    filter_horizontal = ("specialties",)
    raw_id_fields = ("user",)
    readonly_fields = AUDIT_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Practitioner]:
        return super().get_queryset(request).prefetch_related("specialties")

    @admin.display(description="specialties")
    def specialty_names(self, obj: Practitioner) -> str:
        return ", ".join(specialty.name for specialty in obj.specialties.all())

    def has_delete_permission(self, request: HttpRequest, obj: Practitioner | None = None) -> bool:
        return False  # appointments keep referring to them: deactivate instead

    def save_model(
        self, request: HttpRequest, obj: Practitioner, form: forms.ModelForm, change: bool
    ) -> None:
        values = _practitioner_values(form.cleaned_data)
        active = form.cleaned_data["active"]
        if change:
            saved = services.practitioner_update(
                practitioner_id=obj.pk, **values, active=active, actor_id=request.user.pk
            )
        else:
            saved = services.practitioner_create(**values, active=active, actor_id=request.user.pk)
        _adopt(obj, saved)


# Appointment types


class AppointmentTypeForm(forms.ModelForm):
    class Meta:
        model = AppointmentType
        fields = (
            "code",
            "name",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "minimum_notice_minutes",
            "booking_horizon_days",
            "online_bookable",
            "allergen_triggers",
            "active",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:
            _check(
                self,
                services.appointment_type_validate,
                code=cleaned.get("code"),  # absent when changing: the code is read-only then
                **_appointment_type_values(cleaned),
            )
        return cleaned


def _appointment_type_values(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {
        name: cleaned[name]
        for name in (
            "name",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "minimum_notice_minutes",
            "booking_horizon_days",
            "allergen_triggers",
        )
    }


@admin.register(AppointmentType)
class AppointmentTypeAdmin(ServiceAdmin):
    form = AppointmentTypeForm
    list_display = ("name", "code", "duration_minutes", "online_bookable", "active")
    list_filter = ("active", "online_bookable")
    search_fields = ("name", "code")

    def get_readonly_fields(
        self, request: HttpRequest, obj: AppointmentType | None = None
    ) -> tuple[str, ...]:
        return ("code",) if obj else ()  # bookings and events know a type by its code

    def has_delete_permission(
        self, request: HttpRequest, obj: AppointmentType | None = None
    ) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: AppointmentType, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        values = _appointment_type_values(data)
        flags = {"online_bookable": data["online_bookable"], "active": data["active"]}
        if change:
            saved = services.appointment_type_update(appointment_type_id=obj.pk, **values, **flags)
        else:
            saved = services.appointment_type_create(code=data["code"], **values, **flags)
        _adopt(obj, saved)


# Practitioner roles, with their weekly rules and exceptions inline


class AvailabilityRuleForm(forms.ModelForm):
    weekday = forms.TypedChoiceField(choices=list(enumerate(services.WEEKDAY_NAMES)), coerce=int)

    class Meta:
        model = AvailabilityRule
        fields = (
            "weekday",
            "start_time",
            "end_time",
            "slot_minutes",
            "capacity",
            "valid_from",
            "valid_until",
        )


def _rule_spec(rule: AvailabilityRule) -> AvailabilityRuleSpec:
    return AvailabilityRuleSpec(
        weekday=rule.weekday,
        start_time=rule.start_time,
        end_time=rule.end_time,
        slot_minutes=rule.slot_minutes,
        capacity=rule.capacity,
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
    )


def _exception_spec(exception: AvailabilityException) -> AvailabilityExceptionSpec:
    return AvailabilityExceptionSpec(
        kind=ExceptionKind(exception.kind),
        date_from=exception.date_from,
        date_to=exception.date_to,
        start_time=exception.start_time,
        end_time=exception.end_time,
        slot_minutes=exception.slot_minutes,
        capacity=exception.capacity,
        reason=exception.reason,
    )


class _CheckedFormSet(BaseInlineFormSet):
    """Checks each row with the service and the rows against each other, as the save will.

    The inline holds every row of the role, so checking the rows against each other covers
    the rows already stored too.
    """

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rows = []
        for form in self.forms:
            if not form.cleaned_data or self._should_delete_form(form):
                continue
            # A valid form has already copied its values onto its instance.
            spec = self.spec(form.instance)
            try:
                self.validate(spec)
            except ApplicationError as error:
                _report(form, error)
                continue
            rows.append((form, spec))
        for index, (form, spec) in enumerate(rows):
            others = [other for position, (_, other) in enumerate(rows) if position != index]
            if self.overlap(spec, others) is not None:
                form.add_error("start_time", "Overlaps other hours of this role.")


class AvailabilityRuleFormSet(_CheckedFormSet):
    def spec(self, rule: AvailabilityRule) -> AvailabilityRuleSpec:
        return _rule_spec(rule)

    def validate(self, spec: AvailabilityRuleSpec) -> None:
        services.availability_rule_validate(rule=spec)

    def overlap(
        self, spec: AvailabilityRuleSpec, others: list[AvailabilityRuleSpec]
    ) -> AvailabilityRuleSpec | None:
        return services.availability_rule_overlap(rule=spec, others=others)


class AvailabilityExceptionFormSet(_CheckedFormSet):
    def spec(self, exception: AvailabilityException) -> AvailabilityExceptionSpec:
        return _exception_spec(exception)

    def validate(self, spec: AvailabilityExceptionSpec) -> None:
        services.availability_exception_validate(exception=spec)

    def overlap(
        self, spec: AvailabilityExceptionSpec, others: list[AvailabilityExceptionSpec]
    ) -> AvailabilityExceptionSpec | None:
        return services.availability_exception_overlap(exception=spec, others=others)


class AvailabilityRuleInline(admin.TabularInline):
    model = AvailabilityRule
    form = AvailabilityRuleForm
    formset = AvailabilityRuleFormSet
    extra = 0
    ordering = ("weekday", "start_time")


class AvailabilityExceptionInline(admin.TabularInline):
    model = AvailabilityException
    formset = AvailabilityExceptionFormSet
    fields = (
        "kind",
        "date_from",
        "date_to",
        "start_time",
        "end_time",
        "slot_minutes",
        "capacity",
        "reason",
    )
    extra = 0
    ordering = ("date_from", "start_time")


class PractitionerRoleForm(forms.ModelForm):
    class Meta:
        model = PractitionerRole
        fields = ("practitioner", "location", "appointment_types", "active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "appointment_types" in self.fields:
            # Only active types can be offered; the services refuse the others.
            self.fields["appointment_types"].queryset = AppointmentType.objects.filter(active=True)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors and self.instance.pk is None:
            _check(
                self,
                services.practitioner_role_validate,
                practitioner_id=cleaned["practitioner"].pk,
                location_id=cleaned["location"].pk,
                appointment_type_ids=[t.pk for t in cleaned["appointment_types"]],
            )
        return cleaned


@admin.register(PractitionerRole)
class PractitionerRoleAdmin(ServiceAdmin):
    form = PractitionerRoleForm
    inlines = (AvailabilityRuleInline, AvailabilityExceptionInline)
    list_display = ("practitioner", "location", "appointment_type_names", "active")
    list_filter = ("active", "location")
    list_select_related = ("practitioner", "location")
    search_fields = ("practitioner__family_name", "practitioner__given_name", "location__name")
    autocomplete_fields = ("practitioner", "location")
    filter_horizontal = ("appointment_types",)
    readonly_fields = AUDIT_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[PractitionerRole]:
        return super().get_queryset(request).prefetch_related("appointment_types")

    def get_readonly_fields(
        self, request: HttpRequest, obj: PractitionerRole | None = None
    ) -> tuple[str, ...]:
        # A role is one practitioner at one location; moving either is a different role.
        return ("practitioner", "location", *AUDIT_FIELDS) if obj else AUDIT_FIELDS

    @admin.display(description="appointment types")
    def appointment_type_names(self, obj: PractitionerRole) -> str:
        return ", ".join(t.name for t in obj.appointment_types.all())

    def has_delete_permission(
        self, request: HttpRequest, obj: PractitionerRole | None = None
    ) -> bool:
        return False  # slots and appointments keep referring to it: deactivate instead

    def save_model(
        self, request: HttpRequest, obj: PractitionerRole, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        type_ids = [t.pk for t in data["appointment_types"]]
        actor_id = request.user.pk
        if change:
            saved = services.practitioner_role_set_appointment_types(
                role_id=obj.pk, appointment_type_ids=type_ids, actor_id=actor_id
            )
        else:
            saved = services.practitioner_role_create(
                practitioner_id=data["practitioner"].pk,
                location_id=data["location"].pk,
                appointment_type_ids=type_ids,
                actor_id=actor_id,
            )
        if saved.active != data["active"]:
            if data["active"]:
                saved = services.practitioner_role_reactivate(role_id=saved.pk, actor_id=actor_id)
            else:
                saved = services.practitioner_role_deactivate(role_id=saved.pk, actor_id=actor_id)
        _adopt(obj, saved)

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool
    ) -> None:
        formset.save(commit=False)
        if isinstance(formset, AvailabilityRuleFormSet):
            save, spec = services.availability_rules_save, _rule_spec
        else:
            save, spec = services.availability_exceptions_save, _exception_spec
        saved = save(
            role_id=form.instance.pk,
            create=[spec(obj) for obj in formset.new_objects],
            update={obj.pk: spec(obj) for obj, _ in formset.changed_objects},
            delete=[obj.pk for obj in formset.deleted_objects],
            actor_id=request.user.pk,
        )
        for obj, row in zip(
            formset.new_objects, saved[len(formset.changed_objects) :], strict=True
        ):
            _adopt(obj, row)


# Staff at locations


class StaffAssignmentForm(forms.ModelForm):
    class Meta:
        model = StaffAssignment
        fields = ("user", "location")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:
            _check(
                self,
                services.staff_assignment_validate,
                user_id=cleaned["user"].pk,
                location_id=cleaned["location"].pk,
            )
        return cleaned


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(ServiceAdmin):
    form = StaffAssignmentForm
    list_display = ("user", "location")
    list_filter = ("location",)
    list_select_related = ("user", "location")
    search_fields = ("user__email", "location__name")
    raw_id_fields = ("user",)

    def has_change_permission(
        self, request: HttpRequest, obj: StaffAssignment | None = None
    ) -> bool:
        return False  # an assignment is a pair: remove it and add another

    def save_model(
        self, request: HttpRequest, obj: StaffAssignment, form: forms.ModelForm, change: bool
    ) -> None:
        saved = services.staff_assign_location(
            user_id=form.cleaned_data["user"].pk, location_id=form.cleaned_data["location"].pk
        )
        _adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: StaffAssignment) -> None:
        services.staff_unassign_location(user_id=obj.user_id, location_id=obj.location_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[StaffAssignment]) -> None:
        for user_id, location_id in queryset.values_list("user_id", "location_id"):
            services.staff_unassign_location(user_id=user_id, location_id=location_id)
