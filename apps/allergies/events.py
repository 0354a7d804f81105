"""Domain events of allergies: an entry was recorded, an entry's status changed. No Django."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from apps.allergies.contracts import (
    AllergyCategory,
    AssertedBy,
    ClinicalStatus,
    Criticality,
    RecordKind,
    VerificationStatus,
)
from apps.core.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class AllergyRecorded(DomainEvent):
    """An allergy entry or a "no known allergies" statement was recorded.

    Codes only: a free-text substance and the note stay in the monolith (substance_code is None
    for both a free-text substance and a "no known allergies" statement; kind tells them apart).
    """

    event_type: ClassVar[str] = "allergies.AllergyRecorded"
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "allergies.AllergyIntolerance"
    aggregate_id_field: ClassVar[str] = "allergy_id"

    allergy_id: int
    patient_id: int
    kind: RecordKind
    substance_code: str | None
    category: AllergyCategory | None
    criticality: Criticality | None
    clinical_status: ClinicalStatus
    verification_status: VerificationStatus
    asserted_by: AssertedBy


@dataclasses.dataclass(frozen=True, kw_only=True)
class AllergyStatusChanged(DomainEvent):
    """An entry was confirmed, refuted, entered in error, or its clinical status moved.

    clinical_status is None when the entry is entered in error (FHIR R4 ait-2). No reason text.
    """

    event_type: ClassVar[str] = "allergies.AllergyStatusChanged"
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "allergies.AllergyIntolerance"
    aggregate_id_field: ClassVar[str] = "allergy_id"

    allergy_id: int
    patient_id: int
    clinical_status: ClinicalStatus | None
    verification_status: VerificationStatus
    previous_clinical_status: ClinicalStatus | None
    previous_verification_status: VerificationStatus
    changed_by_id: int | None
