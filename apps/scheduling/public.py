"""What other apps may call in scheduling: booking, the lifecycle, slots, care relationships."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from django.utils import timezone

from apps.allergies import public as allergies
from apps.core.changes import RecordChange
from apps.core.errors import ValidationFailed
from apps.patients import public as patients
from apps.providers import public as providers
from apps.providers.contracts import (
    AvailabilityChange,
    BookableRole,
    OnlineBookableOffer,
    ProviderNotFound,
)
from apps.scheduling import selectors, services
from apps.scheduling.contracts import (
    AllergyReviewItem,
    AllergyWarning,
    AppointmentDetail,
    AppointmentImport,
    AppointmentInfo,
    AppointmentNotFound,
    AppointmentStatus,
    BookableSlot,
    BookingChannel,
    PatientBooking,
    ProviderAvailability,
    SlotInfo,
    SlotNotFound,
    SlotOption,
    SlotPreview,
    WaitlistEntryDetail,
    WaitlistEntryNotFound,
    WaitlistStatus,
)
from apps.scheduling.models import Appointment, Slot, WaitlistEntry
from apps.scheduling.slots import slot_specs


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


def day_schedule(*, location_ids: Iterable[int], day: dt.date) -> list[AppointmentDetail]:
    """The day's appointments at these locations, each location's day in its own time zone,
    grouped by location and practitioner, in time order (entered-in-error left out)."""
    zones = providers.locations_by_ids(ids=list(location_ids))
    rows = selectors.appointment_list_for_day(
        locations=[(location.id, location.timezone) for location in zones.values()], day=day
    )
    return [_appointment_detail(appointment) for appointment in rows]


def appointment_detail(*, appointment_id: int) -> AppointmentDetail:
    """Any appointment with its names (staff views check the location first); raises
    AppointmentNotFound."""
    return _detail_of(appointment_id)


def has_care_relationship(*, user_id: int, patient_id: int) -> bool:
    """A staff user relates to a patient seen at one of their locations (24 months back to 12
    ahead), or registered by them in the last 30 days (ADR 0004); the layers above enforce it
    before showing a patient."""
    return selectors.has_care_relationship(user_id=user_id, patient_id=patient_id)


def care_patient_ids(*, user_id: int) -> list[int]:
    seen = list(selectors.care_patient_ids(user_id=user_id))
    registered = patients.patient_ids_registered_by(
        user_id=user_id, since=timezone.now() - selectors.CARE_REGISTRATION_WINDOW
    )
    return seen + sorted(registered.difference(seen))


def care_related_patient_ids(*, user_id: int, patient_ids: Iterable[int]) -> set[int]:
    """Those of `patient_ids` in the user's care relationship, in a constant number of queries:
    filter a search's results without passing the user's whole panel around."""
    return selectors.care_related_patient_ids(user_id=user_id, patient_ids=patient_ids)


def appointments_bulk_import(*, rows: Sequence[AppointmentImport]) -> int:
    return services.appointments_bulk_import(rows=rows)


def slots_extend_horizon(*, today: dt.date | None = None) -> int:
    return services.slots_extend_horizon(today=today)


def slots_generate_for_role(*, role_id: int, date_from: dt.date, date_to: dt.date) -> int:
    return services.slots_generate_for_role(
        role_id=role_id, date_from=date_from, date_to=date_to
    ).created


# --- the patient API: reads and writes that answer with the names a patient sees -------------


def _appointment_detail(appointment: Appointment) -> AppointmentDetail:
    """Needs practitioner, location and appointment_type selected with the appointment."""
    info = _appointment_info(appointment)
    return AppointmentDetail(
        **dataclasses.asdict(info),
        practitioner_name=str(appointment.practitioner),
        location_name=appointment.location.name,
        appointment_type_name=appointment.appointment_type.name,
    )


def _detail_of(appointment_id: int) -> AppointmentDetail:
    appointment = selectors.appointment_get(appointment_id=appointment_id)
    if appointment is None:
        raise AppointmentNotFound("No such appointment.")
    return _appointment_detail(appointment)


def patient_appointment_count(
    *, patient_id: int, when: str | None = None, statuses: Iterable[str] | None = None
) -> int:
    return selectors.appointment_count_for_patient(
        patient_id=patient_id, when=when, statuses=statuses
    )


def patient_appointments(
    *,
    patient_id: int,
    when: str | None = None,
    statuses: Iterable[str] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[AppointmentDetail]:
    """One page of the patient's appointments (upcoming soonest first, else latest first)."""
    rows = selectors.appointment_rows_for_patient(
        patient_id=patient_id, when=when, statuses=statuses, offset=offset, limit=limit
    )
    return [_detail_from_row(row) for row in rows]


