"""Writes of the notifications service: apply an event once, deliver due messages, preferences.

- `event_consume` applies one event in the notifications database, in the transaction that
  records it as processed: the projection rows and the messages it causes, or nothing.
- `messages_deliver_due` sends what is due. Each message is sent while its row is locked, in the
  transaction that records the outcome; a crash mid-send rolls the row back to pending and the
  next sweep sends it again under the same id, which the channels deduplicate on.
- Anything later (a reminder, a retry, a message held by quiet hours) is a row with a due time
  that the beat sweep picks up; never a countdown task.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.consumers import consume_once
from apps.core.events import EventEnvelope
from extracted.notifications import channels
from extracted.notifications.models import (
    PENDING,
    REMINDER_PREFIX,
    Audience,
    Channel,
    DeliveryAttempt,
    Kind,
    Location,
    Message,
    PatientContact,
    Preference,
    ProcessedEvent,
    Status,
)
from extracted.notifications.rendering import render
from extracted.notifications.router import DATABASE

logger = logging.getLogger(__name__)

CONSUMER = "notifications"
# Message ids are uuid5 of what the message is about: the same cause always gives the same id.
MESSAGE_NAMESPACE = uuid.UUID("6d0b6c52-3c5f-4f0e-9a3e-4d0c6a4b1e06")
# Appointment statuses after which a reminder makes no sense.
ACTIVE_APPOINTMENT_STATUSES = frozenset({"proposed", "pending", "booked", "waitlist"})


def message_id(key: str) -> uuid.UUID:
    return uuid.uuid5(MESSAGE_NAMESPACE, key)


# --- applying events ---------------------------------------------------------------------------


@dataclasses.dataclass
class _Effects:
    """What applying one event queued, to send right after it commits."""

    message_ids: list[uuid.UUID] = dataclasses.field(default_factory=list)


def _patient_channels() -> list[str]:
    # SMS rows exist only when SMS can leave at all; consent and choices are read at send time,
    # so a consent given or withdrawn after the booking still counts.
    return [Channel.EMAIL, *([Channel.SMS] if channels.sms_provider_configured() else [])]


def _queue(
    effects: _Effects,
    *,
    kind: str,
    key: str,
    context: dict[str, Any],
    patient_id: int | None,
    appointment_id: int | None = None,
    audience: Audience = Audience.PATIENT,
    due_at: dt.datetime | None = None,
    message_channels: Iterable[str] | None = None,
) -> None:
    now = timezone.now()
    rows = [
        Message(
            id=message_id(f"{kind}:{key}:{channel}"),
            kind=kind,
            channel=channel,
            audience=audience,
            patient_id=patient_id,
            appointment_id=appointment_id,
            context=context,
            due_at=due_at or now,
            created_at=now,
        )
        for channel in (
            message_channels
            if message_channels is not None
            else ([Channel.EMAIL] if audience != Audience.PATIENT else _patient_channels())
        )
    ]
    # A row that exists already (same id, or same appointment, kind and channel) stays as it is.
    Message.objects.using(DATABASE).bulk_create(rows, ignore_conflicts=True)
    if due_at is None or due_at <= now:
        effects.message_ids.extend(row.id for row in rows)


def _appointment_context(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "appointment_id": payload["appointment_id"],
        "patient_id": payload["patient_id"],
        "location_id": payload["location_id"],
        "start": payload["start"],
        "end": payload["end"],
        "timezone": payload["timezone"],
    }


def _queue_reminders(effects: _Effects, payload: dict[str, Any]) -> None:
    start = dt.datetime.fromisoformat(payload["start"])
    now = timezone.now()
    for hours in settings.NOTIFICATIONS_REMINDER_HOURS:
        due_at = start - dt.timedelta(hours=hours)
        if due_at <= now:
            continue  # booked too late for this reminder
        _queue(
            effects,
            kind=f"{REMINDER_PREFIX}{hours}h",
            key=f"appointment:{payload['appointment_id']}",
            context={**_appointment_context(payload), "hours": hours},
            patient_id=payload["patient_id"],
            appointment_id=payload["appointment_id"],
            due_at=due_at,
        )


def _cancel_pending_reminders(appointment_id: int, *, reason: str) -> int:
    return (
        Message.objects.using(DATABASE)
        .filter(
            appointment_id=appointment_id,
            kind__startswith=REMINDER_PREFIX,
            status__in=PENDING,
        )
        .update(status=Status.CANCELLED, reason=reason)
    )


def _staff_alerts_for_booking(effects: _Effects, payload: dict[str, Any], *, online: bool) -> None:
    context = _appointment_context(payload)
    key = f"appointment:{payload['appointment_id']}"
    common = {"patient_id": payload["patient_id"], "appointment_id": payload["appointment_id"]}
    if online:
        _queue(
            effects,
            kind=Kind.STAFF_BOOKED_ONLINE,
            key=key,
            context=context,
            audience=Audience.STAFF,
            **common,
        )
    if payload.get("needs_allergy_review"):
        _queue(
            effects,
            kind=Kind.STAFF_ALLERGY_FLAG,
            key=key,
            context=context,
            audience=Audience.STAFF,
            **common,
        )


def _on_contact_changed(effects: _Effects, envelope: EventEnvelope) -> None:
    payload = envelope.payload
    PatientContact.objects.using(DATABASE).update_or_create(
        patient_id=payload["patient_id"],
        defaults={
            "email": payload["email"] or "",
            "phone": payload["phone"] or "",
            "language": payload["preferred_language"] or "en",
            "consent_email": bool(payload["consent_email"]),
            "consent_sms": bool(payload["consent_sms"]),
            "active": bool(payload["active"]),
            "updated_at": timezone.now(),
        },
    )


def _on_patient_deactivated(effects: _Effects, envelope: EventEnvelope) -> None:
    PatientContact.objects.using(DATABASE).update_or_create(
        patient_id=envelope.payload["patient_id"],
        defaults={"active": False, "updated_at": timezone.now()},
    )


def _on_location_changed(effects: _Effects, envelope: EventEnvelope) -> None:
    payload = envelope.payload
    Location.objects.using(DATABASE).update_or_create(
        location_id=payload["location_id"],
        defaults={
            "name": payload.get("name") or "",
            "timezone": payload["timezone"],
            "active": bool(payload["active"]),
        },
    )


def _on_booked(effects: _Effects, envelope: EventEnvelope) -> None:
    payload = envelope.payload
    _queue(
        effects,
        kind=Kind.CONFIRMATION,
        key=f"appointment:{payload['appointment_id']}",
        context=_appointment_context(payload),
        patient_id=payload["patient_id"],
        appointment_id=payload["appointment_id"],
    )
    _queue_reminders(effects, payload)
    _staff_alerts_for_booking(effects, payload, online=payload.get("channel") == "patient")


def _on_cancelled(effects: _Effects, envelope: EventEnvelope) -> None:
    payload = envelope.payload
    _cancel_pending_reminders(payload["appointment_id"], reason="appointment_cancelled")
    _queue(
        effects,
        kind=Kind.CANCELLATION,
        key=f"appointment:{payload['appointment_id']}",
        context=_appointment_context(payload),
        patient_id=payload["patient_id"],
        appointment_id=payload["appointment_id"],
    )


def _on_rescheduled(effects: _Effects, envelope: EventEnvelope) -> None:
    payload = envelope.payload
    _cancel_pending_reminders(payload["previous_appointment_id"], reason="appointment_rescheduled")
    _queue(
        effects,
        kind=Kind.RESCHEDULE,
        key=f"appointment:{payload['appointment_id']}",
        context={
            **_appointment_context(payload),
            "previous_appointment_id": payload["previous_appointment_id"],
            "previous_start": payload["previous_start"],
            "previous_location_id": payload["previous_location_id"],
            "previous_timezone": payload["previous_timezone"],
        },
        patient_id=payload["patient_id"],
        appointment_id=payload["appointment_id"],
    )
    _queue_reminders(effects, payload)
    _staff_alerts_for_booking(effects, payload, online=False)


def _on_status_changed(effects: _Effects, envelope: EventEnvelope) -> None:
    payload = envelope.payload
    if payload["status"] not in ACTIVE_APPOINTMENT_STATUSES:
        _cancel_pending_reminders(
            payload["appointment_id"], reason=f"appointment_{payload['status']}"
        )


def _on_waitlist_offer(effects: _Effects, envelope: EventEnvelope) -> None:
    payload = envelope.payload
    _queue(
        effects,
        kind=Kind.WAITLIST_OFFER,
        key=f"event:{envelope.event_id}",
        context={
            "waitlist_entry_id": payload["waitlist_entry_id"],
            "patient_id": payload["patient_id"],
            "location_id": payload["location_id"],
            "start": payload["start"],
            "end": payload["end"],
            "timezone": payload["timezone"],
            "expires_at": payload["expires_at"],
        },
        patient_id=payload["patient_id"],
    )


def _on_allergy_recorded(effects: _Effects, envelope: EventEnvelope) -> None:
    payload = envelope.payload
    if payload["asserted_by"] != "patient" or payload["kind"] != "allergy":
        return
    _queue(
        effects,
        kind=Kind.STAFF_ALLERGY_REPORTED,
        key=f"allergy:{payload['allergy_id']}",
        context={
            "patient_id": payload["patient_id"],
            "allergy_id": payload["allergy_id"],
            "substance_code": payload.get("substance_code") or "",
            "criticality": payload.get("criticality") or "",
        },
        patient_id=payload["patient_id"],
        audience=Audience.STAFF,
    )


def _on_break_glass(effects: _Effects, envelope: EventEnvelope) -> None:
    payload = envelope.payload
    _queue(
        effects,
        kind=Kind.STAFF_BREAK_GLASS,
        key=f"grant:{payload['grant_id']}",
        context={
            "grant_id": payload["grant_id"],
            "user_id": payload["user_id"],
            "actor_role": payload["actor_role"],
            "patient_id": payload["patient_id"],
            "granted_at": payload["granted_at"],
            "expires_at": payload["expires_at"],
        },
        patient_id=payload["patient_id"],
        audience=Audience.ADMIN,
    )


HANDLERS: dict[str, Callable[[_Effects, EventEnvelope], None]] = {
    "patients.PatientContactChanged": _on_contact_changed,
    "patients.PatientDeactivated": _on_patient_deactivated,
    "providers.LocationChanged": _on_location_changed,
    "scheduling.AppointmentBooked": _on_booked,
    "scheduling.AppointmentCancelled": _on_cancelled,
    "scheduling.AppointmentRescheduled": _on_rescheduled,
    "scheduling.AppointmentStatusChanged": _on_status_changed,
    "scheduling.WaitlistOfferMade": _on_waitlist_offer,
    "allergies.AllergyRecorded": _on_allergy_recorded,
    "audit.BreakGlassAccessGranted": _on_break_glass,
}
EVENT_TYPES = tuple(HANDLERS)


def event_consume(*, envelope: EventEnvelope) -> list[uuid.UUID]:
    """Apply `envelope` once; the ids of the messages it made due now (empty on a repeat)."""
    effects = _Effects()
    handler = HANDLERS.get(envelope.event_type)

    def apply(received: EventEnvelope) -> None:
        if handler is not None:
            handler(effects, received)

    applied = consume_once(
        ProcessedEvent, consumer=CONSUMER, envelope=envelope, apply=apply, using=DATABASE
    )
    return effects.message_ids if applied else []


# --- delivering messages -----------------------------------------------------------------------


@dataclasses.dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.cancelled + self.deferred


def retry_delay(attempt: int) -> dt.timedelta:
    """Exponential backoff after the `attempt`-th failed try: base, 2 base, 4 base, ..."""
    return dt.timedelta(seconds=settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** (attempt - 1))


def _refusal(channel: str, contact: PatientContact | None, preference: Preference) -> str:
    """Why this patient must not get a message on `channel` now ("" if they may)."""
    if contact is None:
        return "no_contact_known"
    if not contact.active:
        return "patient_inactive"
    email = channel == Channel.EMAIL
    checks = (
        (contact.consent_email if email else contact.consent_sms, f"no_{channel}_consent"),
        (preference.email_enabled if email else preference.sms_enabled, f"{channel}_turned_off"),
        (contact.email if email else contact.phone, f"no_{channel}_address"),
    )
    return next((reason for allowed, reason in checks if not allowed), "")


def quiet_hours_end(preference: Preference, *, now: dt.datetime, zone: str) -> dt.datetime | None:
    """When the patient's quiet hours that contain `now` end, or None if `now` is not in them."""
    start, end = preference.quiet_hours_start, preference.quiet_hours_end
    if start is None or end is None:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=tz)


