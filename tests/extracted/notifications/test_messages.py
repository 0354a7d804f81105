"""From events to messages: confirmations, reminders, cancellations, reschedules, waitlist
offers and staff alerts, in the patient's language and the location's time zone."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.allergies.events import AllergyRecorded
from apps.scheduling.events import (
    AppointmentCancelled,
    AppointmentRescheduled,
    AppointmentStatusChanged,
    WaitlistOfferMade,
)
from extracted.notifications import services
from extracted.notifications.models import DeliveryAttempt, Message, PatientContact, Status
from tests.extracted.notifications.conftest import (
    NOTIFICATIONS_DB,
    booked,
    consume,
    contact,
    location,
    mail_files,
    sms_files,
)

pytestmark = [NOTIFICATIONS_DB]

NEW_YORK = ZoneInfo("America/New_York")


def _start(days: int = 5, hour: int = 14) -> dt.datetime:
    local = (timezone.now() + dt.timedelta(days=days)).astimezone(NEW_YORK)
    return local.replace(hour=hour, minute=30, second=0, microsecond=0).astimezone(dt.UTC)


def _parse(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def _messages(**filters) -> dict[tuple[str, str], Message]:
    return {(m.kind, m.channel): m for m in Message.objects.filter(**filters)}


def test_a_booking_sends_a_confirmation_now_and_queues_reminders_48_and_2_hours_before(
    outbox_dir,
):
    # given a patient who may be emailed and texted, at a New York location
    consume(contact(1))
    consume(location(7))
    start = _start()

    # when the booking's event arrives and what is due is sent
    due = consume(booked(100, patient_id=1, start=start))
    result = services.messages_deliver_due(ids=due)

    # then the confirmation left by email and SMS, and the reminders wait for their times
    messages = _messages(appointment_id=100)
    assert result.sent == 2
    assert messages[("confirmation", "email")].status == Status.SENT
    assert messages[("confirmation", "sms")].status == Status.SENT
    assert messages[("reminder_48h", "email")].due_at == start - dt.timedelta(hours=48)
    assert messages[("reminder_2h", "sms")].due_at == start - dt.timedelta(hours=2)
    assert messages[("reminder_2h", "email")].status == Status.QUEUED
    [mail] = mail_files(outbox_dir)
    parsed = _parse(mail)
    assert mail.stem == str(messages[("confirmation", "email")].id)
    assert parsed["To"] == "patient1@example.test"
    assert parsed["Subject"] == "Your appointment is booked"
    text, html = (
        part.get_payload(decode=True).decode()
        for part in parsed.walk()
        if part.get_content_maintype() == "text"
    )
    assert "at 2:30 PM at Midtown Clinic (America/New_York time)" in text
    assert "<h1>Your appointment is booked</h1>" in html
    [sms] = sms_files(outbox_dir)
    assert sms["to"] == "+15550000001"
    assert "2:30 PM" in sms["body"]
    assert len(sms["body"]) <= 160


def test_a_spanish_speaking_patient_gets_spanish_text_in_the_locations_time_zone(outbox_dir):
    # given a Spanish-speaking patient booked at a Madrid location
    consume(contact(2, preferred_language="es", consent_sms=False))
    consume(location(8, timezone="Europe/Madrid", name="Clínica Centro"))
    start = dt.datetime(2031, 3, 11, 9, 0, tzinfo=dt.UTC)  # 10:00 in Madrid

    # when it is booked
    due = consume(booked(101, patient_id=2, start=start, location_id=8, timezone="Europe/Madrid"))
    services.messages_deliver_due(ids=due)

    # then the confirmation is in Spanish, at the local time, with the day and month in Spanish
    [mail] = mail_files(outbox_dir)
    parsed = _parse(mail)
    body = next(part for part in parsed.walk() if part.get_content_type() == "text/plain")
    text = body.get_payload(decode=True).decode()
    assert parsed["Subject"] == "Su cita está reservada"
    assert "martes 11 de marzo de 2031, a las 10:00 en Clínica Centro" in text


def test_reminders_are_sent_by_the_sweep_only_once_due(outbox_dir):
    # given a booking whose confirmation has gone
    consume(contact(1, consent_sms=False))
    start = _start()
    services.messages_deliver_due(ids=consume(booked(100, start=start)))
    before_due = start - dt.timedelta(hours=48, minutes=1)

    # when the sweep runs a minute before the 48-hour reminder, then at its time
    early = services.messages_deliver_due(now=before_due)
    on_time = services.messages_deliver_due(now=start - dt.timedelta(hours=48))

    # then nothing left early, and the 48-hour reminder (only) left on time
    assert early.handled == 0
    assert on_time.sent == 1
    assert _messages(appointment_id=100)[("reminder_48h", "email")].status == Status.SENT
    assert _messages(appointment_id=100)[("reminder_2h", "email")].status == Status.QUEUED
    subjects = {_parse(path)["Subject"] for path in mail_files(outbox_dir)}
    assert "Reminder: your appointment in 48 hours" in subjects


def test_a_booking_made_late_gets_only_the_reminders_still_ahead(outbox_dir):
    consume(contact(1))

    consume(booked(100, start=timezone.now() + dt.timedelta(hours=10)))

    kinds = {kind for kind, _ in _messages(appointment_id=100)}
    assert kinds == {"confirmation", "reminder_2h"}


def test_the_database_refuses_a_second_reminder_for_the_same_appointment_kind_and_channel():
    consume(contact(1))
    consume(booked(100))
    original = Message.objects.get(appointment_id=100, kind="reminder_2h", channel="email")

    with pytest.raises(IntegrityError), transaction.atomic(using="notifications"):
        Message.objects.create(
            kind="reminder_2h", channel="email", patient_id=1, appointment_id=100
        )

    assert Message.objects.filter(appointment_id=100, kind="reminder_2h").count() == 2
    assert Message.objects.get(pk=original.pk).status == Status.QUEUED


def test_the_same_event_delivered_twice_makes_one_message(outbox_dir):
    # given one booking event
    consume(contact(1, consent_sms=False))
    envelope = booked(100).to_envelope()

    # when it is delivered twice
    first = consume(envelope)
    second = consume(envelope)
    services.messages_deliver_due()

    # then it was applied once and one confirmation went out
    assert first != []
    assert second == []
    assert Message.objects.filter(kind="confirmation", channel="email").count() == 1
    assert len(mail_files(outbox_dir)) == 1


def test_a_cancellation_cancels_pending_reminders_and_tells_the_patient(outbox_dir):
    # given a booked appointment with its reminders pending
    consume(contact(1, consent_sms=False))
    event = booked(100)
    services.messages_deliver_due(ids=consume(event))

    # when it is cancelled
    due = consume(
        AppointmentCancelled(
            **{name: getattr(event, name) for name in _APPOINTMENT_FIELDS},
            cancelled_by_patient=False,
            cancelled_by_id=9,
            cancelled_at=timezone.now(),
        )
    )
    services.messages_deliver_due(ids=due)

    # then no reminder will go, and the cancellation went
    messages = _messages(appointment_id=100)
    assert messages[("reminder_48h", "email")].status == Status.CANCELLED
    assert messages[("reminder_2h", "email")].reason == "appointment_cancelled"
    assert messages[("cancellation", "email")].status == Status.SENT
    assert services.messages_deliver_due(now=event.start).handled == 0


_APPOINTMENT_FIELDS = (
    "appointment_id", "patient_id", "practitioner_id", "location_id", "appointment_type_id",
    "start", "end", "timezone",
)  # fmt: skip


def test_a_reschedule_cancels_the_old_times_reminders_and_queues_the_new_ones(outbox_dir):
    # given a booked appointment
    consume(contact(1, consent_sms=False))
    old = booked(100, start=_start(days=4))
    services.messages_deliver_due(ids=consume(old))
    new_start = _start(days=6, hour=9)

    # when it moves to another time (a new appointment linked to the old one)
    due = consume(
        AppointmentRescheduled(
            appointment_id=101,
            patient_id=1,
            practitioner_id=3,
            location_id=7,
            appointment_type_id=2,
            start=new_start,
            end=new_start + dt.timedelta(minutes=30),
            timezone="America/New_York",
            previous_appointment_id=100,
            previous_start=old.start,
            previous_end=old.end,
            previous_location_id=7,
            previous_timezone="America/New_York",
            channel="patient",
            needs_allergy_review=False,
        )
    )
    services.messages_deliver_due(ids=due)

    # then the old reminders are cancelled, the new ones wait, and the patient was told
    old_messages, new_messages = _messages(appointment_id=100), _messages(appointment_id=101)
    assert {m.status for k, m in old_messages.items() if k[0].startswith("reminder")} == {
        Status.CANCELLED
    }
    assert new_messages[("reminder_48h", "email")].due_at == new_start - dt.timedelta(hours=48)
    assert new_messages[("reschedule", "email")].status == Status.SENT
    texts = [path.read_text() for path in mail_files(outbox_dir)]
    assert any("was moved to" in text and "9:30 AM" in text for text in texts)


@pytest.mark.parametrize("status", ["fulfilled", "noshow", "entered-in-error", "arrived"])
def test_an_appointment_that_ended_or_started_gets_no_more_reminders(status):
    consume(contact(1))
    event = booked(100)
    consume(event)

    consume(
        AppointmentStatusChanged(
            **{name: getattr(event, name) for name in _APPOINTMENT_FIELDS},
            status=status,
            previous_status="booked",
            changed_by_id=9,
        )
    )

    reminders = Message.objects.filter(appointment_id=100, kind__startswith="reminder_")
    assert set(reminders.values_list("status", flat=True)) == {Status.CANCELLED}


def test_a_waitlist_offer_tells_the_patient_until_when_the_place_is_held(outbox_dir):
    consume(contact(1, consent_sms=False))
    start = _start(days=2, hour=11)

    due = consume(
        WaitlistOfferMade(
            waitlist_entry_id=5,
            patient_id=1,
            slot_id=55,
            practitioner_id=3,
            location_id=7,
            appointment_type_id=2,
            start=start,
            end=start + dt.timedelta(minutes=30),
            timezone="America/New_York",
            expires_at=start - dt.timedelta(hours=30),
        )
    )
    services.messages_deliver_due(ids=due)

    [mail] = mail_files(outbox_dir)
    text = mail.read_text()
    assert "An earlier appointment is available" in text
    assert "11:30 AM" in text
    assert "held for you until" in text


@pytest.mark.parametrize(
    ("event", "alert"),
    [
        (booked(100, channel="patient"), "staff_booked_online"),
        (booked(100, needs_allergy_review=True), "staff_allergy_flag"),
        (
            AllergyRecorded(
                allergy_id=12,
                patient_id=1,
                kind="allergy",
                substance_code="penicillin",
                category="medication",
                criticality="high",
                clinical_status="active",
                verification_status="unconfirmed",
                asserted_by="patient",
            ),
            "staff_allergy_reported",
        ),
    ],
)
def test_staff_are_alerted_at_the_clinic_address(outbox_dir, settings, event, alert):
    settings.NOTIFICATIONS_STAFF_EMAIL = "front-desk@clinic.test"
    consume(contact(1, consent_email=False, consent_sms=False))

    services.messages_deliver_due(ids=consume(event))

    [message] = Message.objects.filter(audience="staff")
    assert (message.kind, message.status) == (alert, Status.SENT)
    [mail] = mail_files(outbox_dir)
    parsed = _parse(mail)
    assert parsed["To"] == "front-desk@clinic.test"
    assert "Patient 1" in mail.read_text()


@pytest.mark.parametrize("asserted_by", ["staff"])
def test_an_allergy_staff_recorded_raises_no_alert(asserted_by):
    consume(
        AllergyRecorded(
            allergy_id=12,
            patient_id=1,
            kind="allergy",
            substance_code="latex",
            category="environment",
            criticality="low",
            clinical_status="active",
            verification_status="confirmed",
            asserted_by=asserted_by,
        )
    )

    assert Message.objects.count() == 0


def test_contact_changes_replace_the_projection_and_deactivation_stops_messages(outbox_dir):
    # given a patient whose contact changed twice, then was deactivated
    consume(contact(1, email="old@example.test"))
    consume(contact(1, email="new@example.test", preferred_language="es"))
    from apps.patients.events import PatientDeactivated

    consume(PatientDeactivated(patient_id=1))

    # when a booking of theirs arrives
    result = services.messages_deliver_due(ids=consume(booked(100)))

    # then the projection holds the latest values and nothing was sent
    stored = PatientContact.objects.get(pk=1)
    assert (stored.email, stored.language, stored.active) == ("new@example.test", "es", False)
    assert result.sent == 0
    assert set(Message.objects.filter(kind="confirmation").values_list("reason", flat=True)) == {
        "patient_inactive"
    }
    assert DeliveryAttempt.objects.count() == 0
