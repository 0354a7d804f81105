"""What other apps may call in scheduling: booking, the lifecycle, slots, care relationships."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

from apps.scheduling import selectors, services
from apps.scheduling.contracts import (
    AllergyWarning,
    AppointmentImport,
    AppointmentInfo,
    AppointmentStatus,
    BookingChannel,
    SlotInfo,
)
from apps.scheduling.models import Appointment, Slot


def _appointment_info(appointment: Appointment) -> AppointmentInfo:
    return AppointmentInfo(
        id=appointment.id,
        patient_id=appointment.patient_id,
        practitioner_id=appointment.practitioner_id,
        location_id=appointment.location_id,
        appointment_type_id=appointment.appointment_type_id,
        slot_id=appointment.slot_id,
        start=appointment.start,
        end=appointment.end,
        timezone=appointment.timezone,
        status=AppointmentStatus(appointment.status),
        channel=BookingChannel(appointment.channel),
        reason=appointment.reason,
        needs_allergy_review=appointment.needs_allergy_review,
        rescheduled_from_id=appointment.rescheduled_from_id,
    )


def _slot_info(slot: Slot) -> SlotInfo:
    return SlotInfo(
        id=slot.id,
        practitioner_id=slot.practitioner_id,
        location_id=slot.location_id,
        practitioner_role_id=slot.practitioner_role_id,
        start=slot.start,
        end=slot.end,
        timezone=slot.timezone,
        capacity=slot.capacity,
        remaining=slot.capacity - slot.booked_count,
    )


@dataclasses.dataclass(frozen=True)
class Booking:
    appointment: AppointmentInfo
    created: bool
    allergy_warnings: tuple[AllergyWarning, ...]


def appointment_book(
    *,
    patient_id: int,
    slot_id: int,
    appointment_type_id: int,
    channel: BookingChannel,
    booked_by_id: int | None,
    reason: str = "",
    idempotency_key: str | None = None,
    allergy_acknowledged: bool = False,
) -> Booking:
    result = services.appointment_book(
        patient_id=patient_id,
        slot_id=slot_id,
        appointment_type_id=appointment_type_id,
        channel=channel,
        booked_by_id=booked_by_id,
        reason=reason,
        idempotency_key=idempotency_key,
        allergy_acknowledged=allergy_acknowledged,
    )
    return Booking(
        appointment=_appointment_info(result.appointment),
        created=result.created,
        allergy_warnings=result.allergy_warnings,
    )


def appointment_transition(
    *, appointment_id: int, to: AppointmentStatus, by_id: int | None
) -> AppointmentInfo:
    return _appointment_info(
        services.appointment_transition(appointment_id=appointment_id, to=to, by_id=by_id)
    )


def appointment_cancel(
    *,
    appointment_id: int,
    by_id: int | None,
    reason: str = "",
    by_patient: bool = False,
    patient_id: int | None = None,
) -> AppointmentInfo:
    return _appointment_info(
        services.appointment_cancel(
            appointment_id=appointment_id,
            by_id=by_id,
            reason=reason,
            by_patient=by_patient,
            patient_id=patient_id,
        )
    )


def appointment_reschedule(
    *,
    appointment_id: int,
    new_slot_id: int,
    by_id: int | None,
    channel: BookingChannel,
    patient_id: int | None = None,
    allergy_acknowledged: bool = False,
) -> AppointmentInfo:
    return _appointment_info(
        services.appointment_reschedule(
            appointment_id=appointment_id,
            new_slot_id=new_slot_id,
            by_id=by_id,
            channel=channel,
            patient_id=patient_id,
            allergy_acknowledged=allergy_acknowledged,
        )
    )


def appointment_clear_allergy_review(*, appointment_id: int, by_id: int) -> AppointmentInfo:
    return _appointment_info(
        services.appointment_clear_allergy_review(appointment_id=appointment_id, by_id=by_id)
    )


def appointment_get(
    *, appointment_id: int, patient_id: int | None = None
) -> AppointmentInfo | None:
    appointment = selectors.appointment_get(appointment_id=appointment_id, patient_id=patient_id)
    return _appointment_info(appointment) if appointment else None


def appointments_for_patient(
    *, patient_id: int, when: str | None = None, statuses: Iterable[str] | None = None
) -> list[AppointmentInfo]:
    return [
        _appointment_info(a)
        for a in selectors.appointment_list_for_patient(
            patient_id=patient_id, when=when, statuses=statuses
        )
    ]


def slots_available(
    *,
    start: dt.datetime,
    end: dt.datetime,
    practitioner_ids: Iterable[int] | None = None,
    location_id: int | None = None,
    role_ids: Iterable[int] | None = None,
    limit: int = 500,
) -> list[SlotInfo]:
    return [
        _slot_info(slot)
        for slot in selectors.slot_list_available(
            start=start,
            end=end,
            practitioner_ids=practitioner_ids,
            location_id=location_id,
            role_ids=role_ids,
            limit=limit,
        )
    ]


def has_care_relationship(*, user_id: int, patient_id: int) -> bool:
    """A staff user relates to a patient seen at one of their locations (24 months back to 12
    ahead); the layers above enforce it before showing a patient."""
    return selectors.has_care_relationship(user_id=user_id, patient_id=patient_id)


def care_patient_ids(*, user_id: int) -> list[int]:
    return list(selectors.care_patient_ids(user_id=user_id))


def appointments_bulk_import(*, rows: Sequence[AppointmentImport]) -> int:
    return services.appointments_bulk_import(rows=rows)


def slots_extend_horizon(*, today: dt.date | None = None) -> int:
    return services.slots_extend_horizon(today=today)


def slots_generate_for_role(*, role_id: int, date_from: dt.date, date_to: dt.date) -> int:
    return services.slots_generate_for_role(
        role_id=role_id, date_from=date_from, date_to=date_to
    ).created
