"""Public vocabularies and DTOs of allergies (FHIR R4 AllergyIntolerance). No Django."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from apps.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

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


class BannerStatus(enum.StrEnum):
    """What a patient's allergy banner says at a glance."""

    NO_KNOWN_ALLERGIES = "no-known-allergies"
    ALLERGIES = "allergies"
    NOT_RECORDED = "not-recorded"


@dataclasses.dataclass(frozen=True)
class ReactionData:
    """A reaction to record with an allergy: what was seen, how bad, how the patient was exposed."""

    manifestations: tuple[str, ...]
    severity: ReactionSeverity
    exposure_route: ExposureRoute = ExposureRoute.UNKNOWN
    description: str = ""
    onset_date: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class AllergyData:
    """One row of a bulk record (demo data, imports): the arguments of allergy_record, as data.

    no_known_allergies=True records that statement instead, with no substance and no reactions.
    Bulk data is entered by staff unless a row says the patient asserted it.
    """

    patient_id: int
    no_known_allergies: bool = False
    asserted_by: AssertedBy = AssertedBy.STAFF
    substance_code: str | None = None
    substance_text: str = ""
    type: AllergyType | None = None
    category: AllergyCategory | None = None
    criticality: Criticality | None = None
    clinical_status: ClinicalStatus | None = ClinicalStatus.ACTIVE
    verification_status: VerificationStatus | None = None
    onset_date: dt.date | None = None
    note: str = ""
    reactions: tuple[ReactionData, ...] = ()
    recorder_id: int | None = None
    recorded_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class ReactionInfo:
    id: int
    manifestations: tuple[str, ...]
    severity: ReactionSeverity
    exposure_route: ExposureRoute
    description: str
    onset_date: dt.date | None


@dataclasses.dataclass(frozen=True)
class AllergyInfo:
    """An allergy entry (or a "no known allergies" statement) as other apps see it."""

    id: int
    patient_id: int
    kind: RecordKind
    substance_code: str | None
    # The catalogue's display, the free text, or "No known allergies".
    substance_display: str
    type: AllergyType | None
    category: AllergyCategory | None
    criticality: Criticality | None
    # None only when the entry was entered in error (FHIR R4 ait-1, ait-2).
    clinical_status: ClinicalStatus | None
    verification_status: VerificationStatus
    asserted_by: AssertedBy
    onset_date: dt.date | None
    recorded_at: dt.datetime
    recorder_id: int | None
    note: str
    reactions: tuple[ReactionInfo, ...]


@dataclasses.dataclass(frozen=True)
class SubstanceInfo:
    code: str
    display: str
    category: AllergyCategory
    group_code: str | None


@dataclasses.dataclass(frozen=True)
class AllergyBannerEntry:
    allergy_id: int
    substance_display: str
    criticality: Criticality | None
    verification_status: VerificationStatus
    # The patient said so and no clinician has confirmed it yet: shown, but flagged.
    unconfirmed_patient_reported: bool


@dataclasses.dataclass(frozen=True)
class AllergyBanner:
    """The allergy line of a patient's header: high criticality first, then by name."""

    patient_id: int
    status: BannerStatus
    has_no_known_allergies: bool
    entries: tuple[AllergyBannerEntry, ...]


@dataclasses.dataclass(frozen=True)
class AllergyFlag:
    """A patient's allergy markers for a list of patients (a day schedule)."""

    patient_id: int
    has_active_allergy: bool
    has_high_criticality: bool
    has_unconfirmed_patient_reported: bool
    has_no_known_allergies: bool


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


class AllergyNotFound(NotFound):
    code = "allergy_not_found"


class AllergyStaffOnly(PermissionDenied):
    """Verifying an entry (confirming or refuting it) is a clinical judgement: staff only."""

    code = "allergy_staff_only"
