"""Fault tests with real processes: a Celery worker of the notifications queue, a private
Redis the test stops and starts, and a worker killed with SIGKILL in the middle of a send."""

from __future__ import annotations

import signal
import threading

import pytest

from apps.core import outbox
from apps.scheduling import public as scheduling
from apps.scheduling.contracts import BookingChannel
from extracted.notifications.models import DeliveryAttempt, Message, Status
from healthportal.celery import app as celery_app
from tests.apps.scheduling.conftest import clinic  # noqa: F401 - the fixture
from tests.extracted.notifications.conftest import (
    BOTH,
    booked,
    consume,
    contact,
    mail_files,
    wait_until,
)
from tests.factories.patients import registered_patient

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BOOKINGS = 50


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_bookings_made_while_redis_is_down_all_succeed_and_get_exactly_one_confirmation_each(
    clinic,  # noqa: F811 - pytest fixture injection
    broker_on,
    outbox_dir,
    start_worker,
):
    # given 50 patients and 50 free slots, and Redis stopped
    patient_ids = [registered_patient(consent_sms=False).id for _ in range(BOOKINGS)]
    slots = [clinic.slot(hour=8 + i % 10, days_ahead=3 + i // 10) for i in range(BOOKINGS)]
    broker_on.stop()

    # when front desk books all 50 while Redis is down
    bookings = [
        scheduling.appointment_book(
            patient_id=patient_id,
            slot_id=slot.id,
            appointment_type_id=clinic.visit.id,
            channel=BookingChannel.STAFF,
            booked_by_id=clinic.staff_id,
        )
        for patient_id, slot in zip(patient_ids, slots, strict=True)
    ]
    during = outbox.outbox_relay_batch()

    # then every booking succeeded, and the events wait in Postgres
    assert all(booking.created for booking in bookings)
    assert during.broker_unavailable
    assert Message.objects.count() == 0

    # when Redis returns, the relay sweeps and a notifications worker runs
    broker_on.start()
    outbox.outbox_relay_all()
    start_worker(broker_on.broker_url, outbox_dir)
    sent = Message.objects.filter(kind="confirmation", channel="email", status=Status.SENT)
    wait_until(lambda: sent.count() >= BOOKINGS and len(mail_files(outbox_dir)) >= BOOKINGS)

    # then exactly 50 confirmations went out, one to each patient
    assert sent.count() == BOOKINGS
    assert len(mail_files(outbox_dir)) == BOOKINGS
    assert set(sent.values_list("patient_id", flat=True)) == set(patient_ids)
    assert set(sent.values_list("appointment_id", flat=True)) == {
        booking.appointment.id for booking in bookings
    }


@pytest.mark.django_db(transaction=True, databases=["notifications"])
def test_a_worker_killed_in_the_middle_of_sending_leaves_exactly_one_message(
    broker_on, outbox_dir, sms_server, start_worker
):
    # given a patient reachable by SMS only, and a provider that holds its answer
    consume(contact(1, consent_email=False))
    sms_server.hold = threading.Event()
    worker = start_worker(broker_on.broker_url, outbox_dir, name="doomed")

    # when a booking's event reaches the worker, which is killed while the provider holds
    # the SMS it handed over
    celery_app.send_task(
        "notifications.consume", args=[booked(100).to_envelope().to_dict()], queue="notifications"
    )
    assert sms_server.received.wait(60), "the worker never sent the SMS"
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    sms_server.hold.set()
    sms_server.hold = None

    # then the send was not recorded: the message is still pending
    message = Message.objects.get(kind="confirmation", channel="sms")
    assert message.status == Status.QUEUED
    assert DeliveryAttempt.objects.count() == 0

    # when another worker runs beat's sweep
    start_worker(broker_on.broker_url, outbox_dir, name="heir")
    celery_app.send_task("notifications.deliver_due", queue="notifications")
    wait_until(lambda: Message.objects.get(pk=message.pk).status == Status.SENT)

    # then the SMS went again under the same id, and the provider holds exactly one message
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert [r["key"] for r in sms_server.requests] == [str(message.id), str(message.id)]
    assert list(sms_server.accepted) == [str(message.id)]
    assert list(message.attempt_log.values_list("status", flat=True)) == ["sent"]
