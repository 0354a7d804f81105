"""Public vocabularies, DTOs and exceptions of scheduling (FHIR R4 Appointment). No Django."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from apps.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from apps.patients.contracts import PatientSummary
from apps.providers.contracts import AppointmentTypeInfo, LocationInfo, PractitionerInfo


class AppointmentStatus(enum.StrEnum):
    """FHIR R4 appointmentstatus."""

    PROPOSED = "proposed"
    PENDING = "pending"
    BOOKED = "booked"
    ARRIVED = "arrived"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    NOSHOW = "noshow"
    ENTERED_IN_ERROR = "entered-in-error"
    CHECKED_IN = "checked-in"
    WAITLIST = "waitlist"


# Statuses that hold a place in a slot and in the patient's day.
ACTIVE_STATUSES = frozenset(
    {AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.ARRIVED}
)

# The lifecycle: from each status, where a service may move an appointment.
TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    AppointmentStatus.BOOKED: frozenset(
        {
            AppointmentStatus.CHECKED_IN,
            AppointmentStatus.ARRIVED,
            AppointmentStatus.CANCELLED,
            AppointmentStatus.NOSHOW,
            AppointmentStatus.ENTERED_IN_ERROR,
        }
    ),
    AppointmentStatus.CHECKED_IN: frozenset(
        {
            AppointmentStatus.ARRIVED,
            AppointmentStatus.CANCELLED,
            AppointmentStatus.NOSHOW,
            AppointmentStatus.ENTERED_IN_ERROR,
        }
    ),
    AppointmentStatus.ARRIVED: frozenset(
        {AppointmentStatus.FULFILLED, AppointmentStatus.ENTERED_IN_ERROR}
    ),
    AppointmentStatus.FULFILLED: frozenset({AppointmentStatus.ENTERED_IN_ERROR}),
    AppointmentStatus.CANCELLED: frozenset({AppointmentStatus.ENTERED_IN_ERROR}),
    AppointmentStatus.NOSHOW: frozenset({AppointmentStatus.ENTERED_IN_ERROR}),
    AppointmentStatus.ENTERED_IN_ERROR: frozenset(),
}


class SlotStatus(enum.StrEnum):
    """FHIR R4 slotstatus."""

    FREE = "free"
    BUSY = "busy"
    BUSY_UNAVAILABLE = "busy-unavailable"
    BUSY_TENTATIVE = "busy-tentative"
    ENTERED_IN_ERROR = "entered-in-error"


class BookingChannel(enum.StrEnum):
    STAFF = "staff"
    PATIENT = "patient"


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    EXPIRED = "expired"  # an offer lapsed unanswered; the patient may join again
    CANCELLED = "cancelled"


@dataclasses.dataclass(frozen=True)
class SlotInfo:
    id: int
    practitioner_id: int
    location_id: int
    practitioner_role_id: int
    start: dt.datetime
    end: dt.datetime
    timezone: str
    capacity: int
    remaining: int


@dataclasses.dataclass(frozen=True)
class AppointmentInfo:
    id: int
    patient_id: int
    practitioner_id: int
    location_id: int
    appointment_type_id: int
    slot_id: int | None
    start: dt.datetime
    end: dt.datetime
    timezone: str
    status: AppointmentStatus
    channel: BookingChannel
    reason: str
    needs_allergy_review: bool
    rescheduled_from_id: int | None


@dataclasses.dataclass(frozen=True)
class AppointmentDetail(AppointmentInfo):
    """An appointment with the names a patient sees beside it."""

    practitioner_name: str
    location_name: str
    appointment_type_name: str


@dataclasses.dataclass(frozen=True)
class PatientBooking:
    """The outcome of a patient's own booking.

    `allergy_substances` names what the visit may expose the patient to among their recorded
    allergies (empty unless the booking was flagged for an allergy review).
    """

    appointment: AppointmentDetail
    created: bool
    allergy_substances: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class BookableSlot(SlotInfo):
    """A free slot a patient can book online, with the online-bookable types it can hold."""

    practitioner_name: str
    location_name: str
    appointment_types: tuple[AppointmentTypeInfo, ...]


@dataclasses.dataclass(frozen=True)
class ProviderAvailability:
    """A practitioner as a patient searches them: where they work and when they are next free.

    `next_available` is the start of their soonest free online-bookable slot (None when there
    is none), in the time zone named by `next_available_timezone`.
    """

    practitioner: PractitionerInfo
    locations: tuple[LocationInfo, ...]
    next_available: dt.datetime | None
    next_available_timezone: str | None


@dataclasses.dataclass(frozen=True)
class WaitlistEntryDetail:
    """A waitlist entry with the names a patient sees; the offer fields are set while offered."""

    id: int
    patient_id: int
    status: WaitlistStatus
    appointment_type_id: int
    appointment_type_name: str
    practitioner_id: int | None
    practitioner_name: str | None
    specialty_code: str | None
    specialty_name: str | None
    location_id: int | None
    location_name: str | None
    date_from: dt.date
    date_to: dt.date
    offered_slot_id: int | None
    offer_start: dt.datetime | None
    offer_end: dt.datetime | None
    offer_timezone: str | None
    offer_expires_at: dt.datetime | None
    appointment_id: int | None
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class AllergyWarning:
    allergy_id: int
    substance: str
    criticality: str


class SlotUnavailable(Conflict):
    code = "slot_unavailable"
    title = "The slot is no longer available"


class PatientOverlap(Conflict):
    code = "patient_overlap"
    title = "The patient already has an appointment at that time"


class IdempotencyMismatch(Conflict):
    code = "idempotency_mismatch"
    title = "The idempotency key was used for a different request"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "The appointment cannot move to that status"


class OutsideCancellationWindow(Conflict):
    code = "cancellation_window_passed"
    title = "Too late to cancel online"


class BookingNotAllowed(ValidationFailed):
    code = "booking_not_allowed"
    title = "The booking breaks a booking rule"


class PatientNotApproved(PermissionDenied):
    code = "patient_pending_review"
    title = "The registration is waiting for staff review"


class AllergyAcknowledgementRequired(Conflict):
    """Staff booking a visit that triggers an active allergy must acknowledge it first."""

    code = "allergy_acknowledgement_required"
    title = "The appointment type triggers one of the patient's allergies"

    def __init__(self, detail: str, *, warnings: list[AllergyWarning]) -> None:
        super().__init__(detail)
        self.warnings = warnings


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"


class WaitlistEntryNotFound(NotFound):
    code = "waitlist_entry_not_found"


class WaitlistOfferExpired(SlotUnavailable):
    """The held place was not taken in time; the patient stays free to join the waitlist again."""

    code = "waitlist_offer_expired"
    title = "The waitlist offer has expired"


@dataclasses.dataclass(frozen=True)
class AppointmentImport:
    """A past or future appointment brought in bulk (demo data, a migration from another system).

    Past visits need no slot; a future one names the slot it occupies.
    """

    patient_id: int
    practitioner_id: int
    location_id: int
    appointment_type_id: int
    start: dt.datetime
    end: dt.datetime
    timezone: str
    status: AppointmentStatus
    channel: BookingChannel
    booked_at: dt.datetime
    slot_id: int | None = None


@dataclasses.dataclass(frozen=True)
class AllergyReviewItem:
    """A booking flagged because its type may expose the patient to a recorded allergy.

    `patient` is None only if the record has gone; `substances` are what the type's triggers
    reach among the patient's current allergies now (empty if they were refuted since).
    """

    appointment: AppointmentDetail
    patient: PatientSummary | None
    substances: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class SlotPreview:
    """A slot that availability would produce: start and end in UTC, `timezone` the location's."""

    start: dt.datetime
    end: dt.datetime
    capacity: int
    timezone: str


@dataclasses.dataclass(frozen=True)
class SlotOption(SlotInfo):
    """A free slot staff can book for one appointment type, with the names shown beside it."""

    practitioner_name: str
    location_name: str


class SlotNotFound(NotFound):
    code = "slot_not_found"
