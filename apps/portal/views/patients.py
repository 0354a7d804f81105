"""Patients: search within the user's care relationship, register and edit, and the chart with
its allergy banner, allergy list and actions, appointments and portal invitation."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from apps.allergies import public as allergies
from apps.allergies.contracts import (
    AllergyBanner,
    AllergyCategory,
    AllergyFlag,
    AllergyInfo,
    AllergyNotFound,
    AllergyType,
    AssertedBy,
    BannerStatus,
    ClinicalStatus,
    Criticality,
    RecordKind,
    VerificationStatus,
)
from apps.core.errors import ApplicationError
from apps.patients import public as patients
from apps.patients.contracts import PatientRecord, PatientSummary
from apps.portal.access import (
    CARE_RULE,
    Permission,
    in_care,
    outside_care,
    record_created,
    record_shown,
    staff_view,
)
from apps.portal.forms_patients import (
    AllergyForm,
    PatientForm,
    PatientSearchForm,
    add_service_errors,
)
from apps.scheduling import public as scheduling
from apps.scheduling.contracts import AppointmentDetail

# A search asks for this many matches, keeps those in the user's care, and shows the first
# RESULTS_SHOWN. patients.public.patient_search caps its limit at 100 in any case.
SEARCH_CANDIDATES = 100
RESULTS_SHOWN = 25
# Appointments listed on a chart, each way from now.
APPOINTMENTS_SHOWN = 10
# What each allergy button does: (URL action, label, public function).
ALLERGY_ACTIONS = {
    "confirm": ("Confirm", allergies.allergy_confirm),
    "refute": ("Refute", allergies.allergy_refute),
    "entered-in-error": ("Entered in error", allergies.allergy_mark_entered_in_error),
}


def _record(patient_id: int) -> PatientRecord:
    try:
        return patients.patient_record_get(patient_id=patient_id)
    except ApplicationError as exc:
        raise Http404("No such patient.") from exc


# --- search ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SearchResult:
    patient: PatientSummary
    flag: AllergyFlag | None


@staff_view()
def patient_search(request: HttpRequest) -> HttpResponse:
    form = PatientSearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results: list[SearchResult] = []
    more = False
    if query:
        found = patients.patient_search(query=query, limit=SEARCH_CANDIDATES)
        related = scheduling.care_related_patient_ids(
            user_id=request.staff.user_id, patient_ids=[patient.id for patient in found]
        )
        mine = [patient for patient in found if patient.id in related]
        # Either cut may hide someone: the search's own cap or ours.
        more = len(mine) > RESULTS_SHOWN or len(found) >= SEARCH_CANDIDATES
        shown = mine[:RESULTS_SHOWN]
        flags = allergies.allergy_flags(patient_ids=[patient.id for patient in shown])
        results = [SearchResult(patient=p, flag=flags.get(p.id)) for p in shown]
        record_shown(request, patient_ids=[patient.id for patient in shown])
    return render(
        request,
        "portal/patients/search.html",
        {
            "form": form,
            "query": query,
            "results": results,
            "more": more,
            "results_shown": RESULTS_SHOWN,
            "care_rule": CARE_RULE,
        },
    )


# --- register and edit -------------------------------------------------------------------------


@staff_view(Permission.BOOK)
def patient_new(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = patients.patient_register(
                **form.cleaned_data, created_by_id=request.staff.user_id
            )
        except ApplicationError as exc:
            form.add_error(None, exc.detail)
            add_service_errors(form, exc.field_errors, {})
        else:
            record_created(request, patient_id=patient.id)
            messages.success(
                request,
                f"Registered {patient.family_name}, {patient.given_name} with MRN {patient.mrn}.",
            )
            return HttpResponseRedirect(reverse("portal:patient-chart", args=[patient.id]))
    return render(
        request,
        "portal/patients/form.html",
        {"form": form, "title": "Register a patient", "submit": "Register patient"},
        status=400 if form.errors else 200,
    )


@staff_view(Permission.BOOK)
def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    if not in_care(request, patient_id):
        return outside_care(request, action="open this patient's record")
    record = _record(patient_id)
    initial = {name: getattr(record, name) for name in PatientForm.base_fields}
    form = PatientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            patients.patient_update(
                patient_id=patient_id, updated_by_id=request.staff.user_id, **form.cleaned_data
            )
        except ApplicationError as exc:
            form.add_error(None, exc.detail)
            add_service_errors(form, exc.field_errors, {})
        else:
            messages.success(request, "The patient's details were saved.")
            return HttpResponseRedirect(reverse("portal:patient-chart", args=[patient_id]))
    return render(
        request,
        "portal/patients/form.html",
        {
            "form": form,
            "record": record,
            "title": f"Edit {record.family_name}, {record.given_name}",
            "submit": "Save changes",
        },
        status=400 if form.errors else 200,
    )


# --- the chart ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AllergyRow:
    allergy: AllergyInfo
    actions: tuple[tuple[str, str], ...]

    @property
    def unconfirmed_patient_reported(self) -> bool:
        return (
            self.allergy.asserted_by is AssertedBy.PATIENT
            and self.allergy.verification_status is VerificationStatus.UNCONFIRMED
        )


@dataclasses.dataclass(frozen=True)
class AppointmentRow:
    appointment: AppointmentDetail

    @property
    def when(self) -> str:
        # Formatted here: the template's date filter would convert to the server's zone.
        local = self.appointment.start.astimezone(ZoneInfo(self.appointment.timezone))
        return local.strftime("%a %d %b %Y, %H:%M")


def _allergy_actions(allergy: AllergyInfo) -> tuple[tuple[str, str], ...]:
    status = allergy.verification_status
    possible = {
        "confirm": status is VerificationStatus.UNCONFIRMED,
        # Refuting a "no known allergies" statement says nothing; it is corrected as an error.
        "refute": allergy.kind is RecordKind.ALLERGY
        and status in (VerificationStatus.UNCONFIRMED, VerificationStatus.CONFIRMED),
        "entered-in-error": status is not VerificationStatus.ENTERED_IN_ERROR,
    }
    return tuple((action, ALLERGY_ACTIONS[action][0]) for action, ok in possible.items() if ok)


def _allergy_context(patient_id: int, error: str = "") -> dict[str, object]:
    banner = allergies.allergy_banner(patient_id=patient_id)
    rows = [
        AllergyRow(allergy=allergy, actions=_allergy_actions(allergy))
        for allergy in allergies.allergy_list(patient_id=patient_id)
    ]
    return {
        "patient_id": patient_id,
        "banner": banner,
        "banner_class": _banner_class(banner),
        "allergy_rows": rows,
        "allergy_error": error,
        "may_record_no_known": banner.status is BannerStatus.NOT_RECORDED,
    }


def _banner_class(banner: AllergyBanner) -> str:
    if banner.status is BannerStatus.NO_KNOWN_ALLERGIES:
        return "no-known"
    if banner.status is BannerStatus.NOT_RECORDED:
        return "unknown"
    if any(entry.criticality is Criticality.HIGH for entry in banner.entries):
        return "has-high"
    return "has-allergies"


def _appointments(patient_id: int, when: str) -> list[AppointmentRow]:
    return [
        AppointmentRow(appointment=appointment)
        for appointment in scheduling.patient_appointments(
            patient_id=patient_id, when=when, limit=APPOINTMENTS_SHOWN
        )
    ]


@staff_view()
def patient_chart(request: HttpRequest, patient_id: int) -> HttpResponse:
    if not in_care(request, patient_id):
        return outside_care(request, action="open this patient's record")
    record = _record(patient_id)
    return render(
        request,
        "portal/patients/chart.html",
        {
            "record": record,
            **_allergy_context(patient_id),
            "upcoming": _appointments(patient_id, "upcoming"),
            "past": _appointments(patient_id, "past"),
            "appointments_shown": APPOINTMENTS_SHOWN,
        },
    )


def _allergy_response(
    request: HttpRequest, patient_id: int, *, error: str = "", done: str = ""
) -> HttpResponse:
    """htmx: the allergy section and (out of band) the banner; otherwise back to the chart."""
    if request.htmx:
        return render(
            request,
            "portal/patients/_allergies_update.html",
            {**_allergy_context(patient_id, error), "done": done},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("portal:patient-chart", args=[patient_id]) + "#allergies")


@require_POST
@staff_view(Permission.CHANGE_ALLERGIES)
def allergy_action(
    request: HttpRequest, patient_id: int, allergy_id: int, action: str
) -> HttpResponse:
    if action not in ALLERGY_ACTIONS:
        raise Http404("No such action.")
    if not in_care(request, patient_id, resource="allergy", resource_id=allergy_id):
        return outside_care(request, action="open this patient's record")
    try:
        allergy = allergies.allergy_get(allergy_id=allergy_id)
    except AllergyNotFound as exc:
        raise Http404("No such allergy entry.") from exc
    if allergy.patient_id != patient_id:
        raise Http404("No such allergy entry for this patient.")
    label, change = ALLERGY_ACTIONS[action]
    try:
        change(allergy_id=allergy_id, by_id=request.staff.user_id)
    except ApplicationError as exc:
        return _allergy_response(request, patient_id, error=exc.detail)
    return _allergy_response(
        request, patient_id, done=f"{allergy.substance_display}: {label.lower()}."
    )


@require_POST
@staff_view(Permission.CHANGE_ALLERGIES)
def no_known_allergies(request: HttpRequest, patient_id: int) -> HttpResponse:
    if not in_care(request, patient_id, resource="allergy"):
        return outside_care(request, action="open this patient's record")
    _record(patient_id)
    try:
        allergies.no_known_allergies_record(
            patient_id=patient_id, asserted_by=AssertedBy.STAFF, recorder_id=request.staff.user_id
        )
    except ApplicationError as exc:
        return _allergy_response(request, patient_id, error=exc.detail)
    return _allergy_response(request, patient_id, done="Recorded: no known allergies.")


def _optional(vocabulary: type, value: str) -> object:
    return vocabulary(value) if value else None


@staff_view(Permission.CHANGE_ALLERGIES)
def allergy_new(request: HttpRequest, patient_id: int) -> HttpResponse:
    if not in_care(request, patient_id, resource="allergy"):
        return outside_care(request, action="open this patient's record")
    record = _record(patient_id)
    form = AllergyForm(request.POST or None, substances=allergies.substance_catalogue())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recorded = allergies.allergy_record(
                patient_id=patient_id,
                substance_code=data["substance_code"] or None,
                substance_text=data["substance_text"],
                type=_optional(AllergyType, data["type"]),
                category=_optional(AllergyCategory, data["category"]),
                criticality=Criticality(data["criticality"]),
                clinical_status=ClinicalStatus(data["clinical_status"]),
                verification_status=VerificationStatus(data["verification_status"]),
                onset_date=data["onset_date"],
                note=data["note"],
                reactions=form.reactions(),
                asserted_by=AssertedBy.STAFF,
                recorder_id=request.staff.user_id,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.detail)
            add_service_errors(form, exc.field_errors, AllergyForm.SERVICE_NAMES)
        else:
            messages.success(request, f"Recorded: {recorded.substance_display}.")
            return HttpResponseRedirect(
                reverse("portal:patient-chart", args=[patient_id]) + "#allergies"
            )
    return render(
        request,
        "portal/patients/allergy_form.html",
        {"form": form, "record": record},
        status=400 if form.errors else 200,
    )


# --- portal invitation -------------------------------------------------------------------------


@require_POST
@staff_view(Permission.BOOK)
def invitation_issue(request: HttpRequest, patient_id: int) -> HttpResponse:
    if not in_care(request, patient_id, resource="portal_invitation"):
        return outside_care(request, action="open this patient's record")
    record = _record(patient_id)
    context: dict[str, object] = {"record": record}
    try:
        issued = patients.invitation_issue_with_expiry(
            patient_id=patient_id, issued_by_id=request.staff.user_id
        )
    except ApplicationError as exc:
        context["error"] = exc.detail
    else:
        context["issued"] = issued
        context["expires"] = issued.expires_at.astimezone(dt.UTC).strftime("%d %b %Y, %H:%M UTC")
    template = (
        "portal/patients/_invitation.html" if request.htmx else "portal/patients/invitation.html"
    )
    # htmx swaps only successful answers; a plain POST gets the refusal's status.
    refused = "error" in context and not request.htmx
    response = render(request, template, context, status=409 if refused else 200)
    # The code is shown once: no cache may keep a copy of the page.
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("patients/", patient_search, name="patients"),
    path("patients/new/", patient_new, name="patient-new"),
    path("patients/<int:patient_id>/", patient_chart, name="patient-chart"),
    path("patients/<int:patient_id>/edit/", patient_edit, name="patient-edit"),
    path("patients/<int:patient_id>/allergies/new/", allergy_new, name="allergy-new"),
    path(
        "patients/<int:patient_id>/allergies/no-known/",
        no_known_allergies,
        name="no-known-allergies",
    ),
    path(
        "patients/<int:patient_id>/allergies/<int:allergy_id>/<slug:action>/",
        allergy_action,
        name="allergy-action",
    ),
    path("patients/<int:patient_id>/invitation/", invitation_issue, name="invitation-issue"),
]
