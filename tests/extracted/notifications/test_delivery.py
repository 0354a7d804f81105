"""Delivery: consent, choices and quiet hours; retries with backoff; the delivery log; the
channels' idempotency on the message id."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from extracted.notifications import channels, services
from extracted.notifications.models import DeliveryAttempt, Message, Preference, Status
from tests.extracted.notifications.conftest import (
    NOTIFICATIONS_DB,
    booked,
    consume,
    contact,
    mail_files,
    sms_files,
)

pytestmark = [NOTIFICATIONS_DB]


@pytest.mark.parametrize(
    ("contact_fields", "preference", "email_reason", "sms_reason"),
    [
        ({"consent_email": False}, {}, "no_email_consent", ""),
        ({"consent_sms": False}, {}, "", "no_sms_consent"),
        ({}, {"sms_enabled": False}, "", "sms_turned_off"),
        ({}, {"email_enabled": False}, "email_turned_off", ""),
        ({"phone": ""}, {}, "", "no_sms_address"),
    ],
)
def test_consent_and_the_patients_choices_decide_the_channels(
    outbox_dir, contact_fields, preference, email_reason, sms_reason
):
    # given a patient's consent (the monolith's) and choices (their own)
    consume(contact(1, **contact_fields))
    if preference:
        Preference.objects.create(patient_id=1, **preference)

    # when a booking's confirmation is delivered
    services.messages_deliver_due(ids=consume(booked(100)))

    # then a refused channel is cancelled with the reason, the other one is sent
    for channel, reason in (("email", email_reason), ("sms", sms_reason)):
        message = Message.objects.get(kind="confirmation", channel=channel)
        assert (message.status, message.reason) == (
            (Status.CANCELLED, reason) if reason else (Status.SENT, "")
        )
    assert len(mail_files(outbox_dir)) == (0 if email_reason else 1)
    assert len(sms_files(outbox_dir)) == (0 if sms_reason else 1)


def _at(hour: int, minute: int = 0, *, days: int = 3) -> dt.datetime:
    """A time `days` ahead at hour:minute New York time."""
    from zoneinfo import ZoneInfo

    local = (timezone.now() + dt.timedelta(days=days)).astimezone(ZoneInfo("America/New_York"))
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def test_quiet_hours_hold_a_message_until_they_end_in_the_locations_zone(outbox_dir):
    # given a patient quiet from 21:00 to 08:00, booked for 15:00 New York time
    consume(contact(1, consent_sms=False))
    Preference.objects.create(
        patient_id=1, quiet_hours_start=dt.time(21), quiet_hours_end=dt.time(8)
    )
    consume(booked(100, start=_at(15)))
    night = _at(23, days=1)

    # when the sweep runs at 23:00 local time, then at 08:00 the next morning
    at_night = services.messages_deliver_due(now=night)
    held = Message.objects.get(kind="confirmation", channel="email")
    morning = services.messages_deliver_due(now=held.due_at)

    # then the confirmation and the 48-hour reminder (due at 15:00) waited for 08:00, then left
    assert (at_night.deferred, at_night.sent) == (2, 0)
    assert held.due_at == _at(8, days=2)
    assert morning.sent == 2
    assert len(mail_files(outbox_dir)) == 2


def test_a_reminder_that_quiet_hours_would_hold_past_the_visit_is_cancelled(outbox_dir):
    # given an 08:30 visit and quiet hours until 09:00: the 2-hour reminder falls in them
    consume(contact(1, consent_sms=False))
    Preference.objects.create(
        patient_id=1, quiet_hours_start=dt.time(22), quiet_hours_end=dt.time(9)
    )
    start = _at(8, 30)
    consume(booked(100, start=start))

    # when the sweep reaches the reminder's due time
    services.messages_deliver_due(now=start - dt.timedelta(hours=2))

    # then it is cancelled rather than sent after the visit began
    reminder = Message.objects.get(kind="reminder_2h", channel="email")
    assert (reminder.status, reminder.reason) == (Status.CANCELLED, "quiet_hours_until_start")


def test_an_sms_provider_failing_three_times_then_accepting_gives_one_message_and_three_retries(
    settings, sms_server
):
    # given an SMS provider that answers 500 three times, then 200
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 30
    sms_server.script = [500, 500, 500]
    consume(contact(1, consent_email=False))
    due = consume(booked(100))
    now = timezone.now()

    # when the message is tried, then swept at each retry's due time
    first = services.messages_deliver_due(ids=due, now=now)
    retry_times = []
    for _ in range(3):
        message = Message.objects.get(kind="confirmation", channel="sms")
        retry_times.append(message.due_at)
        services.messages_deliver_due(now=message.due_at)

    # then the provider accepted one message; the log holds three retries and the send
    message = Message.objects.get(kind="confirmation", channel="sms")
    log = list(message.attempt_log.order_by("number").values_list("status", "error"))
    assert first.retrying == 1
    assert log == [
        ("retrying", "sms_http_500"),
        ("retrying", "sms_http_500"),
        ("retrying", "sms_http_500"),
        ("sent", ""),
    ]
    assert (message.status, message.attempts) == (Status.SENT, 4)
    assert message.provider_id == f"prov-{str(message.id)[:8]}"
    assert len(sms_server.accepted) == 1
    # exponential backoff: 30 s, 60 s, 120 s after each failed try
    gaps = [b - a for a, b in zip([now, *retry_times], retry_times, strict=False)]
    assert gaps == [dt.timedelta(seconds=s) for s in (30, 60, 120)]
    # every request carried the message id as idempotency key and the operator's token
    assert {r["key"] for r in sms_server.requests} == {str(message.id)}
    assert {r["auth"] for r in sms_server.requests} == {"Bearer test-token"}


def test_a_rejected_sms_is_marked_failed_at_once(sms_server):
    sms_server.script = [400]
    consume(contact(1, consent_email=False))

    result = services.messages_deliver_due(ids=consume(booked(100)))

    message = Message.objects.get(kind="confirmation", channel="sms")
    assert result.failed == 1
    assert (message.status, message.reason) == (Status.FAILED, "sms_http_400")
    assert len(sms_server.requests) == 1


def test_transient_failures_give_up_after_the_maximum_attempts(settings, sms_server):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    sms_server.script = [503] * 5
    consume(contact(1, consent_email=False))
    consume(booked(100))

    for day in range(1, 6):
        services.messages_deliver_due(now=timezone.now() + dt.timedelta(days=day))

    message = Message.objects.get(kind="confirmation", channel="sms")
    assert (message.status, message.reason) == (Status.FAILED, "gave_up:sms_http_503")
    assert list(message.attempt_log.values_list("status", flat=True).order_by("number")) == [
        "retrying",
        "retrying",
        "failed",
    ]
    assert len([r for r in sms_server.requests if r["key"] == str(message.id)]) == 3


def test_the_file_channels_write_each_message_once_whatever_the_number_of_sends(outbox_dir):
    outgoing = channels.Outgoing(
        message_id="0b7f6a8e-1111-4c6e-9d7a-3c2b1a0f9e88", to="+15550001", subject="s", text="t"
    )

    for _ in range(2):
        channels.FileSmsProvider().send(outgoing)
        channels.send_email(outgoing)

    assert [path.name for path in mail_files(outbox_dir)] == [f"{outgoing.message_id}.eml"]
    assert sms_files(outbox_dir) == [{"id": outgoing.message_id, "to": "+15550001", "body": "t"}]


def test_a_message_is_tried_at_most_once_per_sweep_even_when_the_retry_is_due_at_once(
    settings, sms_server
):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0
    sms_server.script = [500, 500]
    consume(contact(1, consent_email=False))
    consume(booked(100))

    result = services.messages_deliver_due()

    assert result.retrying == 1
    assert DeliveryAttempt.objects.count() == 1
