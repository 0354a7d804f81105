"""Writes of scheduling: slots from availability, the appointment lifecycle, the waitlist."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.allergies import public as allergies
from apps.core.errors import ValidationFailed
from apps.core.history import history_actor_set, history_record_bulk_created
from apps.core.outbox import emit, emit_many
from apps.patients import public as patients
from apps.patients.contracts import ReviewStatus
from apps.providers import public as providers
from apps.providers.contracts import AppointmentTypeInfo, ProviderNotFound
from apps.scheduling.contracts import (
    ACTIVE_STATUSES,
    TRANSITIONS,
    AllergyAcknowledgementRequired,
    AllergyWarning,
    AppointmentImport,
    AppointmentNotFound,
    AppointmentStatus,
    BookingChannel,
    BookingNotAllowed,
    IdempotencyMismatch,
    InvalidTransition,
    OutsideCancellationWindow,
    PatientNotApproved,
    PatientOverlap,
    SlotStatus,
    SlotUnavailable,
    WaitlistEntryNotFound,
    WaitlistOfferExpired,
    WaitlistStatus,
)
from apps.scheduling.events import (
    AppointmentAllergyReviewed,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    AppointmentStatusChanged,
    WaitlistEntryChanged,
    WaitlistOfferMade,
)
from apps.scheduling.models import Appointment, BookingRequest, Slot, WaitlistEntry
from apps.scheduling.slots import slot_specs, utc_bounds

# --- slots ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SlotGeneration:
    created: int
    removed: int
    kept_booked: int


@transaction.atomic
def slots_generate_for_role(
    *, role_id: int, date_from: dt.date, date_to: dt.date
) -> SlotGeneration:
    """Make the role's slots in [date_from, date_to] (local dates) match its availability.

    Slots that hold bookings are never touched; free slots no longer offered are removed (or
    marked busy-unavailable when an old, cancelled appointment still points at them).
    """
    role = providers.practitioner_role_get(role_id=role_id)
    zone = ZoneInfo(role.timezone)
    windows = providers.availability_windows(role_id=role_id, date_from=date_from, date_to=date_to)
    desired = {spec.start: spec for spec in slot_specs(windows, zone)}
    range_start, range_end = utc_bounds(date_from, date_to, zone)
    now = timezone.now()
    existing = {
        slot.start: slot
        for slot in Slot.objects.select_for_update().filter(
            practitioner_role_id=role_id, start__gte=max(range_start, now), start__lt=range_end
        )
    }
    to_create = [
        Slot(
            practitioner_role_id=role_id,
            practitioner_id=role.practitioner_id,
            location_id=role.location_id,
            start=spec.start,
            end=spec.end,
            timezone=role.timezone,
            capacity=spec.capacity,
        )
        for start, spec in desired.items()
        if start not in existing and start > now
    ]
    Slot.objects.bulk_create(to_create, ignore_conflicts=True)

    kept_booked = removed = 0
    unwanted = [slot for start, slot in existing.items() if start not in desired]
    referenced = set(
        Appointment.objects.filter(slot__in=unwanted).values_list("slot_id", flat=True)
    ) | set(
        WaitlistEntry.objects.filter(offered_slot__in=unwanted).values_list(
            "offered_slot_id", flat=True
        )
    )
    for slot in unwanted:
        if slot.booked_count > 0:
            kept_booked += 1
        elif slot.id in referenced:
            if slot.status != SlotStatus.BUSY_UNAVAILABLE:
                slot.status = SlotStatus.BUSY_UNAVAILABLE
                slot.save(update_fields=["status"])
            removed += 1
        else:
            slot.delete()
            removed += 1
    for start, spec in desired.items():
        slot = existing.get(start)
        if slot is None:
            continue
        changed = []
        if slot.capacity != spec.capacity and slot.booked_count <= spec.capacity:
            slot.capacity = spec.capacity
            changed.append("capacity")
        if slot.status == SlotStatus.BUSY_UNAVAILABLE:
            slot.status = SlotStatus.FREE
            changed.append("status")
        if changed:
            slot.save(update_fields=changed)
    return SlotGeneration(created=len(to_create), removed=removed, kept_booked=kept_booked)


def slots_extend_horizon(*, today: dt.date | None = None) -> int:
    """Keep every active role's slots generated up to the rolling horizon; slots created."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.SLOT_HORIZON_DAYS)
    return sum(
        slots_generate_for_role(role_id=role.id, date_from=today, date_to=horizon).created
        for role in providers.practitioner_roles_active()
    )


