"""The appointment lifecycle: check in, arrive, fulfil, cancel, no-show, reschedule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.models import OutboxEvent
from apps.scheduling import services
from apps.scheduling.contracts import (
    AppointmentStatus,
    BookingChannel,
    InvalidTransition,
    OutsideCancellationWindow,
    SlotUnavailable,
)
from apps.scheduling.models import Appointment, Slot
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import AppointmentFactory

pytestmark = pytest.mark.django_db
S = AppointmentStatus


def _book(clinic, patient, slot, channel=BookingChannel.STAFF):
    return services.appointment_book(
        patient_id=patient.id,
        slot_id=slot.id,
        appointment_type_id=clinic.visit.id,
        channel=channel,
        booked_by_id=clinic.staff_id if channel is BookingChannel.STAFF else None,
    ).appointment


def _move(appointments, start: dt.datetime) -> None:
    appointments.update(start=start, end=start + dt.timedelta(minutes=20))


def _events(event_type: str) -> list[dict]:
    return list(
        OutboxEvent.objects.filter(event_type=event_type)
        .order_by("id")
        .values_list("payload", flat=True)
    )


def test_a_visit_goes_from_booked_to_fulfilled(clinic, patient):
    appointment = _book(clinic, patient, clinic.slot())

    for status in (S.CHECKED_IN, S.ARRIVED, S.FULFILLED):
        services.appointment_transition(
            appointment_id=appointment.id, to=status, by_id=clinic.staff_id
        )

    appointment.refresh_from_db()
    assert appointment.status == "fulfilled"
    changes = [
        (e["previous_status"], e["status"]) for e in _events("scheduling.AppointmentStatusChanged")
    ]
    assert changes == [
        ("booked", "checked-in"),
        ("checked-in", "arrived"),
        ("arrived", "fulfilled"),
    ]
    appointment.slot.refresh_from_db()
    assert appointment.slot.booked_count == 0  # fulfilled no longer holds the place


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.FULFILLED, S.BOOKED),
        (S.CANCELLED, S.CHECKED_IN),
        (S.BOOKED, S.FULFILLED),
        (S.ENTERED_IN_ERROR, S.BOOKED),
    ],
)
def test_moves_outside_the_lifecycle_are_refused(clinic, start, to):
    appointment = AppointmentFactory(slot=clinic.slot(), status=start)

    with pytest.raises(InvalidTransition):
        services.appointment_transition(appointment_id=appointment.id, to=to, by_id=clinic.staff_id)

    appointment.refresh_from_db()
    assert appointment.status == start


def test_a_no_show_cannot_be_recorded_before_the_visit_starts(clinic, patient):
    appointment = _book(clinic, patient, clinic.slot())

    with pytest.raises(InvalidTransition):
        services.appointment_transition(
            appointment_id=appointment.id, to=S.NOSHOW, by_id=clinic.staff_id
        )


def test_cancelling_frees_the_place_and_records_who_and_why(clinic, patient):
    slot = clinic.slot()
    appointment = _book(clinic, patient, slot)

    services.appointment_cancel(
        appointment_id=appointment.id, by_id=clinic.staff_id, reason="feels better"
    )

    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert (appointment.status, appointment.cancellation_reason) == ("cancelled", "feels better")
    assert appointment.cancelled_by_id == clinic.staff_id
    assert slot.booked_count == 0
    (event,) = _events("scheduling.AppointmentCancelled")
    assert event["cancelled_by_patient"] is False
    assert "feels better" not in str(event)
    # The freed place can be booked again.
    _book(clinic, PatientFactory(), slot)


def test_a_patient_cannot_cancel_online_inside_the_window(clinic, patient, settings):
    settings.CANCELLATION_WINDOW_HOURS = 24
    appointment = _book(clinic, patient, clinic.slot(days_ahead=7))
    _move(Appointment.objects.filter(id=appointment.id), timezone.now() + dt.timedelta(hours=5))

    with pytest.raises(OutsideCancellationWindow):
        services.appointment_cancel(appointment_id=appointment.id, by_id=None, by_patient=True)

    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_a_patient_can_cancel_before_the_window(clinic, patient):
    appointment = _book(clinic, patient, clinic.slot(days_ahead=7))

    services.appointment_cancel(
        appointment_id=appointment.id, by_id=None, by_patient=True, patient_id=patient.id
    )

    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_reschedule_cancels_and_links_in_one_step(clinic, patient):
    old_slot, new_slot = clinic.slot(hour=14), clinic.slot(hour=16)
    old = _book(clinic, patient, old_slot)

    new = services.appointment_reschedule(
        appointment_id=old.id,
        new_slot_id=new_slot.id,
        by_id=clinic.staff_id,
        channel=BookingChannel.STAFF,
    )

    old.refresh_from_db()
    old_slot.refresh_from_db()
    new_slot.refresh_from_db()
    assert old.status == "cancelled"
    assert new.rescheduled_from_id == old.id
    assert (old_slot.booked_count, new_slot.booked_count) == (0, 1)
    (event,) = _events("scheduling.AppointmentRescheduled")
    assert (event["previous_appointment_id"], event["appointment_id"]) == (old.id, new.id)
    assert _events("scheduling.AppointmentCancelled") == []


def test_reschedule_to_an_overlapping_time_of_the_same_patient_works(clinic, patient):
    old = _book(clinic, patient, clinic.slot(hour=14))
    overlapping = clinic.slot(hour=14, role=clinic.other_role())

    new = services.appointment_reschedule(
        appointment_id=old.id,
        new_slot_id=overlapping.id,
        by_id=clinic.staff_id,
        channel=BookingChannel.STAFF,
    )

    assert new.status == "booked"


def test_a_refused_reschedule_changes_nothing(clinic, patient):
    old_slot, full_slot = clinic.slot(hour=14), clinic.slot(hour=16)
    old = _book(clinic, patient, old_slot)
    _book(clinic, PatientFactory(), full_slot)

    with pytest.raises(SlotUnavailable):
        services.appointment_reschedule(
            appointment_id=old.id,
            new_slot_id=full_slot.id,
            by_id=clinic.staff_id,
            channel=BookingChannel.STAFF,
        )

    old.refresh_from_db()
    old_slot.refresh_from_db()
    assert old.status == "booked"
    assert old_slot.booked_count == 1
    assert _events("scheduling.AppointmentRescheduled") == []


def test_housekeeping_marks_passed_unarrived_visits_as_no_shows(clinic):
    passed = AppointmentFactory(slot=clinic.slot())
    arrived = AppointmentFactory(slot=clinic.slot(hour=16), status="arrived")
    upcoming = AppointmentFactory(slot=clinic.slot(hour=18))
    two_hours_ago = timezone.now() - dt.timedelta(hours=2)
    Appointment.objects.filter(id__in=[passed.id, arrived.id]).update(
        start=two_hours_ago - dt.timedelta(minutes=20), end=two_hours_ago
    )

    marked = services.appointments_mark_no_shows()

    statuses = dict(Appointment.objects.values_list("id", "status"))
    assert marked == 1
    assert statuses == {passed.id: "noshow", arrived.id: "arrived", upcoming.id: "booked"}
    assert Slot.objects.get(id=passed.slot_id).booked_count == 0
    (event,) = _events("scheduling.AppointmentStatusChanged")
    assert (event["appointment_id"], event["status"], event["changed_by_id"]) == (
        passed.id,
        "noshow",
        None,
    )


def test_nothing_clinical_is_deleted_by_housekeeping(clinic):
    AppointmentFactory(slot=clinic.slot())
    _move(Appointment.objects.all(), timezone.now() - dt.timedelta(days=3))

    services.appointments_mark_no_shows()

    assert Appointment.objects.count() == 1


def test_clearing_an_allergy_review_records_who(clinic, patient):
    appointment = AppointmentFactory(slot=clinic.slot(), patient=patient, needs_allergy_review=True)

    services.appointment_clear_allergy_review(appointment_id=appointment.id, by_id=clinic.staff_id)

    appointment.refresh_from_db()
    assert not appointment.needs_allergy_review
    assert appointment.allergy_reviewed_by_id == clinic.staff_id
    with pytest.raises(InvalidTransition):
        services.appointment_clear_allergy_review(
            appointment_id=appointment.id, by_id=clinic.staff_id
        )
