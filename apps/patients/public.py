"""What other apps may call in patients: registration, lookups, search, invitations, the portal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from apps.core.changes import RecordChange
from apps.patients import selectors, services
from apps.patients.contracts import (
    AdministrativeGender,
    IssuedInvitation,
    PatientData,
    PatientProfile,
    PatientRecord,
    PatientSummary,
    PendingRegistration,
    RegistrationSource,
    ReviewStatus,
)


def patient_get(*, patient_id: int) -> PatientSummary:
    """The patient's summary; raises PatientNotFound."""
    return selectors.patient_summary(patient=selectors.patient_get(patient_id=patient_id))


def patient_summaries(*, patient_ids: Iterable[int]) -> dict[int, PatientSummary]:
    """Summaries of those of `patient_ids` that exist, keyed by id (one query)."""
    return selectors.patient_summaries(patient_ids=patient_ids)


def patient_search(
    *,
    query: str,
    limit: int = 25,
    within_ids: Iterable[int] | None = None,
    include_inactive: bool = False,
) -> list[PatientSummary]:
    """Patients by MRN, birth date or name prefix ("smi", "smith jo", "smith, jo")."""
    patients = selectors.patient_search(
        query=query, limit=limit, within_ids=within_ids, include_inactive=include_inactive
    )
    return [selectors.patient_summary(patient=patient) for patient in patients]


def patient_id_for_user(*, user_id: int) -> int | None:
    """The id of the patient whose portal login is `user_id`, if any."""
    patient = selectors.patient_for_user(user_id=user_id)
    return patient.pk if patient else None


def mrn_is_valid(mrn: str) -> bool:
    """True if `mrn` has the shape and check digit of an MRN (whether or not it is assigned)."""
    return services.mrn_is_valid(mrn)


def patient_register(
    *,
    family_name: str,
    given_name: str,
    birth_date: dt.date,
    gender: AdministrativeGender | str,
    phone: str = "",
    email: str = "",
    address_line: str = "",
    city: str = "",
    postal_code: str = "",
    country: str = "",
    emergency_contact_name: str = "",
    emergency_contact_phone: str = "",
    emergency_contact_relationship: str = "",
    preferred_language: str = "en",
    consent_email: bool = False,
    consent_sms: bool = False,
    source: RegistrationSource | str = RegistrationSource.STAFF,
    review_status: ReviewStatus | str = ReviewStatus.APPROVED,
    created_by_id: int | None = None,
) -> PatientSummary:
    """Register one patient with a new MRN; raises ValidationFailed naming every bad field."""
    patient = services.patient_register(
        family_name=family_name,
        given_name=given_name,
        birth_date=birth_date,
        gender=gender,
        phone=phone,
        email=email,
        address_line=address_line,
        city=city,
        postal_code=postal_code,
        country=country,
        emergency_contact_name=emergency_contact_name,
        emergency_contact_phone=emergency_contact_phone,
        emergency_contact_relationship=emergency_contact_relationship,
        preferred_language=preferred_language,
        consent_email=consent_email,
        consent_sms=consent_sms,
        source=source,
        review_status=review_status,
        created_by_id=created_by_id,
    )
    return selectors.patient_summary(patient=patient)


def patient_bulk_register(
    *,
    rows: Sequence[PatientData],
    source: RegistrationSource | str,
    created_by_id: int | None = None,
) -> list[int]:
    """Register many patients at once, all or nothing; their ids in the order of `rows`."""
    return services.patient_bulk_register(rows=rows, source=source, created_by_id=created_by_id)


def patient_update(
    *, patient_id: int, updated_by_id: int | None, **fields: object
) -> PatientSummary:
    """Change editable demographic and contact fields; raises ValidationFailed, PatientNotFound."""
    patient = services.patient_update(patient_id=patient_id, updated_by_id=updated_by_id, **fields)
    return selectors.patient_summary(patient=patient)


def patient_approve_registration(*, patient_id: int, by_id: int | None) -> PatientSummary:
    """Approve a registration waiting for review; raises Conflict if it is not waiting."""
    patient = services.patient_approve_registration(patient_id=patient_id, by_id=by_id)
    return selectors.patient_summary(patient=patient)


def patient_deactivate(*, patient_id: int, by_id: int | None) -> PatientSummary:
    """Deactivate the record (it is never deleted)."""
    patient = services.patient_deactivate(patient_id=patient_id, by_id=by_id)
    return selectors.patient_summary(patient=patient)


def patient_reactivate(*, patient_id: int, by_id: int | None) -> PatientSummary:
    """Make a deactivated record active again."""
    patient = services.patient_reactivate(patient_id=patient_id, by_id=by_id)
    return selectors.patient_summary(patient=patient)


