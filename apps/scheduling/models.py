"""Slots, appointments, waitlist entries and booking idempotency records."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value

from apps.core.base_model import BaseModel
from apps.core.history import clinical_history
from apps.scheduling.contracts import (
    ACTIVE_STATUSES,
    AppointmentStatus,
    BookingChannel,
    SlotStatus,
    WaitlistStatus,
)


def _choices(vocabulary: type) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("-", " ").capitalize()) for member in vocabulary]


class Slot(models.Model):
    """Bookable time of one practitioner at one location, materialised from availability.

    booked_count is maintained by a database trigger on appointments; a CHECK keeps it within
    capacity, so the database itself refuses an overbooking however the row is written.
    """

    practitioner_role_id = models.BigIntegerField()
    practitioner_id = models.BigIntegerField()
    location_id = models.BigIntegerField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    timezone = models.CharField(max_length=64)
    capacity = models.PositiveSmallIntegerField(default=1)
    booked_count = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=20, choices=_choices(SlotStatus), default=SlotStatus.FREE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["practitioner_id", "start"], name="slot_practitioner_start_idx"),
            models.Index(fields=["location_id", "start"], name="slot_location_start_idx"),
            models.Index(fields=["start"], name="slot_free_start_idx", condition=Q(status="free")),
            # Slot search: the bookable slots of the searched roles, counted from the index alone
            # (index-only scan) and paged role by role in start order.
            models.Index(
                fields=["practitioner_role_id", "start"],
                include=["end", "id"],
                name="slot_bookable_role_start_idx",
                condition=Q(status="free", booked_count__lt=F("capacity")),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(booked_count__lte=F("capacity")), name="slot_within_capacity"
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_ends_after_start"),
            models.UniqueConstraint(
                fields=["practitioner_role_id", "start"], name="one_slot_per_role_and_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Slot {self.pk} at {self.start:%Y-%m-%d %H:%M} UTC"


class Appointment(BaseModel):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    practitioner = models.ForeignKey(
        "providers.Practitioner", on_delete=models.PROTECT, related_name="appointments"
    )
    location = models.ForeignKey(
        "providers.Location", on_delete=models.PROTECT, related_name="appointments"
    )
    appointment_type = models.ForeignKey(
        "providers.AppointmentType", on_delete=models.PROTECT, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    timezone = models.CharField(max_length=64)
    status = models.CharField(
        max_length=20, choices=_choices(AppointmentStatus), default=AppointmentStatus.BOOKED
    )
    channel = models.CharField(max_length=8, choices=_choices(BookingChannel))
    reason = models.CharField(max_length=500, blank=True)
    booked_at = models.DateTimeField()
    cancellation_reason = models.CharField(max_length=500, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rescheduled_to"
    )
    allergy_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    allergy_acknowledged_at = models.DateTimeField(null=True, blank=True)
    needs_allergy_review = models.BooleanField(default=False)
    allergy_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    allergy_reviewed_at = models.DateTimeField(null=True, blank=True)
    # History is read by patient (scheduling.public.appointment_changes).
    history = clinical_history(
        unindexed=(
            "slot", "practitioner", "location", "appointment_type", "cancelled_by",
            "rescheduled_from", "allergy_acknowledged_by", "allergy_reviewed_by", "created_by",
        )
    )  # fmt: skip

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["patient", "start"], name="appt_patient_start_idx"),
            # The admin's list, newest first (ORDER BY start DESC, id DESC LIMIT 100).
            models.Index(fields=["start", "id"], name="appt_start_id_idx"),
            models.Index(fields=["location", "start"], name="appt_location_start_idx"),
            models.Index(fields=["practitioner", "start"], name="appt_practitioner_start_idx"),
            models.Index(
                fields=["start"],
                name="appt_booked_start_idx",
                condition=Q(status__in=["booked", "checked-in"]),
            ),
            models.Index(
                fields=["id"],
                name="appt_allergy_review_idx",
                condition=Q(needs_allergy_review=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appt_ends_after_start"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in AppointmentStatus]),
                name="appt_status_valid",
            ),
            # A patient cannot hold two overlapping active appointments (no btree_gist needed).
            ExclusionConstraint(
                name="appt_patient_no_overlap",
                expressions=[
                    (
                        Func(F("patient_id"), F("patient_id"), Value("[]"), function="int8range"),
                        RangeOperators.EQUAL,
                    ),
                    (Func(F("start"), F("end"), function="tstzrange"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=sorted(s.value for s in ACTIVE_STATUSES)),
            ),
        ]

    def __str__(self) -> str:
        return f"Appointment {self.pk}"


class WaitlistEntry(BaseModel):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    practitioner = models.ForeignKey(
        "providers.Practitioner", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    specialty = models.ForeignKey(
        "providers.Specialty", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    location = models.ForeignKey(
        "providers.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appointment_type = models.ForeignKey(
        "providers.AppointmentType", on_delete=models.PROTECT, related_name="+"
    )
    date_from = models.DateField()
    date_to = models.DateField()
    status = models.CharField(
        max_length=10, choices=_choices(WaitlistStatus), default=WaitlistStatus.WAITING
    )
    offered_slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        indexes = [
            models.Index(
                fields=["created_at"], name="waitlist_waiting_idx", condition=Q(status="waiting")
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(practitioner__isnull=False) | Q(specialty__isnull=False),
                name="waitlist_names_practitioner_or_specialty",
            ),
            models.CheckConstraint(
                condition=Q(date_to__gte=F("date_from")), name="waitlist_dates_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(status="offered")
                | Q(offered_slot__isnull=False, offer_expires_at__isnull=False),
                name="waitlist_offer_is_complete",
            ),
            # One live offer per slot: a freed place goes to one waiting patient at a time.
            models.UniqueConstraint(
                fields=["offered_slot"],
                condition=Q(status="offered"),
                name="one_open_offer_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"Waitlist entry {self.pk}"


class BookingRequest(models.Model):
    """An Idempotency-Key seen for a booking: the same key returns the first result."""

    scope = models.CharField(max_length=64, help_text="Who may reuse the key (user:<id>).")
    key = models.CharField(max_length=200)
    request_fingerprint = models.CharField(max_length=64)
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="one_booking_per_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"Booking request {self.key}"