# --- booking --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BookingResult:
    appointment: Appointment
    created: bool
    allergy_warnings: tuple[AllergyWarning, ...]


def _fingerprint(**fields: object) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def _lock_key(scope: str, key: str) -> None:
    """Serialise requests carrying the same idempotency key (held until the transaction ends)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"{scope}:{key}"])


def _check_booking_rules(
    *, slot: Slot, kind: AppointmentTypeInfo, channel: BookingChannel, now: dt.datetime
) -> None:
    length = (slot.end - slot.start).total_seconds() / 60
    needed = kind.duration_minutes + kind.buffer_before_minutes + kind.buffer_after_minutes
    if needed > length:
        raise BookingNotAllowed(
            f"A {kind.name} needs {needed} minutes with its buffers; this slot has {length:.0f}.",
            field_errors={"slot": ["The slot is too short for this appointment type."]},
        )
    if slot.start <= now:
        raise BookingNotAllowed(
            "The slot has already started.", field_errors={"slot": ["The slot is in the past."]}
        )
    if channel is BookingChannel.PATIENT:
        if not kind.online_bookable:
            raise BookingNotAllowed(
                "This appointment type cannot be booked online; please call the clinic.",
                field_errors={"appointment_type": ["Not bookable online."]},
            )
        if slot.start < now + dt.timedelta(minutes=kind.minimum_notice_minutes):
            raise BookingNotAllowed(
                f"Online bookings need {kind.minimum_notice_minutes} minutes' notice.",
                field_errors={"slot": ["Too soon to book online."]},
            )
        if slot.start > now + dt.timedelta(days=kind.booking_horizon_days):
            raise BookingNotAllowed(
                f"Online bookings open {kind.booking_horizon_days} days ahead.",
                field_errors={"slot": ["Too far ahead to book online."]},
            )


def _constraint_of(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def _insert_appointment(appointment: Appointment) -> None:
    """Insert, translating the database's refusals into the conflicts they mean."""
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        constraint = _constraint_of(error)
        if constraint == "appt_patient_no_overlap":
            raise PatientOverlap(
                "The patient already has an appointment at that time.",
                field_errors={"slot": ["Overlaps another appointment of the patient."]},
            ) from error
        if constraint == "slot_within_capacity":
            raise SlotUnavailable("The slot was taken meanwhile; please choose another.") from error
        raise


def _event_fields(appointment: Appointment) -> dict:
    return {
        "appointment_id": appointment.id,
        "patient_id": appointment.patient_id,
        "practitioner_id": appointment.practitioner_id,
        "location_id": appointment.location_id,
        "appointment_type_id": appointment.appointment_type_id,
        "start": appointment.start,
        "end": appointment.end,
        "timezone": appointment.timezone,
    }


