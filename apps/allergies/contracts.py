"""Public vocabularies and DTOs of allergies (FHIR R4 AllergyIntolerance). No Django."""

from __future__ import annotations

import dataclasses
import enum

from apps.core.errors import Conflict, ValidationFailed

# Our own code system for the built-in allergen catalogue; codes are stable slugs.
ALLERGEN_SYSTEM = "urn:healthportal:codesystem:allergen"
# SNOMED CT 716186003 |No known allergy (situation)|, as FHIR's examples use it.
NO_KNOWN_ALLERGY_SYSTEM = "http://snomed.info/sct"
NO_KNOWN_ALLERGY_CODE = "716186003"


class AllergyType(enum.StrEnum):
    ALLERGY = "allergy"
    INTOLERANCE = "intolerance"


class AllergyCategory(enum.StrEnum):
    FOOD = "food"
    MEDICATION = "medication"
    ENVIRONMENT = "environment"
    BIOLOGIC = "biologic"


class Criticality(enum.StrEnum):
    LOW = "low"
    HIGH = "high"
    UNABLE_TO_ASSESS = "unable-to-assess"


class ClinicalStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    RESOLVED = "resolved"


class VerificationStatus(enum.StrEnum):
    UNCONFIRMED = "unconfirmed"
    CONFIRMED = "confirmed"
    REFUTED = "refuted"
    ENTERED_IN_ERROR = "entered-in-error"


class ReactionSeverity(enum.StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class ExposureRoute(enum.StrEnum):
    ORAL = "oral"
    SKIN = "skin"
    INHALATION = "inhalation"
    INJECTION = "injection"
    MUCOSAL = "mucosal"
    UNKNOWN = "unknown"


class AssertedBy(enum.StrEnum):
    PATIENT = "patient"
    STAFF = "staff"


class RecordKind(enum.StrEnum):
    """An allergy entry, or the explicit statement that the patient has no known allergies."""

    ALLERGY = "allergy"
    NO_KNOWN_ALLERGIES = "no-known-allergies"


@dataclasses.dataclass(frozen=True)
class TriggeredAllergy:
    """An active allergy of a patient that an appointment type's triggers match."""

    allergy_id: int
    substance_code: str
    substance_display: str
    criticality: Criticality
    verification_status: VerificationStatus


class AllergyRuleViolation(ValidationFailed):
    code = "allergy_rule_violation"


class AllergyConflict(Conflict):
    code = "allergy_conflict"
