"""Public data of patients: vocabularies and the DTOs other apps receive. No Django."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from apps.core.errors import NotFound, ValidationFailed

# Portal invitation codes avoid look-alike characters (0/O, 1/I/L), so a code read aloud or
# typed from a printed letter survives.
INVITATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITATION_CODE_LENGTH = 8


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


@dataclasses.dataclass(frozen=True, kw_only=True)
class PatientData:
    """One patient to register in bulk (demo data, imports): the fields patient_register takes."""

    family_name: str
    given_name: str
    birth_date: dt.date
    gender: AdministrativeGender | str
    phone: str = ""
    email: str = ""
    address_line: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""
    emergency_contact_relationship: str = ""
    preferred_language: str = "en"
    consent_email: bool = False
    consent_sms: bool = False
    review_status: ReviewStatus | str = ReviewStatus.APPROVED


class PatientNotFound(NotFound):
    code = "patient_not_found"


# What a patient may change in their own record through the portal: contact data, emergency
# contact, language and consent. Names, birth date and gender are corrected by staff.
SELF_EDITABLE_FIELDS = (
    "phone",
    "email",
    "address_line",
    "city",
    "postal_code",
    "country",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
    "preferred_language",
    "consent_email",
    "consent_sms",
)


@dataclasses.dataclass(frozen=True)
class PatientProfile:
    """A patient's own view of their record (the portal's "me")."""

    id: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: dt.date
    gender: AdministrativeGender
    phone: str
    email: str
    address_line: str
    city: str
    postal_code: str
    country: str
    emergency_contact_name: str
    emergency_contact_phone: str
    emergency_contact_relationship: str
    preferred_language: str
    consent_email: bool
    consent_sms: bool
    review_status: ReviewStatus


class RegistrationRefused(ValidationFailed):
    """The same refusal for an email that already has a login and any other clash of identity,
    so the message itself names nothing that exists."""

    code = "registration_refused"


@dataclasses.dataclass(frozen=True)
class PendingRegistration:
    """A self-registration waiting for staff review: what approving it needs, nothing more."""

    id: int
    family_name: str
    given_name: str
    birth_date: dt.date
    email: str
    registered_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class PatientRecord(PatientProfile):
    """The whole record as staff see it on a chart: the profile, and whether it is active."""

    active: bool


@dataclasses.dataclass(frozen=True)
class IssuedInvitation:
    """A portal invitation code as issued: shown to staff once, with the time it stops working."""

    code: str
    expires_at: dt.datetime