def _new_appointment(
    *,
    patient_id: int,
    slot: Slot,
    appointment_type_id: int,
    reason: str,
    channel: BookingChannel,
    booked_by_id: int | None,
    allergy_acknowledged: bool,
    allow_held_slot: bool = False,
) -> tuple[Appointment, tuple[AllergyWarning, ...]]:
    """Check every rule and insert a booked appointment in `slot` (locked by the caller)."""
    now = timezone.now()
    patient = patients.patient_get(patient_id=patient_id)
    if not patient.active:
        raise BookingNotAllowed(
            "The patient record is inactive.", field_errors={"patient": ["Inactive patient."]}
        )
    if patient.review_status != ReviewStatus.APPROVED:
        raise PatientNotApproved(
            "The registration is waiting for staff review; booking opens once it is approved."
        )
    usable = {SlotStatus.FREE, SlotStatus.BUSY_TENTATIVE} if allow_held_slot else {SlotStatus.FREE}
    if slot.status not in usable or slot.booked_count >= slot.capacity:
        raise SlotUnavailable("The slot was taken meanwhile; please choose another.")
    role = providers.practitioner_role_get(role_id=slot.practitioner_role_id)
    if not role.active or appointment_type_id not in role.appointment_type_ids:
        raise BookingNotAllowed(
            "This appointment type is not offered in this slot.",
            field_errors={"appointment_type": ["Not offered by this practitioner here."]},
        )
    kind = providers.appointment_type_get(appointment_type_id=appointment_type_id)
    _check_booking_rules(slot=slot, kind=kind, channel=channel, now=now)

    warnings = _allergy_warnings(patient_id=patient_id, kind=kind)
    appointment = Appointment(
        patient_id=patient_id,
        slot=slot,
        practitioner_id=slot.practitioner_id,
        location_id=slot.location_id,
        appointment_type_id=appointment_type_id,
        start=slot.start,
        end=slot.start + dt.timedelta(minutes=kind.duration_minutes),
        timezone=slot.timezone,
        status=AppointmentStatus.BOOKED,
        channel=channel,
        reason=reason.strip(),
        booked_at=now,
        created_by_id=booked_by_id,
        updated_by_id=booked_by_id,
    )
    if warnings and channel is BookingChannel.STAFF:
        if not allergy_acknowledged:
            names = ", ".join(sorted({w.substance for w in warnings}))
            raise AllergyAcknowledgementRequired(
                f"{kind.name} involves {names}, to which the patient has a recorded allergy. "
                "Acknowledge the warning to book anyway.",
                warnings=list(warnings),
            )
        appointment.allergy_acknowledged_by_id = booked_by_id
        appointment.allergy_acknowledged_at = now
    if warnings and channel is BookingChannel.PATIENT:
        appointment.needs_allergy_review = True
    history_actor_set(appointment, user_id=booked_by_id)
    _insert_appointment(appointment)
    return appointment, warnings


def _allergy_warnings(*, patient_id: int, kind: AppointmentTypeInfo) -> tuple[AllergyWarning, ...]:
    """The patient's active allergies that this appointment type's triggers match."""
    return tuple(
        AllergyWarning(
            allergy_id=t.allergy_id, substance=t.substance_display, criticality=str(t.criticality)
        )
        for t in allergies.triggered_allergies(
            patient_id=patient_id, trigger_codes=kind.allergen_triggers
        )
    )


def _replayed(appointment: Appointment) -> BookingResult:
    """The first booking again, with the allergy warnings it was booked with."""
    warnings: tuple[AllergyWarning, ...] = ()
    if appointment.needs_allergy_review or appointment.allergy_acknowledged_at is not None:
        kind = providers.appointment_type_get(appointment_type_id=appointment.appointment_type_id)
        warnings = _allergy_warnings(patient_id=appointment.patient_id, kind=kind)
    return BookingResult(appointment=appointment, created=False, allergy_warnings=warnings)


def _locked_slot(slot_id: int) -> Slot:
    slot = Slot.objects.select_for_update().filter(id=slot_id).first()
    if slot is None:
        raise ValidationFailed("No such slot.", field_errors={"slot": ["Unknown slot."]})
    return slot


