"""Booking: the rules, the database's refusals, idempotency, allergy-aware booking."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.allergies.models import Substance
from apps.core.models import OutboxEvent
from apps.scheduling import services
from apps.scheduling.contracts import (
    AllergyAcknowledgementRequired,
    BookingChannel,
    BookingNotAllowed,
    IdempotencyMismatch,
    PatientNotApproved,
    PatientOverlap,
    SlotUnavailable,
)
from apps.scheduling.models import Appointment, Slot
from tests.factories.allergies import AllergyFactory
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import AppointmentFactory

pytestmark = pytest.mark.django_db


def _allergy(patient, code, **fields):
    return AllergyFactory(patient=patient, substance=Substance.objects.get(code=code), **fields)


def book(clinic, patient, slot, **overrides):
    arguments = {
        "patient_id": patient.id,
        "slot_id": slot.id,
        "appointment_type_id": clinic.visit.id,
        "channel": BookingChannel.STAFF,
        "booked_by_id": clinic.staff_id,
        "reason": "knee pain",
    }
    arguments.update(overrides)
    return services.appointment_book(**arguments)


def test_booking_takes_the_slot_and_emits_appointment_booked(clinic, patient):
    slot = clinic.slot()

    result = book(clinic, patient, slot)

    appointment = result.appointment
    slot.refresh_from_db()
    assert result.created
    assert appointment.status == "booked"
    assert appointment.end - appointment.start == dt.timedelta(minutes=20)
    assert (appointment.timezone, appointment.location_id) == (slot.timezone, slot.location_id)
    assert slot.booked_count == 1
    event = OutboxEvent.objects.get(event_type="scheduling.AppointmentBooked")
    assert event.payload["appointment_id"] == appointment.id
    assert event.payload["timezone"] == "America/New_York"
    assert "reason" not in event.payload
    assert "knee" not in str(event.payload)


def test_a_full_slot_is_refused_with_slot_unavailable(clinic, patient):
    slot = clinic.slot()
    book(clinic, PatientFactory(), slot)

    with pytest.raises(SlotUnavailable):
        book(clinic, patient, slot)
    assert Appointment.objects.filter(patient=patient).count() == 0


def test_a_slot_with_capacity_takes_that_many(clinic):
    slot = clinic.slot(capacity=3)

    for _ in range(3):
        book(clinic, PatientFactory(), slot)

    with pytest.raises(SlotUnavailable):
        book(clinic, PatientFactory(), slot)
    slot.refresh_from_db()
    assert slot.booked_count == 3


def test_the_patient_cannot_hold_two_overlapping_appointments(clinic, patient):
    first = clinic.slot(hour=14)
    other_role_slot = clinic.slot(hour=14, role=clinic.other_role())  # same time, elsewhere
    book(clinic, patient, first)

    with pytest.raises(PatientOverlap):
        book(clinic, patient, other_role_slot)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"online_bookable": False}, "appointment_type"),
        ({"minimum_notice_minutes": 60 * 24 * 30}, "slot"),
        ({"booking_horizon_days": 1}, "slot"),
        ({"duration_minutes": 45}, "slot"),
    ],
)
def test_patient_bookings_follow_the_appointment_types_rules(clinic, patient, change, field):
    for name, value in change.items():
        setattr(clinic.visit, name, value)
    clinic.visit.save()

    with pytest.raises(BookingNotAllowed) as refused:
        book(clinic, patient, clinic.slot(), channel=BookingChannel.PATIENT, booked_by_id=None)

    assert field in refused.value.field_errors
    assert Appointment.objects.count() == 0


def test_a_type_not_offered_in_the_slot_is_refused(clinic, patient):
    clinic.role.appointment_types.remove(clinic.visit)

    with pytest.raises(BookingNotAllowed) as refused:
        book(clinic, patient, clinic.slot())

    assert "appointment_type" in refused.value.field_errors


def test_a_self_registered_patient_cannot_book_before_approval(clinic):
    pending = PatientFactory(review_status="pending")

    with pytest.raises(PatientNotApproved):
        book(clinic, pending, clinic.slot(), channel=BookingChannel.PATIENT, booked_by_id=None)


@pytest.mark.django_db(transaction=True)
def test_twenty_clients_racing_for_one_slot_exactly_one_wins(clinic):
    slot = clinic.slot()
    patients = [PatientFactory() for _ in range(20)]
    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def race(patient):
        barrier.wait()
        try:
            book(clinic, patient, slot)
            outcomes.append("booked")
        except SlotUnavailable as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    slot.refresh_from_db()
    assert sorted(outcomes) == ["booked"] + ["slot_unavailable"] * 19
    assert Appointment.objects.filter(slot=slot, status="booked").count() == 1
    assert slot.booked_count == 1


def test_the_database_refuses_an_overbooking_written_around_the_services(clinic):
    slot = clinic.slot()
    AppointmentFactory(slot=slot)

    with pytest.raises(IntegrityError, match="slot_within_capacity"), transaction.atomic():
        AppointmentFactory(slot=slot)


def test_the_database_refuses_a_patient_overlap_written_around_the_services(clinic, patient):
    AppointmentFactory(patient=patient, slot=clinic.slot(hour=14))
    later = clinic.slot(hour=14, role=clinic.other_role())

    with pytest.raises(IntegrityError, match="appt_patient_no_overlap"), transaction.atomic():
        AppointmentFactory(patient=patient, slot=later)


def test_cancelling_around_the_services_frees_the_slot_count(clinic):
    slot = clinic.slot()
    appointment = AppointmentFactory(slot=slot)

    Appointment.objects.filter(id=appointment.id).update(status="cancelled")

    slot.refresh_from_db()
    assert slot.booked_count == 0


def test_raising_a_slot_count_past_capacity_is_refused(clinic):
    slot = clinic.slot()

    with pytest.raises(IntegrityError, match="slot_within_capacity"), transaction.atomic():
        Slot.objects.filter(id=slot.id).update(booked_count=2)


def test_the_same_idempotency_key_returns_the_first_booking(clinic, patient):
    slot = clinic.slot()
    first = book(clinic, patient, slot, idempotency_key="k-1")

    again = book(clinic, patient, slot, idempotency_key="k-1")

    assert not again.created
    assert again.appointment.id == first.appointment.id
    assert Appointment.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="scheduling.AppointmentBooked").count() == 1


def test_the_same_key_with_a_different_request_is_refused(clinic, patient):
    book(clinic, patient, clinic.slot(hour=14), idempotency_key="k-1")

    with pytest.raises(IdempotencyMismatch):
        book(clinic, patient, clinic.slot(hour=16), idempotency_key="k-1")
    assert Appointment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_booking(clinic, patient):
    slot = clinic.slot()
    barrier = threading.Barrier(5)
    ids: list[int] = []

    def send():
        barrier.wait()
        try:
            ids.append(book(clinic, patient, slot, idempotency_key="same").appointment.id)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(ids) == 5
    assert len(set(ids)) == 1
    assert Appointment.objects.count() == 1


def test_staff_must_acknowledge_a_triggered_allergy(clinic, patient):
    _allergy(patient, "iodinated-contrast")

    with pytest.raises(AllergyAcknowledgementRequired) as warned:
        book(clinic, patient, clinic.slot(), appointment_type_id=clinic.ct_with_contrast.id)

    assert [w.substance for w in warned.value.warnings] == ["Iodinated contrast media"]
    assert "Iodinated contrast media" in warned.value.detail
    assert Appointment.objects.count() == 0


def test_an_acknowledged_allergy_warning_is_recorded_with_who_and_when(clinic, patient):
    _allergy(patient, "latex")

    result = book(
        clinic,
        patient,
        clinic.slot(),
        appointment_type_id=clinic.ct_with_contrast.id,
        allergy_acknowledged=True,
    )

    appointment = result.appointment
    assert appointment.allergy_acknowledged_by_id == clinic.staff_id
    assert appointment.allergy_acknowledged_at is not None
    assert not appointment.needs_allergy_review


def test_a_patients_own_booking_that_triggers_an_allergy_is_kept_and_flagged(clinic, patient):
    _allergy(patient, "iodinated-contrast")

    result = book(
        clinic,
        patient,
        clinic.slot(),
        appointment_type_id=clinic.ct_with_contrast.id,
        channel=BookingChannel.PATIENT,
        booked_by_id=None,
    )

    assert result.appointment.status == "booked"
    assert result.appointment.needs_allergy_review
    assert [w.substance for w in result.allergy_warnings] == ["Iodinated contrast media"]
    event = OutboxEvent.objects.get(event_type="scheduling.AppointmentBooked")
    assert event.payload["needs_allergy_review"] is True


def test_a_refuted_allergy_does_not_warn(clinic, patient):
    _allergy(
        patient, "iodinated-contrast", verification_status="refuted", clinical_status="inactive"
    )

    result = book(clinic, patient, clinic.slot(), appointment_type_id=clinic.ct_with_contrast.id)

    assert result.allergy_warnings == ()


def test_a_past_slot_is_refused(clinic, patient):
    slot = clinic.slot()
    Slot.objects.filter(id=slot.id).update(
        start=timezone.now() - dt.timedelta(hours=2), end=timezone.now() - dt.timedelta(hours=1)
    )

    with pytest.raises(BookingNotAllowed):
        book(clinic, patient, slot)


def test_a_replayed_booking_carries_the_allergy_warnings_of_the_first(clinic, patient):
    _allergy(patient, "iodinated-contrast")
    arguments = {
        "appointment_type_id": clinic.ct_with_contrast.id,
        "channel": BookingChannel.PATIENT,
        "booked_by_id": None,
        "idempotency_key": "same",
    }
    slot = clinic.slot()
    first = book(clinic, patient, slot, **arguments)

    again = book(clinic, patient, slot, **arguments)

    assert not again.created
    assert again.allergy_warnings == first.allergy_warnings != ()
