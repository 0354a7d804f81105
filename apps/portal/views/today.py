"""Today: the day's schedule at the user's locations, per practitioner, with the front desk's
actions (check in, arrive, fulfil, no-show, cancel) updating a row in place."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.allergies import public as allergies
from apps.allergies.contracts import AllergyFlag
from apps.core.errors import ApplicationError
from apps.patients import public as patients
from apps.patients.contracts import PatientSummary
from apps.portal.access import (
    Permission,
    appointment_at_my_location,
    my_location_ids,
    record_shown,
    staff_view,
)
from apps.providers import public as providers
from apps.scheduling import public as scheduling
from apps.scheduling.contracts import (
    TRANSITIONS,
    AppointmentDetail,
    AppointmentStatus,
)

# The row's buttons: (URL action, label, the status it leads to), in the order a visit goes.
ACTIONS = (
    ("check-in", "Check in", AppointmentStatus.CHECKED_IN),
    ("arrive", "Arrived", AppointmentStatus.ARRIVED),
    ("fulfil", "Fulfilled", AppointmentStatus.FULFILLED),
    ("no-show", "No-show", AppointmentStatus.NOSHOW),
    ("cancel", "Cancel", AppointmentStatus.CANCELLED),
)
TRANSITION_OF = {action: status for action, _, status in ACTIONS}


@dataclasses.dataclass(frozen=True)
class Row:
    appointment: AppointmentDetail
    patient: PatientSummary | None
    flag: AllergyFlag | None
    local_start: dt.datetime
    actions: tuple[tuple[str, str], ...]
    error: str = ""

    @property
    def time_label(self) -> str:
        # Formatted here: the template's time filter would convert to the server's zone.
        return self.local_start.strftime("%H:%M")


@dataclasses.dataclass
class PractitionerDay:
    name: str
    rows: list[Row]


@dataclasses.dataclass
class LocationDay:
    name: str
    timezone: str
    practitioners: list[PractitionerDay]


def _rows(appointments: Iterable[AppointmentDetail]) -> list[Row]:
    """Rows with their patients and allergy flags: two queries, whatever the number of rows."""
    appointments = list(appointments)
    patient_ids = {appointment.patient_id for appointment in appointments}
    summaries = patients.patient_summaries(patient_ids=patient_ids)
    flags = allergies.allergy_flags(patient_ids=patient_ids)
    return [
        Row(
            appointment=appointment,
            patient=summaries.get(appointment.patient_id),
            flag=flags.get(appointment.patient_id),
            local_start=appointment.start.astimezone(ZoneInfo(appointment.timezone)),
            actions=tuple(
                (action, label)
                for action, label, status in ACTIONS
                if status in TRANSITIONS.get(appointment.status, ())
            ),
        )
        for appointment in appointments
    ]


def _day(request: HttpRequest, zone: str) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.now().astimezone(ZoneInfo(zone)).date()


@staff_view()
def today(request: HttpRequest) -> HttpResponse:
    locations = sorted(
        providers.locations_by_ids(ids=my_location_ids(request)).values(),
        key=lambda location: location.name,
    )
    day = _day(request, locations[0].timezone if locations else "UTC")
    schedule = scheduling.day_schedule(location_ids=[loc.id for loc in locations], day=day)
    by_location = {
        location.id: LocationDay(name=location.name, timezone=location.timezone, practitioners=[])
        for location in locations
    }
    record_shown(request, patient_ids=[a.patient_id for a in schedule], resource="schedule")
    for row in _rows(schedule):
        days = by_location[row.appointment.location_id].practitioners
        if not days or days[-1].name != row.appointment.practitioner_name:
            days.append(PractitionerDay(name=row.appointment.practitioner_name, rows=[]))
        days[-1].rows.append(row)
    return render(
        request,
        "portal/today/today.html",
        {
            "day": day,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "locations": list(by_location.values()),
            "has_locations": bool(locations),
        },
    )


def _row_response(request: HttpRequest, appointment_id: int, error: str = "") -> HttpResponse:
    row = _rows([scheduling.appointment_detail(appointment_id=appointment_id)])[0]
    if error:
        row = dataclasses.replace(row, error=error)
    return render(request, "portal/today/_row.html", {"row": row, "focus": True})


@require_POST
@staff_view(Permission.BOOK)
def appointment_action(request: HttpRequest, appointment_id: int, action: str) -> HttpResponse:
    if action not in TRANSITION_OF:
        raise Http404("No such action.")
    _, refused = appointment_at_my_location(
        request, appointment_id, action="change appointments at this location"
    )
    if refused:
        return refused
    error = ""
    try:
        if action == "cancel":
            reason = request.POST.get("reason") or request.headers.get("HX-Prompt") or ""
            scheduling.appointment_cancel(
                appointment_id=appointment_id, by_id=request.staff.user_id, reason=reason.strip()
            )
        else:
            scheduling.appointment_transition(
                appointment_id=appointment_id,
                to=TRANSITION_OF[action],
                by_id=request.staff.user_id,
            )
    except ApplicationError as exc:
        error = exc.detail
    if request.htmx:
        return _row_response(request, appointment_id, error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "The appointment was updated.")
    return HttpResponseRedirect(_back(request))


def _back(request: HttpRequest) -> str:
    """Where the form came from (the reschedule page sends the day it showed); a target on
    another site is refused, or the form would be an open redirect."""
    back = request.POST.get("back", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return reverse("portal:today")


urlpatterns = [
    path("", today, name="today"),
    path(
        "appointments/<int:appointment_id>/<slug:action>/",
        appointment_action,
        name="appointment-action",
    ),
]
