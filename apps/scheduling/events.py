"""Events of scheduling: what consumers (notifications, analytics, scoring) learn of bookings.

Payloads carry ids, codes and times with the location's time zone; never the visit reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import ClassVar

from apps.core.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class _AppointmentEvent(DomainEvent):
    aggregate_type: ClassVar[str] = "scheduling.Appointment"
    aggregate_id_field: ClassVar[str] = "appointment_id"

    appointment_id: int
    patient_id: int
    practitioner_id: int
    location_id: int
    appointment_type_id: int
    start: dt.datetime
    end: dt.datetime
    timezone: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppointmentBooked(_AppointmentEvent):
    event_type: ClassVar[str] = "scheduling.AppointmentBooked"
    version: ClassVar[int] = 1

    channel: str
    needs_allergy_review: bool
    booked_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppointmentCancelled(_AppointmentEvent):
    event_type: ClassVar[str] = "scheduling.AppointmentCancelled"
    version: ClassVar[int] = 1

    cancelled_by_patient: bool
    cancelled_by_id: int | None
    cancelled_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppointmentRescheduled(_AppointmentEvent):
    """The appointment moved: the old one is cancelled and linked to this new one."""

    event_type: ClassVar[str] = "scheduling.AppointmentRescheduled"
    version: ClassVar[int] = 1

    previous_appointment_id: int
    previous_start: dt.datetime
    previous_end: dt.datetime
    previous_location_id: int
    previous_timezone: str
    channel: str
    needs_allergy_review: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppointmentStatusChanged(_AppointmentEvent):
    event_type: ClassVar[str] = "scheduling.AppointmentStatusChanged"
    version: ClassVar[int] = 1

    status: str
    previous_status: str
    changed_by_id: int | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppointmentAllergyReviewed(_AppointmentEvent):
    """Staff cleared the allergy flag of a patient's own booking."""

    event_type: ClassVar[str] = "scheduling.AppointmentAllergyReviewed"
    version: ClassVar[int] = 1

    reviewed_by_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class WaitlistOfferMade(DomainEvent):
    event_type: ClassVar[str] = "scheduling.WaitlistOfferMade"
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "scheduling.WaitlistEntry"
    aggregate_id_field: ClassVar[str] = "waitlist_entry_id"

    waitlist_entry_id: int
    patient_id: int
    slot_id: int
    practitioner_id: int
    location_id: int
    appointment_type_id: int
    start: dt.datetime
    end: dt.datetime
    timezone: str
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class WaitlistEntryChanged(DomainEvent):
    """A patient joined the waitlist (previous_status None), left it, booked an offer, or let
    an offer expire."""

    event_type: ClassVar[str] = "scheduling.WaitlistEntryChanged"
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "scheduling.WaitlistEntry"
    aggregate_id_field: ClassVar[str] = "waitlist_entry_id"

    waitlist_entry_id: int
    patient_id: int
    status: str
    previous_status: str | None
    appointment_id: int | None