def _finish(message: Message, *, status: Status, reason: str = "") -> None:
    message.status = status
    message.reason = reason
    message.save(using=DATABASE, update_fields=["status", "reason"])


@dataclasses.dataclass(frozen=True)
class _Recipient:
    to: str
    language: str


def _recipient(message: Message, *, now: dt.datetime, result: DeliveryResult) -> _Recipient | None:
    """Where the message goes now; None after cancelling it (consent, choices) or holding it
    until the patient's quiet hours end."""
    if message.audience == Audience.STAFF:
        return _Recipient(to=settings.NOTIFICATIONS_STAFF_EMAIL, language="en")
    if message.audience == Audience.ADMIN:
        return _Recipient(to=settings.NOTIFICATIONS_ADMIN_EMAIL, language="en")
    contact = PatientContact.objects.using(DATABASE).filter(pk=message.patient_id).first()
    preference = Preference.objects.using(DATABASE).filter(
        pk=message.patient_id
    ).first() or Preference(patient_id=message.patient_id)
    refusal = _refusal(message.channel, contact, preference)
    if refusal:
        _finish(message, status=Status.CANCELLED, reason=refusal)
        result.cancelled += 1
        return None
    zone = message.context.get("timezone") or "UTC"
    resume_at = quiet_hours_end(preference, now=now, zone=zone)
    if resume_at is not None:
        start = message.context.get("start")
        if message.is_reminder and start and resume_at >= dt.datetime.fromisoformat(start):
            _finish(message, status=Status.CANCELLED, reason="quiet_hours_until_start")
            result.cancelled += 1
        else:
            message.due_at = resume_at
            message.save(using=DATABASE, update_fields=["due_at"])
            result.deferred += 1
        return None
    to = contact.email if message.channel == Channel.EMAIL else contact.phone
    return _Recipient(to=to, language=contact.language)


