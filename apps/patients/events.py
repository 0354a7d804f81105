"""Domain events of patients, as other apps and extracted services receive them. No Django.

Only PatientContactChanged carries PHI (contact data); every other payload is ids and codes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from apps.core.events import DomainEvent
from apps.patients.contracts import RegistrationSource


@dataclasses.dataclass(frozen=True, kw_only=True)
class PatientRegistered(DomainEvent):
    """A patient record was created (by staff, by self-registration or by an import)."""

    event_type = "patients.PatientRegistered"
    version = 1
    aggregate_type = "patients.Patient"
    aggregate_id_field = "patient_id"

    patient_id: int
    source: RegistrationSource
    preferred_language: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class PatientUpdated(DomainEvent):
    """Fields of a patient record changed; the field names only, never their values."""

    event_type = "patients.PatientUpdated"
    version = 1
    aggregate_type = "patients.Patient"
    aggregate_id_field = "patient_id"

    patient_id: int
    changed_fields: tuple[str, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class PatientContactChanged(DomainEvent):
    """The patient's contact data and consent as they now stand. CARRIES PHI (email, phone).

    It exists so the notifications service can keep its own projection of how (and whether) it
    may reach each patient; `active` False means: stop messaging this patient.
    """

    event_type = "patients.PatientContactChanged"
    version = 1
    aggregate_type = "patients.Patient"
    aggregate_id_field = "patient_id"

    patient_id: int
    email: str
    phone: str
    preferred_language: str
    consent_email: bool
    consent_sms: bool
    active: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class PatientDeactivated(DomainEvent):
    """A patient record was deactivated (records are never deleted)."""

    event_type = "patients.PatientDeactivated"
    version = 1
    aggregate_type = "patients.Patient"
    aggregate_id_field = "patient_id"

    patient_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class PortalInvitationIssued(DomainEvent):
    """Staff issued a portal invitation; the code itself never leaves the issuing request."""

    event_type = "patients.PortalInvitationIssued"
    version = 1
    aggregate_type = "patients.Patient"
    aggregate_id_field = "patient_id"

    patient_id: int
    invitation_id: int
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class PortalInvitationRedeemed(DomainEvent):
    """A portal invitation was used (it cannot be used again)."""

    event_type = "patients.PortalInvitationRedeemed"
    version = 1
    aggregate_type = "patients.Patient"
    aggregate_id_field = "patient_id"

    patient_id: int
    invitation_id: int