@transaction.atomic
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
) -> BookingResult:
    """Book a slot for a patient.

    The same idempotency key with the same request returns the first booking and creates
    nothing; with a different request it is refused. Staff must acknowledge an allergy the
    appointment type triggers; a patient's own booking is kept and flagged for staff review.
    """
    fingerprint = _fingerprint(
        patient=patient_id, slot=slot_id, type=appointment_type_id, reason=reason.strip()
    )
    scope = f"user:{booked_by_id}" if booked_by_id else f"patient:{patient_id}"
    if idempotency_key:
        _lock_key(scope, idempotency_key)
        seen = (
            BookingRequest.objects.select_related("appointment")
            .filter(scope=scope, key=idempotency_key)
            .first()
        )
        if seen is not None:
            if seen.request_fingerprint != fingerprint:
                raise IdempotencyMismatch(
                    "This Idempotency-Key was already used for a different booking request."
                )
            return _replayed(seen.appointment)

    slot = _locked_slot(slot_id)
    appointment, warnings = _new_appointment(
        patient_id=patient_id,
        slot=slot,
        appointment_type_id=appointment_type_id,
        reason=reason,
        channel=channel,
        booked_by_id=booked_by_id,
        allergy_acknowledged=allergy_acknowledged,
    )
    if idempotency_key:
        BookingRequest.objects.create(
            scope=scope,
            key=idempotency_key,
            request_fingerprint=fingerprint,
            appointment=appointment,
        )
    emit(
        AppointmentBooked(
            **_event_fields(appointment),
            channel=appointment.channel,
            needs_allergy_review=appointment.needs_allergy_review,
            booked_at=appointment.booked_at,
        )
    )
    return BookingResult(appointment=appointment, created=True, allergy_warnings=warnings)


def _locked_appointment(appointment_id: int, patient_id: int | None = None) -> Appointment:
    appointments = Appointment.objects.select_for_update().filter(id=appointment_id)
    if patient_id is not None:
        appointments = appointments.filter(patient_id=patient_id)
    appointment = appointments.first()
    if appointment is None:
        raise AppointmentNotFound("No such appointment.")
    return appointment


def _check_transition(appointment: Appointment, to: AppointmentStatus) -> None:
    current = AppointmentStatus(appointment.status)
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"An appointment that is {current.value} cannot become {to.value}.",
            field_errors={"status": [f"{current.value} -> {to.value} is not allowed."]},
        )


@transaction.atomic
def appointment_transition(
    *, appointment_id: int, to: AppointmentStatus, by_id: int | None
) -> Appointment:
    """Check in, arrive, fulfil, no-show or entered-in-error (cancel has its own service)."""
    if to is AppointmentStatus.CANCELLED:
        raise InvalidTransition("Use appointment_cancel to cancel an appointment.")
    appointment = _locked_appointment(appointment_id)
    _check_transition(appointment, to)
    if to is AppointmentStatus.NOSHOW and appointment.start > timezone.now():
        raise InvalidTransition(
            "An appointment cannot be a no-show before it starts.",
            field_errors={"status": ["The appointment has not started yet."]},
        )
    previous = appointment.status
    appointment.status = to
    appointment.updated_by_id = by_id
    history_actor_set(appointment, user_id=by_id)
    appointment.save(update_fields=["status", "updated_by", "updated_at"])
    emit(
        AppointmentStatusChanged(
            **_event_fields(appointment),
            status=to.value,
            previous_status=previous,
            changed_by_id=by_id,
        )
    )
    if previous in ACTIVE_STATUSES and to not in ACTIVE_STATUSES and appointment.slot_id:
        _offer_freed_slot(appointment.slot_id)
    return appointment


def _cancel(
    appointment: Appointment, *, by_id: int | None, reason: str, by_patient: bool
) -> Appointment:
    _check_transition(appointment, AppointmentStatus.CANCELLED)
    if by_patient:
        window = dt.timedelta(hours=settings.CANCELLATION_WINDOW_HOURS)
        if appointment.start - timezone.now() < window:
            raise OutsideCancellationWindow(
                f"Appointments can be cancelled online up to {settings.CANCELLATION_WINDOW_HOURS}"
                " hours before they start; please call the clinic."
            )
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancellation_reason = reason.strip()
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by_id = by_id
    appointment.updated_by_id = by_id
    history_actor_set(appointment, user_id=by_id)
    appointment.save(
        update_fields=[
            "status", "cancellation_reason", "cancelled_at", "cancelled_by", "updated_by",
            "updated_at",
        ]
    )  # fmt: skip
    return appointment