def _deliver(message: Message, *, now: dt.datetime, result: DeliveryResult) -> None:
    """Send one locked message and record the outcome (runs in the row's transaction)."""
    recipient = _recipient(message, now=now, result=result)
    if recipient is None:
        return
    number = message.attempts + 1
    attempt = DeliveryAttempt(message=message, number=number, attempted_at=timezone.now())
    try:
        provider_id = _send(message, to=recipient.to, language=recipient.language)
    except channels.PermanentDeliveryError as error:
        message.status, message.reason = Status.FAILED, error.code
        attempt.status, attempt.error = Status.FAILED, error.code
        result.failed += 1
    except channels.TransientDeliveryError as error:
        attempt.error = error.code
        if number >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            message.status, message.reason = Status.FAILED, f"gave_up:{error.code}"[:100]
            attempt.status = Status.FAILED
            result.failed += 1
        else:
            message.status, message.reason = Status.RETRYING, error.code
            message.due_at = now + retry_delay(number)
            attempt.status = Status.RETRYING
            result.retrying += 1
    else:
        message.status, message.reason = Status.SENT, ""
        message.provider_id = attempt.provider_id = provider_id
        message.sent_at = timezone.now()
        attempt.status = Status.SENT
        result.sent += 1
    message.attempts = number
    message.save(using=DATABASE)
    attempt.save(using=DATABASE)
    if attempt.status != Status.SENT:
        # Ids and codes only: the address and the text are PHI.
        logger.warning(
            "notification %s (%s, %s) attempt %s: %s",
            message.id,
            message.kind,
            message.channel,
            number,
            attempt.error,
        )


