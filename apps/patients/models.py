"""Patients and their portal invitations."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models.functions import Upper

from apps.core.base_model import BaseModel
from apps.core.history import clinical_history
from apps.patients.contracts import (
    LANGUAGES,
    AdministrativeGender,
    RegistrationSource,
    ReviewStatus,
)

MRN_SEQUENCE = "patients_mrn_seq"


class Patient(BaseModel):
    mrn = models.CharField("MRN", max_length=12, unique=True, editable=False)
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    gender = models.CharField(
        max_length=10,
        choices=[(g.value, g.value.title()) for g in AdministrativeGender],
        default=AdministrativeGender.UNKNOWN,
    )
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=32, blank=True)
    emergency_contact_relationship = models.CharField(max_length=50, blank=True)
    preferred_language = models.CharField(
        max_length=8, choices=[(code, code) for code in LANGUAGES], default="en"
    )
    consent_email = models.BooleanField(default=False)
    consent_sms = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    review_status = models.CharField(
        max_length=10,
        choices=[(s.value, s.value.title()) for s in ReviewStatus],
        default=ReviewStatus.APPROVED,
    )
    registration_source = models.CharField(
        max_length=10,
        choices=[(s.value, s.value.title()) for s in RegistrationSource],
        default=RegistrationSource.STAFF,
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patient",
        help_text="The portal login of this patient, once they have one.",
    )
    history = clinical_history(unindexed=("mrn", "user", "created_by"))

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [
            # Name-prefix search: UPPER(name) LIKE 'SMI%' uses these at any table size.
            models.Index(
                OpClass(Upper("family_name"), name="text_pattern_ops"),
                OpClass(Upper("given_name"), name="text_pattern_ops"),
                name="patient_name_prefix_idx",
            ),
            models.Index(
                OpClass(Upper("given_name"), name="text_pattern_ops"),
                name="patient_given_prefix_idx",
            ),
            models.Index(fields=["birth_date"], name="patient_birth_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(gender__in=[g.value for g in AdministrativeGender]),
                name="patient_gender_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(review_status__in=[s.value for s in ReviewStatus]),
                name="patient_review_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Patient {self.mrn}"


class PortalInvitation(BaseModel):
    """A single-use, expiring code staff give a patient to create their portal login.

    Only a hash of the code is stored; the code itself is shown once, when issued.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="invitations")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation {self.pk} for patient {self.patient_id}"
