"""Change history of appointments: who booked, moved or cancelled them and when (a periodic task
or an import is no one); the reader in one query; the admin read-only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.contracts import Role
from apps.core.changes import ChangeKind
from apps.scheduling import public, services
from apps.scheduling.contracts import AppointmentImport, AppointmentStatus, BookingChannel
from apps.scheduling.models import Appointment
from tests.factories.accounts import user_in_role
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


def _book(clinic, patient, slot):
    return services.appointment_book(
        patient_id=patient.id,
        slot_id=slot.id,
        appointment_type_id=clinic.visit.id,
        channel=BookingChannel.STAFF,
        booked_by_id=clinic.staff_id,
        reason="Knee pain",
    ).appointment


def _fields(change) -> dict[str, tuple[str, str]]:
    return {field.field: (field.old, field.new) for field in change.changes}


def test_booking_and_cancelling_name_who_did_each(clinic, patient):
    canceller = user_in_role(Role.CLINICIAN)
    appointment = _book(clinic, patient, clinic.slot(hour=14))

    public.appointment_cancel(appointment_id=appointment.id, by_id=canceller.id, reason="Ill")

    cancelled, booked = public.appointment_changes(patient_id=patient.id)
    assert booked.kind is ChangeKind.CREATED
    assert booked.user_id == clinic.staff_id
    assert _fields(booked)["reason"] == ("", "Knee pain")
    assert _fields(booked)["status"] == ("", "Booked")
    assert cancelled.user_id == canceller.id
    assert cancelled.record_id == appointment.id
    assert _fields(cancelled)["status"] == ("Booked", "Cancelled")
    assert _fields(cancelled)["cancellation_reason"] == ("", "Ill")
    local = appointment.start.astimezone(ZoneInfo(appointment.timezone))
    assert cancelled.record_label == (
        f"Follow-up visit on {local:%Y-%m-%d %H:%M} ({appointment.timezone})"
    )
    assert _fields(booked)["practitioner"] == ("", str(clinic.role.practitioner))
    assert _fields(booked)["appointment_type"] == ("", "Follow-up visit")


def test_a_reschedule_records_the_cancelled_and_the_new_appointment(clinic, patient):
    old = _book(clinic, patient, clinic.slot(hour=14))
    new_slot = clinic.slot(hour=15)

    new = services.appointment_reschedule(
        appointment_id=old.id,
        new_slot_id=new_slot.id,
        by_id=clinic.staff_id,
        channel=BookingChannel.STAFF,
    )

    changes = public.appointment_changes(patient_id=patient.id)
    linked = next(c for c in changes if c.record_id == new.id and c.kind is ChangeKind.CHANGED)
    assert _fields(linked) == {"rescheduled_from": ("", f"#{old.id}")}
    assert {c.user_id for c in changes} == {clinic.staff_id}
    assert {(c.record_id, c.kind) for c in changes} == {
        (old.id, ChangeKind.CREATED),
        (old.id, ChangeKind.CHANGED),
        (new.id, ChangeKind.CREATED),
        (new.id, ChangeKind.CHANGED),
    }


def test_the_no_show_task_is_recorded_as_no_one(clinic, patient):
    appointment = _book(clinic, patient, clinic.slot(hour=14))

    services.appointments_mark_no_shows(now=appointment.end + dt.timedelta(days=1))

    latest = public.appointment_changes(patient_id=patient.id)[0]
    assert latest.user_id is None
    assert _fields(latest) == {"status": ("Booked", "Noshow")}


def test_an_import_records_each_creation_by_no_one(clinic, patient):
    start = timezone.now() - dt.timedelta(days=30)
    rows = [
        AppointmentImport(
            patient_id=patient.id,
            practitioner_id=clinic.role.practitioner_id,
            location_id=clinic.location.id,
            appointment_type_id=clinic.visit.id,
            start=start + dt.timedelta(hours=hours),
            end=start + dt.timedelta(hours=hours, minutes=20),
            timezone="America/New_York",
            status=AppointmentStatus.FULFILLED,
            channel=BookingChannel.STAFF,
            booked_at=start - dt.timedelta(days=3),
        )
        for hours in range(3)
    ]

    public.appointments_bulk_import(rows=rows)

    history = Appointment.history.filter(patient_id=patient.id)
    assert sorted(history.values_list("id", flat=True)) == sorted(
        Appointment.objects.filter(patient=patient).values_list("id", flat=True)
    )
    assert set(history.values_list("history_type", "history_user_id", "status")) == {
        ("+", None, "fulfilled")
    }


@pytest.mark.parametrize("visits", [1, 5])
def test_the_reader_takes_one_query_whatever_the_number_of_appointments(clinic, visits):
    patient = PatientFactory()
    for hour in range(9, 9 + visits):
        appointment = _book(clinic, patient, clinic.slot(hour=hour))
        services.appointment_transition(
            appointment_id=appointment.id, to=AppointmentStatus.CHECKED_IN, by_id=clinic.staff_id
        )

    with CaptureQueriesContext(connection) as queries:
        changes = public.appointment_changes(patient_id=patient.id)

    assert len(changes) == 2 * visits
    assert len(queries) == 1


def test_the_admin_shows_an_appointments_history_and_refuses_to_restore_a_version(
    clinic, patient, admin_client
):
    appointment = _book(clinic, patient, clinic.slot(hour=14))
    public.appointment_cancel(appointment_id=appointment.id, by_id=clinic.staff_id)
    base = f"/admin/scheduling/appointment/{appointment.id}/history/"
    first = Appointment.history.filter(id=appointment.id).earliest("history_id")

    listing = admin_client.get(base)
    version = admin_client.get(f"{base}{first.history_id}/")
    refused = admin_client.post(f"{base}{first.history_id}/", {"status": "booked"})

    assert listing.status_code == 200
    assert b"Cancelled" in listing.content
    assert version.status_code == 200
    assert refused.status_code == 403
    assert Appointment.objects.get(pk=appointment.id).status == "cancelled"
