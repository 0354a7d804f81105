"""Practitioners, specialties, locations, roles, appointment types and availability."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from apps.core.base_model import BaseModel
from apps.providers.contracts import ExceptionKind


class Specialty(models.Model):
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self) -> str:
        return self.name


class Location(BaseModel):
    name = models.CharField(max_length=120)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    timezone = models.CharField(max_length=64, help_text="IANA time zone, e.g. America/New_York")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Practitioner(BaseModel):
    prefix = models.CharField(max_length=20, blank=True)
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    qualifications = models.CharField(max_length=200, blank=True, help_text="e.g. MD, FACP")
    specialties = models.ManyToManyField(Specialty, related_name="practitioners", blank=True)
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True)
    bio = models.TextField(blank=True, max_length=2000)
    active = models.BooleanField(default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="practitioner",
        help_text="The clinician's staff login.",
    )

    class Meta:
        ordering = ["family_name", "given_name", "id"]

    def __str__(self) -> str:
        return " ".join(p for p in (self.prefix, self.given_name, self.family_name) if p)


class AppointmentType(models.Model):
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(5)])
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    minimum_notice_minutes = models.PositiveIntegerField(default=120)
    booking_horizon_days = models.PositiveSmallIntegerField(default=90)
    online_bookable = models.BooleanField(default=True)
    allergen_triggers = ArrayField(
        models.SlugField(max_length=64),
        default=list,
        blank=True,
        help_text="Allergen catalogue codes this visit exposes the patient to "
        "(e.g. iodinated-contrast, latex).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PractitionerRole(BaseModel):
    """A practitioner working at a location, offering some appointment types there."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="roles")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="roles")
    appointment_types = models.ManyToManyField(AppointmentType, related_name="roles")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["practitioner_id", "location_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner", "location"], name="one_role_per_practitioner_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} at {self.location}"


class StaffAssignment(models.Model):
    """A staff user works at a location (their schedules and patients are visible to them)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="staff")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "location"], name="one_assignment_per_location")
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} at location {self.location_id}"


class AvailabilityRule(BaseModel):
    """Weekly hours in the location's local wall-clock time."""

    role = models.ForeignKey(PractitionerRole, on_delete=models.CASCADE, related_name="rules")
    weekday = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(6)], help_text="0 = Monday ... 6 = Sunday"
    )
    start_time = models.TimeField()
    end_time = models.TimeField()
    slot_minutes = models.PositiveSmallIntegerField(default=20, validators=[MinValueValidator(5)])
    capacity = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["role_id", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="rule_weekday_valid"),
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="rule_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="rule_slot_length_valid"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="rule_capacity_valid"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="rule_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Rule {self.pk}"


class AvailabilityException(BaseModel):
    """Leave (no slots) or extra one-off hours, in local dates and times."""

    role = models.ForeignKey(PractitionerRole, on_delete=models.CASCADE, related_name="exceptions")
    kind = models.CharField(
        max_length=8, choices=[(k.value, k.value.title()) for k in ExceptionKind]
    )
    date_from = models.DateField()
    date_to = models.DateField()
    start_time = models.TimeField(null=True, blank=True, help_text="Empty: the whole day.")
    end_time = models.TimeField(null=True, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["role_id", "date_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_to__gte=F("date_from")), name="exception_dates_ordered"
            ),
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True) & Q(end_time__isnull=True))
                | Q(end_time__gt=F("start_time")),
                name="exception_times_ordered",
            ),
            models.CheckConstraint(
                condition=Q(kind="leave")
                | Q(start_time__isnull=False, slot_minutes__gte=5, capacity__gte=1),
                name="extra_hours_are_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.date_from}..{self.date_to}"
