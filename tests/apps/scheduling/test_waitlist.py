"""The waitlist: a freed place is offered to the first waiting patient, held, and expires."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.errors import ValidationFailed
from apps.core.models import OutboxEvent
from apps.scheduling import services
from apps.scheduling.contracts import BookingChannel, SlotUnavailable, WaitlistEntryNotFound
from apps.scheduling.models import Slot, WaitlistEntry
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


def _join(clinic, patient, **overrides):
    today = timezone.localdate()
    arguments = {
        "patient_id": patient.id,
        "appointment_type_id": clinic.visit.id,
        "practitioner_id": clinic.role.practitioner_id,
        "date_from": today,
        "date_to": today + dt.timedelta(days=30),
    }
    arguments.update(overrides)
    return services.waitlist_join(**arguments)


def _booked_then_cancelled(clinic, slot):
    appointment = services.appointment_book(
        patient_id=PatientFactory().id,
        slot_id=slot.id,
        appointment_type_id=clinic.visit.id,
        channel=BookingChannel.STAFF,
        booked_by_id=clinic.staff_id,
    ).appointment
    services.appointment_cancel(appointment_id=appointment.id, by_id=clinic.staff_id)


def test_a_freed_place_is_offered_to_the_first_waiting_patient_and_held(clinic):
    first, second = PatientFactory(), PatientFactory()
    first_entry, second_entry = _join(clinic, first), _join(clinic, second)
    slot = clinic.slot()

    _booked_then_cancelled(clinic, slot)

    first_entry.refresh_from_db()
    second_entry.refresh_from_db()
    slot.refresh_from_db()
    assert (first_entry.status, first_entry.offered_slot_id) == ("offered", slot.id)
    assert first_entry.offer_expires_at <= slot.start
    assert second_entry.status == "waiting"
    assert slot.status == "busy-tentative"
    event = OutboxEvent.objects.get(event_type="scheduling.WaitlistOfferMade")
    assert (event.payload["patient_id"], event.payload["slot_id"]) == (first.id, slot.id)


def test_a_held_place_cannot_be_booked_by_someone_else(clinic):
    _join(clinic, PatientFactory())
    slot = clinic.slot()
    _booked_then_cancelled(clinic, slot)

    with pytest.raises(SlotUnavailable):
        services.appointment_book(
            patient_id=PatientFactory().id,
            slot_id=slot.id,
            appointment_type_id=clinic.visit.id,
            channel=BookingChannel.STAFF,
            booked_by_id=clinic.staff_id,
        )


def test_the_offered_patient_accepts_and_is_booked(clinic, patient):
    entry = _join(clinic, patient)
    slot = clinic.slot()
    _booked_then_cancelled(clinic, slot)

    appointment = services.waitlist_accept(entry_id=entry.id, patient_id=patient.id)

    entry.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.patient_id == patient.id
    assert (entry.status, entry.appointment_id) == ("booked", appointment.id)
    assert (slot.status, slot.booked_count) == ("free", 1)


def test_another_patient_cannot_accept_an_offer(clinic, patient):
    entry = _join(clinic, patient)
    _booked_then_cancelled(clinic, clinic.slot())

    with pytest.raises(WaitlistEntryNotFound):
        services.waitlist_accept(entry_id=entry.id, patient_id=PatientFactory().id)


def test_an_expired_offer_passes_to_the_next_patient(clinic):
    first_entry = _join(clinic, PatientFactory())
    second_entry = _join(clinic, PatientFactory())
    slot = clinic.slot()
    _booked_then_cancelled(clinic, slot)

    expired = services.waitlist_expire_offers(now=timezone.now() + dt.timedelta(hours=3))

    first_entry.refresh_from_db()
    second_entry.refresh_from_db()
    assert expired == 1
    assert first_entry.status == "expired"
    assert (second_entry.status, second_entry.offered_slot_id) == ("offered", slot.id)
    with pytest.raises(WaitlistEntryNotFound):
        services.waitlist_accept(entry_id=first_entry.id, patient_id=first_entry.patient_id)


def test_an_expired_offer_with_no_one_waiting_frees_the_slot(clinic):
    _join(clinic, PatientFactory())
    slot = clinic.slot()
    _booked_then_cancelled(clinic, slot)

    services.waitlist_expire_offers(now=timezone.now() + dt.timedelta(hours=3))

    slot.refresh_from_db()
    assert slot.status == "free"


def test_a_specialty_waitlist_matches_practitioners_of_that_specialty(clinic, patient):
    entry = _join(clinic, patient, practitioner_id=None, specialty_code="family-medicine")
    _booked_then_cancelled(clinic, clinic.slot())

    entry.refresh_from_db()
    assert entry.status == "offered"


def test_waiting_outside_the_dates_gets_no_offer(clinic, patient):
    later = timezone.localdate() + dt.timedelta(days=60)
    entry = _join(clinic, patient, date_from=later, date_to=later + dt.timedelta(days=3))
    slot = clinic.slot()

    _booked_then_cancelled(clinic, slot)

    entry.refresh_from_db()
    slot.refresh_from_db()
    assert entry.status == "waiting"
    assert slot.status == "free"


def test_leaving_the_waitlist_releases_an_offer(clinic, patient):
    entry = _join(clinic, patient)
    slot = clinic.slot()
    _booked_then_cancelled(clinic, slot)

    services.waitlist_leave(entry_id=entry.id, patient_id=patient.id)

    entry.refresh_from_db()
    assert entry.status == "cancelled"
    assert Slot.objects.get(id=slot.id).status == "free"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"practitioner_id": None}, "practitioner"),
        ({"date_from": dt.date(2030, 1, 2), "date_to": dt.date(2030, 1, 1)}, "date_to"),
        ({"practitioner_id": None, "specialty_code": "astrology"}, "specialty"),
    ],
)
def test_joining_with_bad_input_names_the_field(clinic, patient, overrides, field):
    with pytest.raises(ValidationFailed) as refused:
        _join(clinic, patient, **overrides)

    assert field in refused.value.field_errors
    assert WaitlistEntry.objects.count() == 0


def test_every_change_of_a_waitlist_entry_is_an_event(clinic, patient):
    entry = _join(clinic, patient)
    _booked_then_cancelled(clinic, clinic.slot())
    services.waitlist_accept(entry_id=entry.id, patient_id=patient.id)

    changes = [
        (e["previous_status"], e["status"])
        for e in OutboxEvent.objects.filter(event_type="scheduling.WaitlistEntryChanged")
        .order_by("id")
        .values_list("payload", flat=True)
    ]

    assert changes == [(None, "waiting"), ("offered", "booked")]