@transaction.atomic
def appointment_cancel(
    *,
    appointment_id: int,
    by_id: int | None,
    reason: str = "",
    by_patient: bool = False,
    patient_id: int | None = None,
) -> Appointment:
    """Cancel; a patient may do it only up to the cancellation window. Frees the place."""
    appointment = _cancel(
        _locked_appointment(appointment_id, patient_id),
        by_id=by_id,
        reason=reason,
        by_patient=by_patient,
    )
    emit(
        AppointmentCancelled(
            **_event_fields(appointment),
            cancelled_by_patient=by_patient,
            cancelled_by_id=by_id,
            cancelled_at=appointment.cancelled_at,
        )
    )
    if appointment.slot_id:
        _offer_freed_slot(appointment.slot_id)
    return appointment


@transaction.atomic
def appointment_reschedule(
    *,
    appointment_id: int,
    new_slot_id: int,
    by_id: int | None,
    channel: BookingChannel,
    patient_id: int | None = None,
    allergy_acknowledged: bool = False,
) -> Appointment:
    """Move an appointment in one transaction: the old one is cancelled and linked to the new.

    If the new booking is refused, nothing changes.
    """
    old = _locked_appointment(appointment_id, patient_id)
    new_slot = _locked_slot(new_slot_id)
    old_slot_id = old.slot_id
    _cancel(old, by_id=by_id, reason="rescheduled", by_patient=channel is BookingChannel.PATIENT)
    new, _ = _new_appointment(
        patient_id=old.patient_id,
        slot=new_slot,
        appointment_type_id=old.appointment_type_id,
        reason=old.reason,
        channel=channel,
        booked_by_id=by_id,
        allergy_acknowledged=allergy_acknowledged or old.allergy_acknowledged_at is not None,
    )
    new.rescheduled_from = old
    new.save(update_fields=["rescheduled_from"])
    emit(
        AppointmentRescheduled(
            **_event_fields(new),
            previous_appointment_id=old.id,
            previous_start=old.start,
            previous_end=old.end,
            previous_location_id=old.location_id,
            previous_timezone=old.timezone,
            channel=new.channel,
            needs_allergy_review=new.needs_allergy_review,
        )
    )
    if old_slot_id:
        _offer_freed_slot(old_slot_id)
    return new


@transaction.atomic
def appointment_clear_allergy_review(*, appointment_id: int, by_id: int) -> Appointment:
    """Staff reviewed the allergy a patient's own booking triggers; the flag is cleared."""
    appointment = _locked_appointment(appointment_id)
    if not appointment.needs_allergy_review:
        raise InvalidTransition(
            "This appointment is not waiting for an allergy review.",
            field_errors={"needs_allergy_review": ["Already reviewed or never flagged."]},
        )
    appointment.needs_allergy_review = False
    appointment.allergy_reviewed_by_id = by_id
    appointment.allergy_reviewed_at = timezone.now()
    appointment.updated_by_id = by_id
    history_actor_set(appointment, user_id=by_id)
    appointment.save(
        update_fields=[
            "needs_allergy_review", "allergy_reviewed_by", "allergy_reviewed_at", "updated_by",
            "updated_at",
        ]
    )  # fmt: skip
    emit(AppointmentAllergyReviewed(**_event_fields(appointment), reviewed_by_id=by_id))
    return appointment