def _detail_from_row(row: dict) -> AppointmentDetail:
    """An AppointmentDetail from a selectors.APPOINTMENT_ROW_FIELDS row (no model instance)."""
    name = " ".join(
        part
        for part in (
            row["practitioner__prefix"],
            row["practitioner__given_name"],
            row["practitioner__family_name"],
        )
        if part
    )
    return AppointmentDetail(
        id=row["id"],
        patient_id=row["patient_id"],
        practitioner_id=row["practitioner_id"],
        location_id=row["location_id"],
        appointment_type_id=row["appointment_type_id"],
        slot_id=row["slot_id"],
        start=row["start"],
        end=row["end"],
        timezone=row["timezone"],
        status=AppointmentStatus(row["status"]),
        channel=BookingChannel(row["channel"]),
        reason=row["reason"],
        needs_allergy_review=row["needs_allergy_review"],
        rescheduled_from_id=row["rescheduled_from_id"],
        practitioner_name=name,
        location_name=row["location__name"],
        appointment_type_name=row["appointment_type__name"],
    )


def patient_appointment_page(
    *,
    patient_id: int,
    when: str | None = None,
    statuses: Iterable[str] | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[int | None, list[AppointmentDetail]]:
    """One page of the patient's appointments and the count of all, in one query.

    The count is None for a page past the end (it has no rows to carry it); ask
    patient_appointment_count then.
    """
    rows = selectors.appointment_rows_for_patient(
        patient_id=patient_id, when=when, statuses=statuses, offset=offset, limit=limit
    )
    total = rows[0]["total"] if rows else (0 if offset == 0 else None)
    return total, [_detail_from_row(row) for row in rows]


def patient_appointment_get(*, appointment_id: int, patient_id: int) -> AppointmentDetail:
    """The patient's own appointment; another patient's is not found."""
    appointment = selectors.appointment_get(appointment_id=appointment_id, patient_id=patient_id)
    if appointment is None:
        raise AppointmentNotFound("No such appointment.")
    return _appointment_detail(appointment)


def patient_appointment_book(
    *,
    patient_id: int,
    slot_id: int,
    appointment_type_id: int,
    booked_by_id: int | None,
    reason: str = "",
    idempotency_key: str | None = None,
) -> PatientBooking:
    """A patient books online (appointment_book with the patient channel).

    A replayed idempotency key returns the first booking with the same allergy warnings, so
    the answer reads the same as the first one.
    """
    booking = appointment_book(
        patient_id=patient_id,
        slot_id=slot_id,
        appointment_type_id=appointment_type_id,
        channel=BookingChannel.PATIENT,
        booked_by_id=booked_by_id,
        reason=reason,
        idempotency_key=idempotency_key,
    )
    return PatientBooking(
        appointment=_detail_of(booking.appointment.id),
        created=booking.created,
        allergy_substances=tuple(warning.substance for warning in booking.allergy_warnings),
    )


def patient_appointment_cancel(
    *, appointment_id: int, patient_id: int, by_id: int | None, reason: str = ""
) -> AppointmentDetail:
    """The patient cancels their own appointment, within the online cancellation window."""
    appointment = services.appointment_cancel(
        appointment_id=appointment_id,
        by_id=by_id,
        reason=reason,
        by_patient=True,
        patient_id=patient_id,
    )
    return _detail_of(appointment.id)


def patient_appointment_reschedule(
    *, appointment_id: int, patient_id: int, new_slot_id: int, by_id: int | None
) -> AppointmentDetail:
    """The patient moves their own appointment; the answer is the new appointment."""
    appointment = services.appointment_reschedule(
        appointment_id=appointment_id,
        new_slot_id=new_slot_id,
        by_id=by_id,
        channel=BookingChannel.PATIENT,
        patient_id=patient_id,
    )
    return _detail_of(appointment.id)


# --- online-bookable slots and provider search ----------------------------------------------


def _offers_for(appointment_type_id: int | None) -> list[OnlineBookableOffer]:
    offers = providers.online_bookable_offers()
    if appointment_type_id is None:
        return offers
    chosen = [offer for offer in offers if offer.appointment_type.id == appointment_type_id]
    if not chosen:
        raise ValidationFailed(
            "This appointment type cannot be booked online.",
            field_errors={"appointment_type": ["Unknown or not bookable online."]},
        )
    return chosen


def _offers_among(
    offers: list[OnlineBookableOffer], roles: dict[int, BookableRole]
) -> list[OnlineBookableOffer]:
    """The offers narrowed to the given roles; offers none of them makes are left out."""
    narrowed = []
    for offer in offers:
        role_ids = tuple(role_id for role_id in offer.role_ids if role_id in roles)
        if role_ids:
            narrowed.append(dataclasses.replace(offer, role_ids=role_ids))
    return narrowed


def bookable_slot_count(
    *,
    start: dt.datetime,
    end: dt.datetime,
    practitioner_id: int | None = None,
    specialty_code: str | None = None,
    location_id: int | None = None,
    appointment_type_id: int | None = None,
) -> int:
    """How many slots bookable_slot_page's filters find (for a page past the end)."""
    offers = _offers_for(appointment_type_id)
    roles = providers.bookable_roles(
        specialty_code=specialty_code, practitioner_id=practitioner_id, location_id=location_id
    )
    return selectors.bookable_slot_count(offers=_offers_among(offers, roles), start=start, end=end)


def bookable_slots(*, offset: int = 0, limit: int = 100, **filters: object) -> list[BookableSlot]:
    """One page of bookable_slot_page without its count (the same filters: start, end,
    practitioner_id, specialty_code, location_id, appointment_type_id)."""
    return bookable_slot_page(offset=offset, limit=limit, **filters)[1]  # type: ignore[arg-type]


def _bookable_from_rows(
    rows: list[dict],
    offers: list[OnlineBookableOffer],
    roles: dict[int, BookableRole],
    *,
    now: dt.datetime,
) -> list[BookableSlot]:
    """BookableSlots from selectors.SLOT_ROW_FIELDS rows of the given roles (names included)."""
    offered = [(offer.appointment_type, frozenset(offer.role_ids)) for offer in offers]
    found = []
    for row in rows:
        start, end, role_id = row["start"], row["end"], row["practitioner_role_id"]
        role = roles[role_id]
        found.append(
            BookableSlot(
                id=row["id"],
                practitioner_id=row["practitioner_id"],
                location_id=row["location_id"],
                practitioner_role_id=role_id,
                start=start,
                end=end,
                timezone=row["timezone"],
                capacity=row["capacity"],
                remaining=row["capacity"] - row["booked_count"],
                practitioner_name=role.practitioner_name,
                location_name=role.location_name,
                appointment_types=tuple(
                    kind
                    for kind, role_ids in offered
                    if role_id in role_ids and selectors.slot_fits(start, end, kind, now=now)
                ),
            )
        )
    return found


def bookable_slot_page(
    *,
    start: dt.datetime,
    end: dt.datetime,
    practitioner_id: int | None = None,
    specialty_code: str | None = None,
    location_id: int | None = None,
    appointment_type_id: int | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[int | None, list[BookableSlot]]:
    """One page of the free slots a patient can book online, soonest first, and the count of
    all, in three queries whatever the sizes: the offers, the roles the filters leave (with
    their names), the page with its count. The count is None for a page past the end.

    Without an appointment type, a slot qualifies when any online-bookable type its role
    offers fits it (notice, horizon, length); each slot lists the types that fit.
    """
    now = timezone.now()
    offers = _offers_for(appointment_type_id)
    roles = providers.bookable_roles(
        specialty_code=specialty_code, practitioner_id=practitioner_id, location_id=location_id
    )
    # Each offer narrowed to these roles: the query reads only their slots.
    offers = _offers_among(offers, roles)
    rows = selectors.bookable_slot_rows(
        offers=offers, start=start, end=end, now=now, offset=offset, limit=limit
    )
    total = rows[0]["total"] if rows else (0 if offset == 0 else None)
    return total, _bookable_from_rows(rows, offers, roles, now=now)


def provider_search(
    *,
    specialty_code: str | None = None,
    location_id: int | None = None,
    language: str | None = None,
    name: str | None = None,
    available_within_days: int | None = None,
    soonest_first: bool = False,
) -> list[ProviderAvailability]:
    """Active practitioners matching the filters with their next online-bookable slot.

    Five queries whatever the number found. `available_within_days` keeps those with such a
    slot within that many days; `soonest_first` orders by it, those without one last.
    """
    found = providers.practitioner_search(
        specialty_code=specialty_code, location_id=location_id, language=language, name=name
    )
    ids = [practitioner.id for practitioner in found]
    until = (
        timezone.now() + dt.timedelta(days=available_within_days)
        if available_within_days is not None
        else None
    )
    soonest = selectors.next_bookable_slots(
        offers=providers.online_bookable_offers(), practitioner_ids=ids, until=until
    )
    places = providers.practitioner_locations(practitioner_ids=ids)
    results = [
        ProviderAvailability(
            practitioner=practitioner,
            locations=places.get(practitioner.id, ()),
            next_available=soonest[practitioner.id].start if practitioner.id in soonest else None,
            next_available_timezone=(
                soonest[practitioner.id].timezone if practitioner.id in soonest else None
            ),
        )
        for practitioner in found
        if until is None or practitioner.id in soonest
    ]
    if soonest_first:
        # Stable sort: equal times (and those without a slot) keep the search's name order.
        results.sort(key=lambda result: (result.next_available is None, result.next_available))
    return results


def provider_get(*, practitioner_id: int) -> ProviderAvailability:
    """An active practitioner with their next online-bookable slot; inactive ones are not found."""
    practitioner = providers.practitioner_get(practitioner_id=practitioner_id)
    if not practitioner.active:
        raise ProviderNotFound("No such practitioner.")
    soonest = selectors.next_bookable_slots(
        offers=providers.online_bookable_offers(), practitioner_ids=[practitioner_id]
    ).get(practitioner_id)
    return ProviderAvailability(
        practitioner=practitioner,
        locations=providers.practitioner_locations(practitioner_ids=[practitioner_id])[
            practitioner_id
        ],
        next_available=soonest.start if soonest else None,
        next_available_timezone=soonest.timezone if soonest else None,
    )


# --- the waitlist ---------------------------------------------------------------------------


def _waitlist_detail(entry: WaitlistEntry) -> WaitlistEntryDetail:
    """Needs the entry's references selected with it."""
    offered = entry.offered_slot if entry.status == WaitlistStatus.OFFERED else None
    return WaitlistEntryDetail(
        id=entry.id,
        patient_id=entry.patient_id,
        status=WaitlistStatus(entry.status),
        appointment_type_id=entry.appointment_type_id,
        appointment_type_name=entry.appointment_type.name,
        practitioner_id=entry.practitioner_id,
        practitioner_name=str(entry.practitioner) if entry.practitioner_id else None,
        specialty_code=entry.specialty.code if entry.specialty_id else None,
        specialty_name=entry.specialty.name if entry.specialty_id else None,
        location_id=entry.location_id,
        location_name=entry.location.name if entry.location_id else None,
        date_from=entry.date_from,
        date_to=entry.date_to,
        offered_slot_id=offered.id if offered else None,
        offer_start=offered.start if offered else None,
        offer_end=offered.end if offered else None,
        offer_timezone=offered.timezone if offered else None,
        offer_expires_at=entry.offer_expires_at if offered else None,
        appointment_id=entry.appointment_id,
        created_at=entry.created_at,
    )


def _waitlist_detail_of(entry_id: int, patient_id: int) -> WaitlistEntryDetail:
    entry = selectors.waitlist_entry_get(entry_id=entry_id, patient_id=patient_id)
    if entry is None:
        raise WaitlistEntryNotFound("No such waitlist entry.")
    return _waitlist_detail(entry)


def waitlist_join(
    *,
    patient_id: int,
    appointment_type_id: int,
    date_from: dt.date,
    date_to: dt.date,
    practitioner_id: int | None = None,
    specialty_code: str | None = None,
    location_id: int | None = None,
    by_id: int | None = None,
) -> WaitlistEntryDetail:
    entry = services.waitlist_join(
        patient_id=patient_id,
        appointment_type_id=appointment_type_id,
        date_from=date_from,
        date_to=date_to,
        practitioner_id=practitioner_id,
        specialty_code=specialty_code,
        location_id=location_id,
        by_id=by_id,
    )
    return _waitlist_detail_of(entry.id, patient_id)


def waitlist_entries(*, patient_id: int) -> list[WaitlistEntryDetail]:
    """The patient's open entries (waiting or offered), oldest first, in one query."""
    return [
        _waitlist_detail(entry)
        for entry in selectors.waitlist_entries_for_patient(patient_id=patient_id)
    ]


def waitlist_leave(*, entry_id: int, patient_id: int) -> WaitlistEntryDetail:
    """The patient leaves the waitlist; a held place goes to the next waiting patient."""
    entry = services.waitlist_leave(entry_id=entry_id, patient_id=patient_id)
    return _waitlist_detail_of(entry.id, patient_id)


def waitlist_accept(*, entry_id: int, patient_id: int, by_id: int | None) -> AppointmentDetail:
    """The offered patient takes the held place; the answer is the new appointment."""
    appointment = services.waitlist_accept(entry_id=entry_id, patient_id=patient_id, by_id=by_id)
    return _detail_of(appointment.id)


# --- staff review queues and schedule previews ----------------------------------------------


def allergy_reviews(*, location_ids: Iterable[int]) -> list[AllergyReviewItem]:
    """Bookings at these locations flagged for an allergy review (cleared by
    appointment_clear_allergy_review), soonest first, with their patients and the substances
    the type's triggers reach. Four queries whatever their number."""
    appointments = list(selectors.allergy_review_appointments(location_ids=location_ids))
    if not appointments:
        return []
    kinds = {
        kind.id: kind
        for kind in providers.appointment_types(
            ids={appointment.appointment_type_id for appointment in appointments}
        )
    }
    triggered = allergies.triggered_allergies_many(
        triggers={
            appointment.id: (
                appointment.patient_id,
                kinds[appointment.appointment_type_id].allergen_triggers,
            )
            for appointment in appointments
        }
    )
    summaries = patients.patient_summaries(
        patient_ids={appointment.patient_id for appointment in appointments}
    )
    return [
        AllergyReviewItem(
            appointment=_appointment_detail(appointment),
            patient=summaries.get(appointment.patient_id),
            substances=tuple(found.substance_display for found in triggered[appointment.id]),
        )
        for appointment in appointments
    ]


def slot_preview(
    *, role_id: int, change: AvailabilityChange, date_from: dt.date, date_to: dt.date
) -> list[SlotPreview]:
    """The slots the role's availability would produce on the local dates [date_from, date_to]
    once `change` is saved, without saving anything: the same expansion and DST handling as
    slot generation. Raises as saving the change would (ValidationFailed, AvailabilityOverlap,
    ProviderNotFound). Four queries."""
    role = providers.practitioner_role_get(role_id=role_id)
    windows = providers.availability_preview(
        role_id=role_id, change=change, date_from=date_from, date_to=date_to
    )
    return [
        SlotPreview(start=spec.start, end=spec.end, capacity=spec.capacity, timezone=role.timezone)
        for spec in slot_specs(windows, ZoneInfo(role.timezone))
    ]


# --- staff booking and the waitlist board ---------------------------------------------------


def staff_bookable_slots(
    *,
    appointment_type_id: int,
    start: dt.datetime,
    end: dt.datetime,
    practitioner_ids: Iterable[int] | None = None,
    location_ids: Iterable[int] | None = None,
    limit: int = 500,
) -> list[SlotOption]:
    """Free slots in [start, end) where staff can book this type, soonest first, with names.

    A slot qualifies when an active role offering the type holds it and it is long enough for
    the type with its buffers. Five queries whatever the number of slots.
    """
    kind = providers.appointment_type_get(appointment_type_id=appointment_type_id)
    role_ids = [
        role.id
        for role in providers.practitioner_roles_active()
        if appointment_type_id in role.appointment_type_ids
    ]
    slots = list(
        selectors.slot_list_for_roles(
            role_ids=role_ids,
            kind=kind,
            start=start,
            end=end,
            practitioner_ids=practitioner_ids,
            location_ids=location_ids,
            limit=limit,
        )
    )
    names = providers.practitioner_display_names(ids={slot.practitioner_id for slot in slots})
    places = providers.locations_by_ids(ids={slot.location_id for slot in slots})
    return [
        SlotOption(
            **dataclasses.asdict(_slot_info(slot)),
            practitioner_name=names.get(slot.practitioner_id, ""),
            location_name=places[slot.location_id].name if slot.location_id in places else "",
        )
        for slot in slots
    ]


def slot_option(*, slot_id: int) -> SlotOption:
    """One slot, whatever its state, with its names (three queries); raises SlotNotFound."""
    slot = selectors.slot_get(slot_id=slot_id)
    if slot is None:
        raise SlotNotFound("No such slot.")
    names = providers.practitioner_display_names(ids=[slot.practitioner_id])
    places = providers.locations_by_ids(ids=[slot.location_id])
    return SlotOption(
        **dataclasses.asdict(_slot_info(slot)),
        practitioner_name=names.get(slot.practitioner_id, ""),
        location_name=places[slot.location_id].name if slot.location_id in places else "",
    )


def waitlist_board(*, location_ids: Iterable[int]) -> list[WaitlistEntryDetail]:
    """Open entries (waiting or offered) at these locations or at any location, oldest first,
    in one query."""
    return [
        _waitlist_detail(entry)
        for entry in selectors.waitlist_open_entries(location_ids=location_ids)
    ]


def waitlist_entry(*, entry_id: int) -> WaitlistEntryDetail:
    """Any patient's entry (staff views check its location first); raises WaitlistEntryNotFound."""
    entry = selectors.waitlist_entry_by_id(entry_id=entry_id)
    if entry is None:
        raise WaitlistEntryNotFound("No such waitlist entry.")
    return _waitlist_detail(entry)


def waitlist_cancel_by_staff(*, entry_id: int, by_id: int) -> WaitlistEntryDetail:
    """Staff remove an open entry; a held place goes to the next waiting patient."""
    entry = services.waitlist_cancel_by_staff(entry_id=entry_id, by_id=by_id)
    return _waitlist_detail_of(entry.id, entry.patient_id)


def appointment_changes(*, patient_id: int) -> list[RecordChange]:
    """Who changed what in the patient's appointments and when, newest first, in one query."""
    return selectors.appointment_changes(patient_id=patient_id)[::-1]
