"""Care relationships and the selectors' query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.contracts import Role
from apps.providers.models import StaffAssignment
from apps.scheduling import public, selectors
from apps.scheduling.models import Appointment
from tests.factories.accounts import user_in_role
from tests.factories.patients import PatientFactory
from tests.factories.providers import LocationFactory
from tests.factories.scheduling import AppointmentFactory, SlotFactory

pytestmark = pytest.mark.django_db


def _seen_at(clinic, patient, when: dt.datetime):
    appointment = AppointmentFactory(patient=patient, slot=clinic.slot())
    Appointment.objects.filter(id=appointment.id).update(
        start=when, end=when + dt.timedelta(minutes=20), status="fulfilled"
    )
    return appointment


@pytest.mark.parametrize(
    ("days", "related"),
    [(-729, True), (-731, False), (364, True), (366, False), (0, True)],
)
def test_care_relationship_covers_24_months_back_and_12_ahead(clinic, patient, days, related):
    nurse = user_in_role(Role.CLINICIAN)
    StaffAssignment.objects.create(user=nurse, location=clinic.location)
    _seen_at(clinic, patient, timezone.now() + dt.timedelta(days=days))

    assert public.has_care_relationship(user_id=nurse.id, patient_id=patient.id) is related
    assert (patient.id in public.care_patient_ids(user_id=nurse.id)) is related


def test_no_care_relationship_from_another_location(clinic, patient):
    nurse = user_in_role(Role.CLINICIAN)
    StaffAssignment.objects.create(user=nurse, location=LocationFactory())
    _seen_at(clinic, patient, timezone.now())

    assert not public.has_care_relationship(user_id=nurse.id, patient_id=patient.id)


@pytest.mark.parametrize("rows", [1, 30])
def test_a_patients_appointments_cost_one_query_whatever_their_number(
    clinic, patient, rows, django_assert_num_queries
):
    for hour in range(rows):
        AppointmentFactory(patient=patient, slot=clinic.slot(hour=0, days_ahead=2 + hour))

    with django_assert_num_queries(1):
        listed = public.patient_appointments(patient_id=patient.id, when="upcoming")

    assert len(listed) == rows
    assert [a.start for a in listed] == sorted(a.start for a in listed)


@pytest.mark.parametrize("rows", [1, 40])
def test_free_slots_cost_one_query_whatever_their_number(clinic, rows, django_assert_num_queries):
    for n in range(rows):
        SlotFactory(role=clinic.role, start=timezone.now() + dt.timedelta(days=1, minutes=30 * n))
    full = clinic.slot(days_ahead=3)
    AppointmentFactory(slot=full)

    with django_assert_num_queries(1):
        slots = public.slots_available(
            start=timezone.now(),
            end=timezone.now() + dt.timedelta(days=14),
            practitioner_ids=[clinic.role.practitioner_id],
        )

    assert len(slots) == rows
    assert full.id not in {s.id for s in slots}
    assert all(s.remaining == 1 for s in slots)


def test_allergy_review_queue_lists_flagged_active_bookings(clinic):
    flagged = AppointmentFactory(slot=clinic.slot(), needs_allergy_review=True)
    AppointmentFactory(slot=clinic.slot(hour=16), needs_allergy_review=True, status="cancelled")
    AppointmentFactory(slot=clinic.slot(hour=18), patient=PatientFactory())

    assert list(selectors.appointments_awaiting_allergy_review()) == [flagged]


@pytest.mark.parametrize(
    ("seen", "related"),
    [((-729, "fulfilled"), True), ((-731, "fulfilled"), False), ((364, "booked"), True),
     ((366, "booked"), False), ((5, "entered-in-error"), False)],
)  # fmt: skip
def test_care_related_patient_ids_keeps_the_related_subset_in_three_queries(
    clinic, patient, seen, related, django_assert_num_queries
):
    days, status = seen
    # Given a patient seen at my location at some distance in time, and one never seen here
    nurse = user_in_role(Role.CLINICIAN)
    StaffAssignment.objects.create(user=nurse, location=clinic.location)
    appointment = _seen_at(clinic, patient, timezone.now() + dt.timedelta(days=days))
    Appointment.objects.filter(id=appointment.id).update(status=status)
    stranger = PatientFactory()

    # When I ask which of both I care for (my locations, appointments there, my registrations)
    with django_assert_num_queries(3):
        found = public.care_related_patient_ids(
            user_id=nurse.id, patient_ids=[patient.id, stranger.id]
        )

    # Then the answer agrees with has_care_relationship
    assert found == ({patient.id} if related else set())
    assert public.has_care_relationship(user_id=nurse.id, patient_id=patient.id) is related