def appointments_mark_no_shows(*, now: dt.datetime | None = None) -> int:
    """Booked or checked-in appointments that ended without arrival become no-shows."""
    cutoff = (now or timezone.now()) - dt.timedelta(minutes=settings.NO_SHOW_GRACE_MINUTES)
    ids = list(
        Appointment.objects.filter(
            status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN], end__lt=cutoff
        ).values_list("id", flat=True)
    )
    for appointment_id in ids:
        with transaction.atomic():
            appointment = _locked_appointment(appointment_id)
            if appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN):
                previous = appointment.status
                appointment.status = AppointmentStatus.NOSHOW
                history_actor_set(appointment, user_id=None)  # a periodic task: no one
                appointment.save(update_fields=["status", "updated_at"])
                emit(
                    AppointmentStatusChanged(
                        **_event_fields(appointment),
                        status=AppointmentStatus.NOSHOW.value,
                        previous_status=previous,
                        changed_by_id=None,
                    )
                )
    return len(ids)


_IMPORT_COLUMNS = (
    "id", "created_at", "updated_at", "patient_id", "slot_id", "practitioner_id", "location_id",
    "appointment_type_id", "start", "end", "timezone", "status", "channel", "reason",
    "booked_at", "cancellation_reason", "cancelled_at", "needs_allergy_review",
)  # fmt: skip


def appointments_bulk_import(*, rows: Sequence[AppointmentImport], batch_size: int = 50_000) -> int:
    """Insert appointments in bulk with the events the services would have emitted.

    Each gets AppointmentBooked; those no longer booked also get the AppointmentStatusChanged
    (or AppointmentCancelled) that brought them to their status, so projections are complete.
    Rows are streamed with COPY under ids drawn from the table's sequence in one query: millions
    of appointments load in minutes. The database's rules still hold: the slot counter trigger
    and the overlap exclusion refuse a bad batch whole. Each batch's "created" history rows
    (by no one: an import) are one INSERT ... SELECT, not the history of each past status.
    """
    table = connection.ops.quote_name(Appointment._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in _IMPORT_COLUMNS)
    imported = 0
    for offset in range(0, len(rows), batch_size):
        batch = rows[offset : offset + batch_size]
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Appointment._meta.db_table, len(batch)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            with (
                connection.wrap_database_errors,  # psycopg errors become Django IntegrityError
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for appointment_id, row in zip(ids, batch, strict=True):
                    cancelled = row.status == AppointmentStatus.CANCELLED
                    copy.write_row(
                        (
                            appointment_id, now, now, row.patient_id, row.slot_id,
                            row.practitioner_id, row.location_id, row.appointment_type_id,
                            row.start, row.end, row.timezone, str(row.status),
                            str(row.channel), "", row.booked_at, "",
                            row.start if cancelled else None, False,
                        )
                    )  # fmt: skip
            history_record_bulk_created(Appointment, ids, user_id=None, when=now)
            emit_many(_import_events(zip(ids, batch, strict=True)))
        imported += len(batch)
    return imported


def _import_events(imported: Iterable[tuple[int, AppointmentImport]]) -> Iterator:
    for appointment_id, row in imported:
        fields = {
            "appointment_id": appointment_id,
            "patient_id": row.patient_id,
            "practitioner_id": row.practitioner_id,
            "location_id": row.location_id,
            "appointment_type_id": row.appointment_type_id,
            "start": row.start,
            "end": row.end,
            "timezone": row.timezone,
        }
        yield AppointmentBooked(
            **fields, channel=str(row.channel), needs_allergy_review=False, booked_at=row.booked_at
        )
        if row.status == AppointmentStatus.CANCELLED:
            yield AppointmentCancelled(
                **fields,
                cancelled_by_patient=row.channel == BookingChannel.PATIENT,
                cancelled_by_id=None,
                cancelled_at=row.start,
            )
        elif row.status != AppointmentStatus.BOOKED:
            yield AppointmentStatusChanged(
                **fields,
                status=str(row.status),
                previous_status=AppointmentStatus.BOOKED.value,
                changed_by_id=None,
            )


# --- waitlist -------------------------------------------------------------------------------


@transaction.atomic
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
) -> WaitlistEntry:
    errors: dict[str, list[str]] = {}
    if practitioner_id is None and not specialty_code:
        errors["practitioner"] = ["Choose a practitioner or a specialty."]
    if date_to < date_from:
        errors["date_to"] = ["Must not be before date_from."]
    if date_to < timezone.localdate():
        errors["date_to"] = ["Must not be in the past."]
    specialty_id = None
    if specialty_code:
        specialty_id = providers.specialty_id(code=specialty_code)
        if specialty_id is None:
            errors["specialty"] = ["Unknown specialty."]
    # Unknown references are the caller's input errors (400 naming the field), not a 404.
    try:
        providers.appointment_type_get(appointment_type_id=appointment_type_id)
    except ProviderNotFound:
        errors["appointment_type"] = ["Unknown appointment type."]
    if practitioner_id is not None:
        try:
            providers.practitioner_get(practitioner_id=practitioner_id)
        except ProviderNotFound:
            errors["practitioner"] = ["Unknown practitioner."]
    if location_id is not None:
        try:
            providers.location_get(location_id=location_id)
        except ProviderNotFound:
            errors["location"] = ["Unknown location."]
    if errors:
        raise ValidationFailed("The waitlist request has invalid fields.", field_errors=errors)
    patients.patient_get(patient_id=patient_id)
    entry = WaitlistEntry.objects.create(
        patient_id=patient_id,
        practitioner_id=practitioner_id,
        specialty_id=specialty_id,
        location_id=location_id,
        appointment_type_id=appointment_type_id,
        date_from=date_from,
        date_to=date_to,
        created_by_id=by_id,
        updated_by_id=by_id,
    )
    _waitlist_changed(entry, previous=None)
    return entry