def _send(message: Message, *, to: str, language: str) -> str:
    location_ids = {
        value
        for name in ("location_id", "previous_location_id")
        if (value := message.context.get(name))
    }
    locations = {
        location.location_id: location
        for location in Location.objects.using(DATABASE).filter(location_id__in=location_ids)
    }
    try:
        rendered = render(message, language=language, locations=locations)
    except Exception as exc:
        raise channels.TransientDeliveryError(f"render_{type(exc).__name__}") from exc
    outgoing = channels.Outgoing(
        message_id=str(message.id),
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
    )
    if message.channel == Channel.EMAIL:
        return channels.send_email(outgoing)
    provider = channels.sms_provider()
    if provider is None:
        raise channels.PermanentDeliveryError("sms_off")
    return provider.send(outgoing)


def messages_deliver_due(
    *,
    now: dt.datetime | None = None,
    ids: Iterable[uuid.UUID] | None = None,
    limit: int | None = None,
) -> DeliveryResult:
    """Send the pending messages due at `now` (only `ids`, if given), one row lock at a time.

    Concurrent sweeps skip each other's locked rows. A message is tried at most once per sweep:
    a retry waits for its due time and a later sweep.
    """
    now = now or timezone.now()
    limit = limit or settings.NOTIFICATIONS_BATCH_SIZE
    wanted = list(ids) if ids is not None else None
    if wanted == []:
        return DeliveryResult()
    result = DeliveryResult()
    seen: list[uuid.UUID] = []
    while result.handled < limit:
        with transaction.atomic(using=DATABASE):
            due = (
                Message.objects.using(DATABASE)
                .select_for_update(skip_locked=True)
                .filter(status__in=PENDING, due_at__lte=now)
                .exclude(id__in=seen)
                .order_by("due_at", "id")
            )
            if wanted is not None:
                due = due.filter(id__in=wanted)
            message = due.first()
            if message is None:
                break
            seen.append(message.id)
            _deliver(message, now=now, result=result)
    return result


# --- preferences -------------------------------------------------------------------------------


def preference_update(
    *,
    patient_id: int,
    email_enabled: bool,
    sms_enabled: bool,
    quiet_hours_start: dt.time | None,
    quiet_hours_end: dt.time | None,
) -> Preference:
    """Replace the patient's choices (the caller has validated the quiet hours as a pair)."""
    preference, _ = Preference.objects.using(DATABASE).update_or_create(
        patient_id=patient_id,
        defaults={
            "email_enabled": email_enabled,
            "sms_enabled": sms_enabled,
            "quiet_hours_start": quiet_hours_start,
            "quiet_hours_end": quiet_hours_end,
            "updated_at": timezone.now(),
        },
    )
    return preference