def patient_link_user(*, patient_id: int, user_id: int) -> PatientSummary:
    """Link the patient's portal login (a user in the patient role); raises Conflict if either
    side is already linked elsewhere."""
    patient = services.patient_link_user(patient_id=patient_id, user_id=user_id)
    return selectors.patient_summary(patient=patient)


def invitation_issue(
    *,
    patient_id: int,
    issued_by_id: int | None,
    valid_for: dt.timedelta = dt.timedelta(days=7),
) -> str:
    """A new single-use portal invitation code for the patient: shown once, stored only hashed."""
    _, code = services.invitation_issue(
        patient_id=patient_id, issued_by_id=issued_by_id, valid_for=valid_for
    )
    return code


def invitation_redeem(*, code: str) -> int:
    """Use an invitation code; the patient's id. Raises ValidationFailed "invitation_invalid"."""
    return services.invitation_redeem(code=code)


def patient_id_for_portal_login(*, user_id: int) -> int | None:
    """The patient a portal login may act for (an active record linked to an active login)."""
    return selectors.patient_id_for_portal_login(user_id=user_id)


def patient_profile_get(*, patient_id: int) -> PatientProfile:
    """The active patient's own profile; raises PatientNotFound."""
    return selectors.patient_profile(patient_id=patient_id)


def patient_profile_update(*, patient_id: int, user_id: int, **fields: object) -> PatientProfile:
    """The patient changes their own contact data, language or consent (SELF_EDITABLE_FIELDS);
    raises ValidationFailed naming bad or refused fields, PatientNotFound."""
    selectors.patient_profile(patient_id=patient_id)  # an inactive record is not the patient's
    services.patient_update_own(patient_id=patient_id, user_id=user_id, **fields)
    return selectors.patient_profile(patient_id=patient_id)


def patient_register_invited(*, email: str, password: str, invitation_code: str) -> PatientSummary:
    """Create an invited patient's portal login with the invitation code; raises
    ValidationFailed (bad fields, "invitation_invalid"), RegistrationRefused."""
    patient = services.patient_register_invited(
        email=email, password=password, invitation_code=invitation_code
    )
    return selectors.patient_summary(patient=patient)


def patient_register_self(
    *,
    email: str,
    password: str,
    family_name: str,
    given_name: str,
    birth_date: dt.date,
    gender: AdministrativeGender | str,
    phone: str = "",
    preferred_language: str = "en",
) -> PatientSummary:
    """Self-registration: a record waiting for review and its login; raises ValidationFailed
    naming every bad field, RegistrationRefused."""
    patient = services.patient_register_self(
        email=email,
        password=password,
        family_name=family_name,
        given_name=given_name,
        birth_date=birth_date,
        gender=gender,
        phone=phone,
        preferred_language=preferred_language,
    )
    return selectors.patient_summary(patient=patient)


def registrations_pending(*, limit: int = 200) -> list[PendingRegistration]:
    """Self-registrations waiting for staff review (patient_approve_registration), oldest
    first, at most `limit`, in one query."""
    return selectors.registrations_pending(limit=limit)


def patient_record_get(*, patient_id: int) -> PatientRecord:
    """The whole record for staff (demographics, contacts, consent), active or not; raises
    PatientNotFound. Callers check the care relationship first."""
    return selectors.patient_record(patient_id=patient_id)


def patient_ids_registered_by(
    *, user_id: int, since: dt.datetime, patient_ids: Iterable[int] | None = None
) -> set[int]:
    """Ids of the patients `user_id` registered (as staff, not by import) at or after `since`,
    limited to `patient_ids` when given (one query)."""
    return selectors.patient_ids_registered_by(
        user_id=user_id, since=since, patient_ids=patient_ids
    )


def invitation_issue_with_expiry(
    *,
    patient_id: int,
    issued_by_id: int | None,
    valid_for: dt.timedelta = dt.timedelta(days=7),
) -> IssuedInvitation:
    """As invitation_issue, with the time the code expires, for staff to tell the patient."""
    invitation, code = services.invitation_issue(
        patient_id=patient_id, issued_by_id=issued_by_id, valid_for=valid_for
    )
    return IssuedInvitation(code=code, expires_at=invitation.expires_at)


def patient_changes(*, patient_id: int) -> list[RecordChange]:
    """Who changed what in the patient's record and when, newest first, in one query. Values
    are PHI for care staff's eyes: never log them."""
    return selectors.patient_changes(patient_id=patient_id)[::-1]