def _waitlist_changed(entry: WaitlistEntry, *, previous: str | None) -> None:
    emit(
        WaitlistEntryChanged(
            waitlist_entry_id=entry.id,
            patient_id=entry.patient_id,
            status=str(entry.status),
            previous_status=previous,
            appointment_id=entry.appointment_id,
        )
    )


def _release_hold(slot_id: int) -> None:
    Slot.objects.filter(id=slot_id, status=SlotStatus.BUSY_TENTATIVE).update(status=SlotStatus.FREE)


@transaction.atomic
def waitlist_leave(*, entry_id: int, patient_id: int | None = None) -> WaitlistEntry:
    entries = WaitlistEntry.objects.select_for_update().filter(id=entry_id)
    if patient_id is not None:
        entries = entries.filter(patient_id=patient_id)
    entry = entries.first()
    if entry is None or entry.status not in (WaitlistStatus.WAITING, WaitlistStatus.OFFERED):
        raise WaitlistEntryNotFound("No such open waitlist entry.")
    held = entry.offered_slot_id if entry.status == WaitlistStatus.OFFERED else None
    previous = entry.status
    entry.status = WaitlistStatus.CANCELLED
    entry.save(update_fields=["status", "updated_at"])
    _waitlist_changed(entry, previous=previous)
    if held:
        _release_hold(held)
        _offer_freed_slot(held)
    return entry


@transaction.atomic
def waitlist_cancel_by_staff(*, entry_id: int, by_id: int) -> WaitlistEntry:
    """Staff take an open entry off the waitlist (the patient asked by phone, say); a held place
    goes to the next waiting patient, and who removed the entry is recorded."""
    entry = waitlist_leave(entry_id=entry_id)
    entry.updated_by_id = by_id
    entry.save(update_fields=["updated_by"])
    return entry


