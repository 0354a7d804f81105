"""AllergyIntolerance with its reactions, and the built-in allergen catalogue."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from apps.allergies.contracts import (
    AllergyCategory,
    AllergyType,
    AssertedBy,
    ClinicalStatus,
    Criticality,
    ExposureRoute,
    ReactionSeverity,
    RecordKind,
    VerificationStatus,
)
from apps.core.base_model import BaseModel
from apps.core.history import clinical_history


def _choices(vocabulary: type) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("-", " ").capitalize()) for member in vocabulary]


class Substance(models.Model):
    """An entry of the allergen catalogue: a drug, drug class, food, environmental agent..."""

    code = models.SlugField(max_length=64, unique=True)
    display = models.CharField(max_length=120)
    category = models.CharField(max_length=12, choices=_choices(AllergyCategory))
    group = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text="The class this substance belongs to (amoxicillin -> penicillins).",
    )

    class Meta:
        ordering = ["display"]

    def __str__(self) -> str:
        return self.display


class AllergyIntolerance(BaseModel):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="allergies"
    )
    kind = models.CharField(max_length=20, choices=_choices(RecordKind), default=RecordKind.ALLERGY)
    substance = models.ForeignKey(
        Substance, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    substance_text = models.CharField(
        max_length=200, blank=True, help_text="Free text when the substance is not catalogued."
    )
    type = models.CharField(max_length=12, choices=_choices(AllergyType), blank=True)
    category = models.CharField(max_length=12, choices=_choices(AllergyCategory), blank=True)
    criticality = models.CharField(max_length=16, choices=_choices(Criticality), blank=True)
    # NULL, not "", is FHIR's "absent": required unless entered in error (R4 ait-1, ait-2).
    clinical_status = models.CharField(  # noqa: DJ001
        max_length=10, choices=_choices(ClinicalStatus), null=True, blank=True
    )
    verification_status = models.CharField(max_length=16, choices=_choices(VerificationStatus))
    onset_date = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField()
    recorder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    asserted_by = models.CharField(max_length=8, choices=_choices(AssertedBy))
    note = models.TextField(blank=True)
    # History is read by patient (allergies.public.allergy_changes).
    history = clinical_history(unindexed=("substance", "recorder", "created_by"))

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["patient", "clinical_status"], name="allergy_patient_idx")]
        constraints = [
            # FHIR R4 ait-1 and ait-2: a clinical status unless (and only unless) entered in error.
            models.CheckConstraint(
                condition=(
                    Q(verification_status="entered-in-error", clinical_status__isnull=True)
                    | (
                        ~Q(verification_status="entered-in-error")
                        & Q(clinical_status__isnull=False)
                    )
                ),
                name="allergy_r4_clinical_status_presence",
            ),
            models.CheckConstraint(
                condition=Q(kind="no-known-allergies")
                | Q(substance__isnull=False)
                | ~Q(substance_text=""),
                name="allergy_names_a_substance",
            ),
            models.CheckConstraint(
                condition=Q(kind="allergy") | Q(substance__isnull=True, substance_text=""),
                name="no_known_allergies_names_no_substance",
            ),
            models.CheckConstraint(
                condition=Q(verification_status__in=[s.value for s in VerificationStatus]),
                name="allergy_verification_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(clinical_status__isnull=True)
                | Q(clinical_status__in=[s.value for s in ClinicalStatus]),
                name="allergy_clinical_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"AllergyIntolerance {self.pk}"


class AllergyReaction(models.Model):
    allergy = models.ForeignKey(
        AllergyIntolerance, on_delete=models.PROTECT, related_name="reactions"
    )
    manifestations = ArrayField(models.CharField(max_length=100))
    severity = models.CharField(max_length=10, choices=_choices(ReactionSeverity))
    exposure_route = models.CharField(
        max_length=12, choices=_choices(ExposureRoute), default=ExposureRoute.UNKNOWN
    )
    description = models.CharField(max_length=500, blank=True)
    onset_date = models.DateField(null=True, blank=True)
    history = clinical_history(excluded=())

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(manifestations__len__gte=1), name="reaction_has_a_manifestation"
            ),
        ]

    def __str__(self) -> str:
        return f"Reaction {self.pk}"
