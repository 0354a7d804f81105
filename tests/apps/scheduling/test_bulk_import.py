"""Bulk import of appointments: the rows, the events, and the database's rules still hold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from apps.core.models import OutboxEvent
from apps.scheduling import services
from apps.scheduling.contracts import AppointmentImport, AppointmentStatus, BookingChannel
from apps.scheduling.models import Appointment
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


def _row(clinic, patient, start, status, slot=None):
    return AppointmentImport(
        patient_id=patient.id,
        practitioner_id=clinic.role.practitioner_id,
        location_id=clinic.location.id,
        appointment_type_id=clinic.visit.id,
        start=start,
        end=start + dt.timedelta(minutes=20),
        timezone="America/New_York",
        status=status,
        channel=BookingChannel.STAFF,
        booked_at=start - dt.timedelta(days=3),
        slot_id=slot.id if slot else None,
    )


def test_imported_history_and_bookings_get_their_rows_and_events(clinic, patient):
    last_week = timezone.now() - dt.timedelta(days=7)
    slot = clinic.slot()
    rows = [
        _row(clinic, patient, last_week, AppointmentStatus.FULFILLED),
        _row(clinic, patient, last_week - dt.timedelta(days=1), AppointmentStatus.NOSHOW),
        _row(clinic, patient, last_week - dt.timedelta(days=2), AppointmentStatus.CANCELLED),
        _row(clinic, patient, slot.start, AppointmentStatus.BOOKED, slot=slot),
    ]

    imported = services.appointments_bulk_import(rows=rows, batch_size=3)

    slot.refresh_from_db()
    assert imported == 4
    assert sorted(Appointment.objects.values_list("status", flat=True)) == [
        "booked", "cancelled", "fulfilled", "noshow",
    ]  # fmt: skip
    assert slot.booked_count == 1
    types = list(OutboxEvent.objects.order_by("id").values_list("event_type", flat=True))
    assert types.count("scheduling.AppointmentBooked") == 4
    assert types.count("scheduling.AppointmentStatusChanged") == 2
    assert types.count("scheduling.AppointmentCancelled") == 1
    booked_ids = {
        e.payload["appointment_id"]
        for e in OutboxEvent.objects.filter(event_type="scheduling.AppointmentBooked")
    }
    assert booked_ids == set(Appointment.objects.values_list("id", flat=True))


def test_a_batch_that_overbooks_a_slot_is_refused_whole(clinic):
    slot = clinic.slot()
    rows = [
        _row(clinic, PatientFactory(), slot.start, AppointmentStatus.BOOKED, slot=slot),
        _row(clinic, PatientFactory(), slot.start, AppointmentStatus.BOOKED, slot=slot),
    ]

    with pytest.raises(IntegrityError, match="slot_within_capacity"):
        services.appointments_bulk_import(rows=rows)

    assert Appointment.objects.count() == 0
    assert OutboxEvent.objects.count() == 0