def _offer_freed_slot(slot_id: int) -> WaitlistEntry | None:
    """Offer a place that just freed to the first matching waiting patient, holding it."""
    slot = Slot.objects.select_for_update().get(id=slot_id)
    now = timezone.now()
    if slot.status != SlotStatus.FREE or slot.booked_count >= slot.capacity or slot.start <= now:
        return None
    role = providers.practitioner_role_get(role_id=slot.practitioner_role_id)
    practitioner = providers.practitioner_get(practitioner_id=slot.practitioner_id)
    local_date = slot.start.astimezone(ZoneInfo(slot.timezone)).date()
    candidates = (
        WaitlistEntry.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            Q(practitioner_id=slot.practitioner_id)
            | Q(practitioner__isnull=True, specialty__code__in=practitioner.specialty_codes),
            Q(location_id__isnull=True) | Q(location_id=slot.location_id),
            status=WaitlistStatus.WAITING,
            appointment_type_id__in=role.appointment_type_ids,
            date_from__lte=local_date,
            date_to__gte=local_date,
        )
        .order_by("created_at", "id")
    )
    for entry in candidates[:20]:
        busy = Appointment.objects.filter(
            patient_id=entry.patient_id,
            status__in=[s.value for s in ACTIVE_STATUSES],
            start__lt=slot.end,
            end__gt=slot.start,
        ).exists()
        if busy:
            continue
        expires = min(now + dt.timedelta(hours=settings.WAITLIST_OFFER_HOURS), slot.start)
        entry.status = WaitlistStatus.OFFERED
        entry.offered_slot = slot
        entry.offer_expires_at = expires
        entry.save(update_fields=["status", "offered_slot", "offer_expires_at", "updated_at"])
        slot.status = SlotStatus.BUSY_TENTATIVE
        slot.save(update_fields=["status"])
        emit(
            WaitlistOfferMade(
                waitlist_entry_id=entry.id,
                patient_id=entry.patient_id,
                slot_id=slot.id,
                practitioner_id=slot.practitioner_id,
                location_id=slot.location_id,
                appointment_type_id=entry.appointment_type_id,
                start=slot.start,
                end=slot.end,
                timezone=slot.timezone,
                expires_at=expires,
            )
        )
        return entry
    return None


@transaction.atomic
def waitlist_accept(*, entry_id: int, patient_id: int, by_id: int | None = None) -> Appointment:
    """The offered patient takes the held slot."""
    entry = (
        WaitlistEntry.objects.select_for_update()
        .filter(id=entry_id, patient_id=patient_id, status=WaitlistStatus.OFFERED)
        .first()
    )
    if entry is None:
        raise WaitlistEntryNotFound("No open offer for this waitlist entry.")
    if entry.offer_expires_at <= timezone.now():
        raise WaitlistOfferExpired("The offer has expired.")
    slot = _locked_slot(entry.offered_slot_id)
    appointment, _ = _new_appointment(
        patient_id=patient_id,
        slot=slot,
        appointment_type_id=entry.appointment_type_id,
        reason="",
        channel=BookingChannel.PATIENT,
        booked_by_id=by_id,
        allergy_acknowledged=False,
        allow_held_slot=True,
    )
    slot.status = SlotStatus.FREE
    slot.save(update_fields=["status"])
    entry.status = WaitlistStatus.BOOKED
    entry.appointment = appointment
    entry.save(update_fields=["status", "appointment", "updated_at"])
    _waitlist_changed(entry, previous=WaitlistStatus.OFFERED.value)
    emit(
        AppointmentBooked(
            **_event_fields(appointment),
            channel=appointment.channel,
            needs_allergy_review=appointment.needs_allergy_review,
            booked_at=appointment.booked_at,
        )
    )
    return appointment


def waitlist_expire_offers(*, now: dt.datetime | None = None) -> int:
    """Lapsed offers expire; their slots go to the next waiting patient."""
    now = now or timezone.now()
    expired = 0
    for entry_id in WaitlistEntry.objects.filter(
        status=WaitlistStatus.OFFERED, offer_expires_at__lte=now
    ).values_list("id", flat=True):
        with transaction.atomic():
            entry = WaitlistEntry.objects.select_for_update().get(id=entry_id)
            if entry.status != WaitlistStatus.OFFERED:
                continue
            entry.status = WaitlistStatus.EXPIRED
            entry.save(update_fields=["status", "updated_at"])
            _waitlist_changed(entry, previous=WaitlistStatus.OFFERED.value)
            _release_hold(entry.offered_slot_id)
            _offer_freed_slot(entry.offered_slot_id)
            expired += 1
    return expired
