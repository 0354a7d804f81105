"""Reads of scheduling: free slots, a patient's appointments, day schedules, care relationships."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F, QuerySet
from django.utils import timezone

from apps.providers import public as providers
from apps.scheduling.contracts import ACTIVE_STATUSES, AppointmentStatus, SlotStatus
from apps.scheduling.models import Appointment, Slot

CARE_LOOKBACK = dt.timedelta(days=730)  # 24 months
CARE_LOOKAHEAD = dt.timedelta(days=365)  # 12 months


def slot_list_available(
    *,
    start: dt.datetime,
    end: dt.datetime,
    practitioner_ids: Iterable[int] | None = None,
    location_id: int | None = None,
    role_ids: Iterable[int] | None = None,
    limit: int = 500,
) -> QuerySet[Slot]:
    """Free slots with room left that start in [start, end), soonest first."""
    slots = Slot.objects.filter(
        status=SlotStatus.FREE,
        start__gte=max(start, timezone.now()),
        start__lt=end,
        booked_count__lt=F("capacity"),
    )
    if practitioner_ids is not None:
        slots = slots.filter(practitioner_id__in=list(practitioner_ids))
    if location_id is not None:
        slots = slots.filter(location_id=location_id)
    if role_ids is not None:
        slots = slots.filter(practitioner_role_id__in=list(role_ids))
    return slots.order_by("start", "id")[:limit]


def appointment_list_for_patient(
    *,
    patient_id: int,
    when: str | None = None,
    statuses: Iterable[str] | None = None,
) -> QuerySet[Appointment]:
    """A patient's appointments; `when` is "upcoming" or "past"."""
    appointments = Appointment.objects.filter(patient_id=patient_id).select_related(
        "practitioner", "location", "appointment_type"
    )
    now = timezone.now()
    if when == "upcoming":
        appointments = appointments.filter(start__gte=now).order_by("start", "id")
    elif when == "past":
        appointments = appointments.filter(start__lt=now).order_by("-start", "-id")
    else:
        appointments = appointments.order_by("-start", "-id")
    if statuses:
        appointments = appointments.filter(status__in=list(statuses))
    return appointments


def appointment_get(*, appointment_id: int, patient_id: int | None = None) -> Appointment | None:
    appointments = Appointment.objects.select_related(
        "practitioner", "location", "appointment_type"
    ).filter(id=appointment_id)
    if patient_id is not None:
        appointments = appointments.filter(patient_id=patient_id)
    return appointments.first()


def appointments_awaiting_allergy_review() -> QuerySet[Appointment]:
    return Appointment.objects.filter(
        needs_allergy_review=True, status__in=[s.value for s in ACTIVE_STATUSES]
    ).order_by("start", "id")


def care_patient_ids(*, user_id: int, now: dt.datetime | None = None) -> QuerySet:
    """Patients with an appointment at one of the user's locations, 24 months back to 12 ahead."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            location_id__in=providers.location_ids_for_user(user_id=user_id),
            start__gte=now - CARE_LOOKBACK,
            start__lte=now + CARE_LOOKAHEAD,
        )
        .exclude(status=AppointmentStatus.ENTERED_IN_ERROR)
        .values_list("patient_id", flat=True)
        .distinct()
    )


def has_care_relationship(*, user_id: int, patient_id: int, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            patient_id=patient_id,
            location_id__in=providers.location_ids_for_user(user_id=user_id),
            start__gte=now - CARE_LOOKBACK,
            start__lte=now + CARE_LOOKAHEAD,
        )
        .exclude(status=AppointmentStatus.ENTERED_IN_ERROR)
        .exists()
    )
