"""The notifications database: projections fed by events, messages and their delivery log.

Nothing here references the monolith's tables: patient, appointment and location ids are plain
integers copied from events. Contact details are PHI: they are never logged.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.consumers import ProcessedEventBase


class ProcessedEvent(ProcessedEventBase):
    """Events this service has applied, written in the transaction of their effect."""

    class Meta(ProcessedEventBase.Meta):
        abstract = False


class PatientContact(models.Model):
    """How and whether a patient may be reached, as the last PatientContactChanged said."""

    patient_id = models.BigIntegerField(primary_key=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=8, default="en")
    consent_email = models.BooleanField(default=False)
    consent_sms = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"contact of patient {self.patient_id}"  # never the address itself


class Preference(models.Model):
    """The patient's own choices (the preferences API): channels and quiet hours.

    Consent is the monolith's record (PatientContact); a channel is used only with both.
    Quiet hours are read in the time zone of the location the message is about.
    """

    patient_id = models.BigIntegerField(primary_key=True)
    email_enabled = models.BooleanField(default=True)
    sms_enabled = models.BooleanField(default=True)
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                    | (
                        Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False)
                        & ~Q(quiet_hours_start=models.F("quiet_hours_end"))
                    )
                ),
                name="notifications_quiet_hours_whole",
            )
        ]

    def __str__(self) -> str:
        return f"preferences of patient {self.patient_id}"


class Location(models.Model):
    """A clinic location's name and IANA time zone, from LocationChanged."""

    location_id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"location {self.location_id}"


class Kind(models.TextChoices):
    CONFIRMATION = "confirmation"
    CANCELLATION = "cancellation"
    RESCHEDULE = "reschedule"
    WAITLIST_OFFER = "waitlist_offer"
    # Reminders are "reminder_<hours>h" (NOTIFICATIONS_REMINDER_HOURS): not a closed list.
    STAFF_BOOKED_ONLINE = "staff_booked_online"
    STAFF_ALLERGY_REPORTED = "staff_allergy_reported"
    STAFF_ALLERGY_FLAG = "staff_allergy_flag"
    STAFF_BREAK_GLASS = "staff_break_glass"


REMINDER_PREFIX = "reminder_"


class Channel(models.TextChoices):
    EMAIL = "email"
    SMS = "sms"


class Audience(models.TextChoices):
    PATIENT = "patient"  # to the patient's own address on the message's channel
    STAFF = "staff"  # to NOTIFICATIONS_STAFF_EMAIL
    ADMIN = "admin"  # to NOTIFICATIONS_ADMIN_EMAIL: security alerts


class Status(models.TextChoices):
    QUEUED = "queued"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


PENDING = (Status.QUEUED, Status.RETRYING)


class Message(models.Model):
    """One message to one recipient on one channel; sent by the sweep once `due_at` passes.

    The id is stable (derived from the event or the appointment), travels with the message as
    its idempotency key, and names the development channels' files.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    audience = models.CharField(max_length=8, choices=Audience.choices, default=Audience.PATIENT)
    # The patient the message is to or (for a staff alert) about.
    patient_id = models.BigIntegerField(null=True, blank=True)
    appointment_id = models.BigIntegerField(null=True, blank=True)
    # What the template needs: ids, codes, times (ISO 8601) and the IANA zone. No free text.
    context = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    # A stable code saying why a message was cancelled or failed (never PHI).
    reason = models.CharField(max_length=100, blank=True)
    due_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    provider_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One message per appointment, kind and channel: a second reminder is impossible.
            models.UniqueConstraint(
                fields=["appointment_id", "kind", "channel"],
                condition=Q(appointment_id__isnull=False),
                name="notifications_one_per_appointment_kind_channel",
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["queued", "retrying"]),
                name="notifications_pending_due",
            ),
            models.Index(
                fields=["-created_at"],
                condition=Q(status="failed"),
                name="notifications_failed_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} ({self.id})"

    @property
    def is_reminder(self) -> bool:
        return self.kind.startswith(REMINDER_PREFIX)


class DeliveryAttempt(models.Model):
    """The delivery log: one row per attempt to hand a message to its channel."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices)
    provider_id = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=200, blank=True)
    attempted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="notifications_attempt_once")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.message_id}: {self.status}"
