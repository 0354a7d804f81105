"""Booking: find free slots and book them for a patient (acknowledging triggered allergies),
reschedule an appointment, and the waitlist board of the user's locations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError
from apps.patients import public as patients
from apps.patients.contracts import PatientSummary
from apps.portal.access import (
    Permission,
    appointment_at_my_location,
    forbidden,
    in_care,
    my_location_ids,
    outside_care,
    record_shown,
    staff_view,
)
from apps.providers import public as providers
from apps.providers.contracts import (
    AppointmentTypeInfo,
    LocationInfo,
    PractitionerInfo,
    SpecialtyInfo,
)
from apps.scheduling import public as scheduling
from apps.scheduling.contracts import (
    ACTIVE_STATUSES,
    AllergyAcknowledgementRequired,
    AllergyWarning,
    AppointmentDetail,
    BookingChannel,
    IdempotencyMismatch,
    PatientOverlap,
    SlotNotFound,
    SlotOption,
    SlotUnavailable,
    WaitlistEntryDetail,
    WaitlistEntryNotFound,
    WaitlistStatus,
)

DAYS_SHOWN = 7
TAKEN = "This slot was just taken — choose another."
REUSED = "This form already booked another slot; check Today, or search again to book more."
OVERLAP = "The patient already has an appointment at that time — choose another slot."
ACKNOWLEDGE = "I have reviewed the allergies and want to book"
MUST_ACKNOWLEDGE = "Tick the box to confirm you reviewed the allergies, or choose another slot."
# A day's slots are fetched with margins covering every zone's offset from UTC (-12 to +14),
# then kept by their own location's local date.
EARLIEST_OFFSET = dt.timedelta(hours=14)
LATEST_OFFSET = dt.timedelta(hours=12)


# --- what the forms offer -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Catalogue:
    """The choices of the booking forms, read once per request (five queries)."""

    appointment_types: list[AppointmentTypeInfo]
    practitioners: list[PractitionerInfo]
    specialties: list[SpecialtyInfo]
    locations: list[LocationInfo]

    @classmethod
    def load(cls) -> Catalogue:
        return cls(
            appointment_types=providers.appointment_types(),
            practitioners=providers.practitioner_search(),
            specialties=providers.specialties(),
            locations=providers.locations(),
        )

    def type_choices(self) -> list[tuple[str, str]]:
        return [("", "Choose a type")] + [(str(t.id), t.name) for t in self.appointment_types]

    def practitioner_choices(self) -> list[tuple[str, str]]:
        people = [(str(p.id), p.display_name) for p in self.practitioners]
        return [("", "Any practitioner"), *people]

    def specialty_choices(self) -> list[tuple[str, str]]:
        return [("", "Any specialty")] + [(s.code, s.name) for s in self.specialties]

    def location_choices(self, any_label: str) -> list[tuple[str, str]]:
        return [("", any_label)] + [(str(loc.id), loc.name) for loc in self.locations]


class FinderForm(forms.Form):
    """Which free slots to show; for a reschedule the patient and type are the appointment's."""

    patient = forms.IntegerField(required=False, widget=forms.HiddenInput)
    mrn = forms.CharField(
        label="Patient MRN",
        required=False,
        max_length=32,
        help_text="The patient's medical record number.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    appointment_type = forms.TypedChoiceField(label="Appointment type", coerce=int)
    practitioner = forms.TypedChoiceField(
        label="Practitioner", coerce=int, required=False, empty_value=None
    )
    specialty = forms.ChoiceField(label="Specialty", required=False)
    location = forms.TypedChoiceField(
        label="Location", coerce=int, required=False, empty_value=None
    )
    date = forms.DateField(
        label="From",
        help_text=f"Free slots for {DAYS_SHOWN} days from this date, in each location's time.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: object, catalogue: Catalogue, reschedule: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if reschedule:
            for name in ("patient", "mrn", "appointment_type"):
                del self.fields[name]
        else:
            self.fields["appointment_type"].choices = catalogue.type_choices()
        self.fields["practitioner"].choices = catalogue.practitioner_choices()
        self.fields["specialty"].choices = catalogue.specialty_choices()
        self.fields["location"].choices = catalogue.location_choices("My locations")

    def clean(self) -> dict:
        cleaned = super().clean()
        if "mrn" in self.fields and not cleaned.get("patient") and not cleaned.get("mrn"):
            self.add_error("mrn", "Enter the patient's MRN.")
        return cleaned


class BookForm(forms.Form):
    """A booking as the slot list (one form, a button per slot) and the allergy confirmation
    post it. The reason is typed here, not in the search: a query string ends up in logs."""

    patient = forms.IntegerField(required=False)
    appointment_type = forms.IntegerField(required=False)
    slot = forms.IntegerField()
    reason = forms.CharField(label="Reason for the visit", required=False, max_length=500)
    idempotency_key = forms.UUIDField(required=False)
    finder = forms.CharField(required=False, max_length=2000)
    step = forms.CharField(required=False, max_length=16)
    acknowledge = forms.BooleanField(label=ACKNOWLEDGE, required=False)


class WaitlistForm(forms.Form):
    mrn = forms.CharField(
        label="Patient MRN",
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    appointment_type = forms.TypedChoiceField(label="Appointment type", coerce=int)
    practitioner = forms.TypedChoiceField(
        label="Practitioner", coerce=int, required=False, empty_value=None
    )
    specialty = forms.ChoiceField(
        label="Specialty",
        required=False,
        help_text="Choose a practitioner, or a specialty for the first one free.",
    )
    location = forms.TypedChoiceField(
        label="Location", coerce=int, required=False, empty_value=None
    )
    date_from = forms.DateField(
        label="Earliest date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label="Latest date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: object, catalogue: Catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointment_type"].choices = catalogue.type_choices()
        self.fields["practitioner"].choices = catalogue.practitioner_choices()
        self.fields["specialty"].choices = catalogue.specialty_choices()
        self.fields["location"].choices = catalogue.location_choices("Any location")

    def clean(self) -> dict:
        cleaned = super().clean()
        if "practitioner" in cleaned and not cleaned.get("practitioner"):
            if not cleaned.get("specialty"):
                self.add_error("practitioner", "Choose a practitioner or a specialty.")
        return cleaned


# --- the slot list --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SlotRow:
    slot: SlotOption
    time_label: str


@dataclasses.dataclass(frozen=True)
class SlotDay:
    day: dt.date
    rows: list[SlotRow]


def _local(moment: dt.datetime, zone: str) -> dt.datetime:
    # Formatted in Python: the template's date filters would convert to the server's zone.
    return moment.astimezone(ZoneInfo(zone))


def _slot_days(slots: Iterable[SlotOption], first_day: dt.date) -> list[SlotDay]:
    """The slots by local day (each in its location's zone), every day shown even if empty."""
    days = [
        SlotDay(day=first_day + dt.timedelta(days=offset), rows=[]) for offset in range(DAYS_SHOWN)
    ]
    by_day = {day.day: day for day in days}
    for slot in slots:
        local = _local(slot.start, slot.timezone)
        if local.date() in by_day:
            by_day[local.date()].rows.append(SlotRow(slot=slot, time_label=local.strftime("%H:%M")))
    return days


def _free_slots(
    *,
    appointment_type_id: int,
    first_day: dt.date,
    practitioner_id: int | None,
    specialty_code: str,
    location_ids: list[int] | None,
) -> list[SlotDay]:
    practitioner_ids = None if practitioner_id is None else [practitioner_id]
    if specialty_code:
        of_specialty = providers.practitioner_ids_for_specialty(specialty_code=specialty_code)
        practitioner_ids = [
            found for found in of_specialty if practitioner_ids is None or found in practitioner_ids
        ]
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=dt.UTC) - EARLIEST_OFFSET
    end = (
        dt.datetime.combine(first_day + dt.timedelta(days=DAYS_SHOWN), dt.time(), tzinfo=dt.UTC)
        + LATEST_OFFSET
    )
    slots = scheduling.staff_bookable_slots(
        appointment_type_id=appointment_type_id,
        start=start,
        end=end,
        practitioner_ids=practitioner_ids,
        location_ids=location_ids,
    )
    return _slot_days(slots, first_day)


def _local_today(catalogue: Catalogue, location_ids: list[int]) -> dt.date:
    zones = [loc.timezone for loc in catalogue.locations if loc.id in location_ids]
    return timezone.now().astimezone(ZoneInfo(zones[0] if zones else "UTC")).date()


def _searched_location_ids(chosen: int | None, mine: list[int]) -> list[int] | None:
    """The chosen location, else the user's own, else everywhere (None)."""
    if chosen is not None:
        return [chosen]
    return mine or None


# --- patients -------------------------------------------------------------------------------


def _patient_by_mrn(mrn: str) -> PatientSummary | None:
    wanted = "".join(filter(str.isdigit, mrn))  # MRNs are nine digits, typed "MRN 123..." or not
    return next(
        (found for found in patients.patient_search(query=mrn.strip()) if found.mrn == wanted),
        None,
    )


def _patient_in_care(request: HttpRequest, patient_id: int) -> PatientSummary | None:
    """The patient, if the user may see them (two queries); None means forbidden."""
    if not in_care(request, patient_id):
        return None
    return patients.patient_summaries(patient_ids=[patient_id]).get(patient_id)


def _resolve_patient(
    request: HttpRequest, form: forms.Form
) -> tuple[PatientSummary | None, HttpResponse | None]:
    """The form's patient (by id, else by MRN), or the forbidden page; a form error if unknown."""
    patient_id = form.cleaned_data.get("patient")
    if not patient_id:
        found = _patient_by_mrn(form.cleaned_data.get("mrn", ""))
        if found is None:
            form.add_error("mrn", "No patient has this MRN.")
            return None, None
        patient_id = found.id
    patient = _patient_in_care(request, patient_id)
    if patient is None:
        return None, outside_care(request, action="book for this patient")
    return patient, None


# --- booking --------------------------------------------------------------------------------


def _finder_page(
    request: HttpRequest,
    data: QueryDict | None,
    *,
    reason: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The slot finder; with a search, the free slots by day in one booking form."""
    catalogue = Catalogue.load()
    mine = my_location_ids(request)
    patient = None
    if data is not None and data.get("patient", "").isdigit():
        patient = _patient_in_care(request, int(data["patient"]))
        if patient is None:
            return outside_care(request, action="book for this patient")
    bound = data is not None and "appointment_type" in data
    form = FinderForm(
        data if bound else None,
        initial={"date": _local_today(catalogue, mine), "patient": patient.id if patient else None},
        catalogue=catalogue,
    )
    days: list[SlotDay] = []
    hidden: list[tuple[str, object]] = []
    if bound and form.is_valid():
        if patient is None:
            patient, refused = _resolve_patient(request, form)
            if refused:
                return refused
        if patient is not None:
            days = _free_slots(
                appointment_type_id=form.cleaned_data["appointment_type"],
                first_day=form.cleaned_data["date"],
                practitioner_id=form.cleaned_data["practitioner"],
                specialty_code=form.cleaned_data["specialty"],
                location_ids=_searched_location_ids(form.cleaned_data["location"], mine),
            )
            hidden = [
                ("patient", patient.id),
                ("appointment_type", form.cleaned_data["appointment_type"]),
                ("finder", _finder_query(form.cleaned_data, patient.id)),
            ]
    return render(
        request,
        "portal/booking/book.html",
        {
            "form": form,
            "patient": patient,
            "days": days,
            "searched": bool(hidden),
            "hidden": hidden,
            # One key per rendered form: a double submit replays the first booking.
            "idempotency_key": uuid.uuid4(),
            "reason_field": BookForm(initial={"reason": reason})["reason"],
            "post_url": reverse("portal:book"),
            "error": error,
            "has_locations": bool(mine),
        },
        status=status,
    )


def _finder_query(cleaned: Mapping, patient_id: int) -> str:
    """The search as a query string, to show the same slots again after a refusal."""
    fields = {
        "patient": patient_id,
        "appointment_type": cleaned["appointment_type"],
        "practitioner": cleaned["practitioner"] or "",
        "specialty": cleaned["specialty"],
        "location": cleaned["location"] or "",
        "date": cleaned["date"].isoformat(),
    }
    return urlencode(fields)


def _confirm_page(
    request: HttpRequest,
    *,
    warning: AllergyAcknowledgementRequired,
    slot_id: int,
    post_url: str,
    back_url: str,
    hidden: list[tuple[str, object]],
    patient: PatientSummary | None,
    error: str = "",
) -> HttpResponse:
    try:
        slot = scheduling.slot_option(slot_id=slot_id)
    except SlotNotFound as exc:
        raise Http404("No such slot.") from exc
    local = _local(slot.start, slot.timezone)
    return render(
        request,
        "portal/booking/confirm_allergies.html",
        {
            "warnings": _by_criticality(warning.warnings),
            "detail": warning.detail,
            "slot": slot,
            "when": local.strftime("%A %d %B %Y at %H:%M"),
            "post_url": post_url,
            "back_url": back_url,
            "hidden": hidden,
            "patient": patient,
            "error": error,
            "acknowledge_label": ACKNOWLEDGE,
        },
        status=409 if error else 200,
    )


def _by_criticality(warnings: Iterable[AllergyWarning]) -> list[AllergyWarning]:
    """High criticality first: the loudest risk is read first."""
    return sorted(warnings, key=lambda w: (w.criticality != "high", w.substance))


def _refusal(exc: ApplicationError) -> str:
    if isinstance(exc, SlotUnavailable):
        return TAKEN
    if isinstance(exc, PatientOverlap):
        return OVERLAP
    if isinstance(exc, IdempotencyMismatch):
        return REUSED
    return exc.detail


@staff_view(Permission.BOOK)
def book(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _finder_page(request, request.GET)
    form = BookForm(request.POST)
    if not form.is_valid() or not form.cleaned_data["patient"]:
        return _finder_page(
            request, None, error="The booking was incomplete; choose a slot again.", status=400
        )
    data = form.cleaned_data
    finder = QueryDict(data["finder"])
    patient = _patient_in_care(request, data["patient"])
    if patient is None:
        return outside_care(request, action="book for this patient")
    key = str(data["idempotency_key"] or uuid.uuid4())
    try:
        booking = scheduling.appointment_book(
            patient_id=patient.id,
            slot_id=data["slot"],
            appointment_type_id=data["appointment_type"] or 0,
            channel=BookingChannel.STAFF,
            booked_by_id=request.staff.user_id,
            reason=data["reason"],
            idempotency_key=key,
            allergy_acknowledged=data["acknowledge"],
        )
    except AllergyAcknowledgementRequired as warning:
        return _confirm_page(
            request,
            warning=warning,
            slot_id=data["slot"],
            post_url=reverse("portal:book"),
            back_url=f"{reverse('portal:book')}?{data['finder']}",
            hidden=[
                ("patient", patient.id),
                ("appointment_type", data["appointment_type"]),
                ("reason", data["reason"]),
                ("finder", data["finder"]),
                ("slot", data["slot"]),
                ("idempotency_key", key),
            ],
            patient=patient,
            error=MUST_ACKNOWLEDGE if data["step"] == "confirm" else "",
        )
    except ApplicationError as exc:
        return _finder_page(
            request, finder, reason=data["reason"], error=_refusal(exc), status=exc.status
        )
    local = _local(booking.appointment.start, booking.appointment.timezone)
    what = "was already booked" if not booking.created else "is booked"
    messages.success(
        request,
        f"{patient.family_name}, {patient.given_name} {what} on "
        f"{local.strftime('%A %d %B %Y at %H:%M')} ({booking.appointment.timezone}).",
    )
    return HttpResponseRedirect(f"{reverse('portal:today')}?date={local.date().isoformat()}")


# --- rescheduling ---------------------------------------------------------------------------


def _reschedule_page(
    request: HttpRequest,
    appointment: AppointmentDetail,
    data: QueryDict,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    catalogue = Catalogue.load()
    local = _local(appointment.start, appointment.timezone)
    today = timezone.now().astimezone(ZoneInfo(appointment.timezone)).date()
    query = data
    if "date" not in data:  # first visit: the same practitioner, from today
        query = QueryDict(mutable=True)
        query.update({"practitioner": str(appointment.practitioner_id), "date": today.isoformat()})
    form = FinderForm(query, catalogue=catalogue, reschedule=True)
    movable = appointment.status in ACTIVE_STATUSES
    days: list[SlotDay] = []
    if movable and form.is_valid():
        days = _free_slots(
            appointment_type_id=appointment.appointment_type_id,
            first_day=form.cleaned_data["date"],
            practitioner_id=form.cleaned_data["practitioner"],
            specialty_code=form.cleaned_data["specialty"],
            location_ids=_searched_location_ids(
                form.cleaned_data["location"], my_location_ids(request)
            ),
        )
    patient = patients.patient_summaries(patient_ids=[appointment.patient_id]).get(
        appointment.patient_id
    )
    url = reverse("portal:reschedule", args=[appointment.id])
    return render(
        request,
        "portal/booking/reschedule.html",
        {
            "appointment": appointment,
            "patient": patient,
            "when": local.strftime("%A %d %B %Y at %H:%M"),
            "movable": movable,
            "form": form,
            "days": days,
            "searched": movable and form.is_valid(),
            "hidden": [("finder", query.urlencode())],
            "post_url": url,
            "back": f"{reverse('portal:today')}?date={local.date().isoformat()}",
            "error": error,
        },
        status=status,
    )


@staff_view(Permission.BOOK)
def reschedule(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment, refused = appointment_at_my_location(
        request, appointment_id, action="change appointments at this location"
    )
    if refused:
        return refused
    if request.method != "POST":
        return _reschedule_page(request, appointment, request.GET)
    form = BookForm(request.POST)
    if not form.is_valid():
        return _reschedule_page(
            request, appointment, QueryDict(), error="Choose a slot to move to.", status=400
        )
    data = form.cleaned_data
    finder = QueryDict(data["finder"])
    try:
        moved = scheduling.appointment_reschedule(
            appointment_id=appointment.id,
            new_slot_id=data["slot"],
            by_id=request.staff.user_id,
            channel=BookingChannel.STAFF,
            allergy_acknowledged=data["acknowledge"],
        )
    except AllergyAcknowledgementRequired as warning:
        url = reverse("portal:reschedule", args=[appointment.id])
        return _confirm_page(
            request,
            warning=warning,
            slot_id=data["slot"],
            post_url=url,
            back_url=f"{url}?{data['finder']}",
            hidden=[("finder", data["finder"]), ("slot", data["slot"])],
            patient=patients.patient_summaries(patient_ids=[appointment.patient_id]).get(
                appointment.patient_id
            ),
            error=MUST_ACKNOWLEDGE if data["step"] == "confirm" else "",
        )
    except ApplicationError as exc:
        return _reschedule_page(
            request, appointment, finder, error=_refusal(exc), status=exc.status
        )
    local = _local(moved.start, moved.timezone)
    messages.success(
        request,
        f"The appointment was moved to {local.strftime('%A %d %B %Y at %H:%M')} "
        f"({moved.timezone}).",
    )
    return HttpResponseRedirect(f"{reverse('portal:today')}?date={local.date().isoformat()}")


# --- the waitlist board ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WaitlistRow:
    entry: WaitlistEntryDetail
    patient: PatientSummary | None
    since_label: str
    offer_label: str
    expires_label: str
    removable: bool

    @property
    def wanted(self) -> str:
        return self.entry.practitioner_name or self.entry.specialty_name or ""


def _waitlist_rows(
    entries: list[WaitlistEntryDetail], mine: list[int], fallback_zone: str
) -> list[WaitlistRow]:
    """Rows with patients and zones: two queries, whatever the number of entries."""
    summaries = patients.patient_summaries(patient_ids={entry.patient_id for entry in entries})
    zones = {
        location.id: location.timezone
        for location in providers.locations_by_ids(
            ids={entry.location_id for entry in entries if entry.location_id}
        ).values()
    }
    rows = []
    for entry in entries:
        zone = zones.get(entry.location_id or 0, fallback_zone)
        offered = entry.status == WaitlistStatus.OFFERED and entry.offer_start is not None
        offer_zone = entry.offer_timezone or zone
        rows.append(
            WaitlistRow(
                entry=entry,
                patient=summaries.get(entry.patient_id),
                since_label=_local(entry.created_at, zone).strftime("%d %b %Y %H:%M"),
                offer_label=(
                    f"{_local(entry.offer_start, offer_zone).strftime('%a %d %b %Y %H:%M')}"
                    f" ({offer_zone})"
                    if offered
                    else ""
                ),
                expires_label=(
                    _local(entry.offer_expires_at, offer_zone).strftime("%a %d %b %H:%M")
                    if offered and entry.offer_expires_at
                    else ""
                ),
                removable=entry.location_id is None or entry.location_id in mine,
            )
        )
    return rows


def _waitlist_page(
    request: HttpRequest, form: WaitlistForm | None, catalogue: Catalogue, *, status: int = 200
) -> HttpResponse:
    mine = my_location_ids(request)
    zones = [loc.timezone for loc in catalogue.locations if loc.id in mine]
    board = scheduling.waitlist_board(location_ids=mine)
    record_shown(request, patient_ids=[entry.patient_id for entry in board], resource="waitlist")
    rows = _waitlist_rows(board, mine, zones[0] if zones else "UTC")
    today = _local_today(catalogue, mine)
    if form is None and request.staff.can(Permission.BOOK):
        form = WaitlistForm(
            initial={"date_from": today, "date_to": today + dt.timedelta(days=30)},
            catalogue=catalogue,
        )
    return render(
        request,
        "portal/booking/waitlist.html",
        {
            "offered": [row for row in rows if row.entry.status == WaitlistStatus.OFFERED],
            "waiting": [row for row in rows if row.entry.status == WaitlistStatus.WAITING],
            "form": form,
        },
        status=status,
    )


@staff_view()
def waitlist(request: HttpRequest) -> HttpResponse:
    return _waitlist_page(request, None, Catalogue.load())


@require_POST
@staff_view(Permission.BOOK)
def waitlist_add(request: HttpRequest) -> HttpResponse:
    catalogue = Catalogue.load()
    form = WaitlistForm(request.POST, catalogue=catalogue)
    if not form.is_valid():
        return _waitlist_page(request, form, catalogue, status=400)
    patient, refused = _resolve_patient(request, form)
    if refused:
        return refused
    if patient is None:
        return _waitlist_page(request, form, catalogue, status=400)
    data = form.cleaned_data
    try:
        scheduling.waitlist_join(
            patient_id=patient.id,
            appointment_type_id=data["appointment_type"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            practitioner_id=data["practitioner"],
            specialty_code=data["specialty"] or None,
            location_id=data["location"],
            by_id=request.staff.user_id,
        )
    except ApplicationError as exc:
        form.add_error(None, exc.detail)
        for field, errors in exc.field_errors.items():
            form.add_error(field if field in form.fields else None, errors)
        return _waitlist_page(request, form, catalogue, status=exc.status)
    messages.success(request, f"{patient.family_name}, {patient.given_name} is on the waitlist.")
    return HttpResponseRedirect(reverse("portal:waitlist"))


@require_POST
@staff_view(Permission.BOOK)
def waitlist_remove(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        entry = scheduling.waitlist_entry(entry_id=entry_id)
    except WaitlistEntryNotFound as exc:
        raise Http404("No such waitlist entry.") from exc
    if entry.location_id is not None and entry.location_id not in my_location_ids(request):
        return forbidden(
            request,
            action="change the waitlist of this location",
            allowed="staff who work at the entry's location",
            reason="This waitlist entry is for a location you are not assigned to.",
        )
    try:
        scheduling.waitlist_cancel_by_staff(entry_id=entry.id, by_id=request.staff.user_id)
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "The entry was removed from the waitlist.")
    return HttpResponseRedirect(reverse("portal:waitlist"))


urlpatterns = [
    path("book/", book, name="book"),
    path("appointments/<int:appointment_id>/reschedule/", reschedule, name="reschedule"),
    path("waitlist/", waitlist, name="waitlist"),
    path("waitlist/add/", waitlist_add, name="waitlist-add"),
    path("waitlist/<int:entry_id>/remove/", waitlist_remove, name="waitlist-remove"),
]
