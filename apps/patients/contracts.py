"""Public data of patients: vocabularies and the DTOs other apps receive. No Django."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from apps.core.errors import NotFound


class AdministrativeGender(enum.StrEnum):
    """FHIR R4 administrative-gender."""

    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class ReviewStatus(enum.StrEnum):
    """A self-registered patient waits for staff review before booking."""

    APPROVED = "approved"
    PENDING = "pending"


class RegistrationSource(enum.StrEnum):
    STAFF = "staff"
    SELF = "self"
    IMPORT = "import"


LANGUAGES = ("en", "es")


@dataclasses.dataclass(frozen=True)
class PatientSummary:
    id: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: dt.date
    gender: AdministrativeGender
    active: bool
    review_status: ReviewStatus


class PatientNotFound(NotFound):
    code = "patient_not_found"
