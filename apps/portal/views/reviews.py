"""Review queues: self-registrations to approve, patient-reported allergies to verify, and
patient bookings an allergy trigger flagged, each with the action that clears an item."""

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
from apps.allergies.contracts import AllergyInfo, AllergyNotFound
from apps.core.errors import ApplicationError
from apps.patients import public as patients
from apps.patients.contracts import PatientSummary, PendingRegistration
from apps.portal.access import (
    Permission,
    appointment_at_my_location,
    in_care,
    my_location_ids,
    outside_care,
    record_shown,
    staff_view,
)
from apps.scheduling import public as scheduling
from apps.scheduling.contracts import AllergyReviewItem


@dataclasses.dataclass(frozen=True)
class AllergyRow:
    allergy: AllergyInfo
    patient: PatientSummary | None

    @property
    def reported_label(self) -> str:
        return self.allergy.recorded_at.strftime("%Y-%m-%d")


@dataclasses.dataclass(frozen=True)
class BookingRow:
    item: AllergyReviewItem

    @property
    def local_start(self) -> dt.datetime:
        appointment = self.item.appointment
        return appointment.start.astimezone(ZoneInfo(appointment.timezone))

    @property
    def time_label(self) -> str:
        # Formatted here: the template's date filter would convert to the server's zone.
        return self.local_start.strftime("%a %d %b %Y, %H:%M")

    @property
    def day(self) -> str:
        return self.local_start.date().isoformat()


@dataclasses.dataclass(frozen=True)
class RegistrationRow:
    registration: PendingRegistration

    @property
    def registered_label(self) -> str:
        return self.registration.registered_at.strftime("%Y-%m-%d %H:%M UTC")


def _allergy_rows(user_id: int) -> list[AllergyRow]:
    """Unverified patient-reported allergies of the user's patients: three queries."""
    waiting = allergies.allergies_awaiting_verification()
    mine = scheduling.care_related_patient_ids(
        user_id=user_id, patient_ids={allergy.patient_id for allergy in waiting}
    )
    waiting = [allergy for allergy in waiting if allergy.patient_id in mine]
    summaries = patients.patient_summaries(patient_ids=mine)
    return [
        AllergyRow(allergy=allergy, patient=summaries.get(allergy.patient_id))
        for allergy in waiting
    ]


@staff_view()
def reviews(request: HttpRequest) -> HttpResponse:
    location_ids = my_location_ids(request)
    registrations = [
        RegistrationRow(registration) for registration in patients.registrations_pending()
    ]
    allergy_rows = _allergy_rows(request.staff.user_id)
    booking_rows = [
        BookingRow(item) for item in scheduling.allergy_reviews(location_ids=location_ids)
    ]
    record_shown(
        request,
        patient_ids=[
            *(row.registration.id for row in registrations),
            *(row.allergy.patient_id for row in allergy_rows),
            *(row.item.appointment.patient_id for row in booking_rows),
        ],
        resource="review_queue",
    )
    return render(
        request,
        "portal/reviews/reviews.html",
        {
            "registrations": registrations,
            "allergy_rows": allergy_rows,
            "booking_rows": booking_rows,
        },
    )


def _done(request: HttpRequest, message: str, error: str = "") -> HttpResponse:
    """After an action: htmx removes the row and announces the outcome (a refused action keeps
    the row); a plain form POST goes back to the queues with the message."""
    if request.htmx:
        response = render(
            request, "portal/reviews/_outcome.html", {"message": error or message, "error": error}
        )
        if error:
            response["HX-Reswap"] = "none"
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    return HttpResponseRedirect(reverse("portal:reviews"))


@require_POST
@staff_view(Permission.BOOK)
def registration_approve(request: HttpRequest, patient_id: int) -> HttpResponse:
    error = ""
    try:
        patients.patient_approve_registration(patient_id=patient_id, by_id=request.staff.user_id)
    except ApplicationError as exc:
        error = exc.detail
    return _done(request, "The registration was approved; the patient can now book.", error)


ALLERGY_ACTIONS = {
    "confirm": (allergies.allergy_confirm, "The allergy was confirmed."),
    "refute": (allergies.allergy_refute, "The allergy was refuted; it no longer warns."),
}


@require_POST
@staff_view(Permission.CHANGE_ALLERGIES)
def allergy_verify(request: HttpRequest, allergy_id: int, action: str) -> HttpResponse:
    if action not in ALLERGY_ACTIONS:
        raise Http404("No such action.")
    try:
        allergy = allergies.allergy_get(allergy_id=allergy_id)
    except AllergyNotFound as exc:
        raise Http404("No such allergy entry.") from exc
    if not in_care(request, allergy.patient_id, resource="allergy", resource_id=allergy_id):
        return outside_care(request, action="verify this patient's allergies")
    service, message = ALLERGY_ACTIONS[action]
    error = ""
    try:
        service(allergy_id=allergy_id, by_id=request.staff.user_id)
    except ApplicationError as exc:
        error = exc.detail
    return _done(request, message, error)


@require_POST
@staff_view(Permission.CHANGE_ALLERGIES)
def booking_reviewed(request: HttpRequest, appointment_id: int) -> HttpResponse:
    _, refused = appointment_at_my_location(
        request, appointment_id, action="review bookings at this location"
    )
    if refused:
        return refused
    error = ""
    try:
        scheduling.appointment_clear_allergy_review(
            appointment_id=appointment_id, by_id=request.staff.user_id
        )
    except ApplicationError as exc:
        error = exc.detail
    return _done(request, "The booking was marked as reviewed.", error)


urlpatterns = [
    path("reviews/", reviews, name="reviews"),
    path(
        "reviews/registrations/<int:patient_id>/approve/",
        registration_approve,
        name="review-registration-approve",
    ),
    path(
        "reviews/allergies/<int:allergy_id>/<slug:action>/",
        allergy_verify,
        name="review-allergy",
    ),
    path(
        "reviews/appointments/<int:appointment_id>/reviewed/",
        booking_reviewed,
        name="review-booking",
    ),
]
