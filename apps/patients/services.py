"""Writes of patients: registration (one or in bulk), edits, (de)activation, portal invitations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import operator
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.accounts import public as accounts
from apps.accounts.contracts import Role
from apps.core.errors import ApplicationError, Conflict, ValidationFailed
from apps.core.events import DomainEvent
from apps.core.history import history_actor_set, history_record_bulk_created
from apps.core.outbox import emit, emit_many
from apps.patients.contracts import (
    INVITATION_ALPHABET,
    INVITATION_CODE_LENGTH,
    LANGUAGES,
    SELF_EDITABLE_FIELDS,
    AdministrativeGender,
    PatientData,
    PatientNotFound,
    RegistrationRefused,
    RegistrationSource,
    ReviewStatus,
)
from apps.patients.events import (
    PatientContactChanged,
    PatientDeactivated,
    PatientRegistered,
    PatientUpdated,
    PortalInvitationIssued,
    PortalInvitationRedeemed,
)
from apps.patients.models import MRN_SEQUENCE, Patient, PortalInvitation

# --- MRN: eight digits from the sequence, then a Luhn check digit ------------------------------

_MRN_PATTERN = re.compile(r"[0-9]{9}")


def mrn_check_digit(payload: str) -> str:
    """The Luhn check digit for the digits in `payload` (it catches one mistyped digit and most
    swaps of two neighbouring digits, the usual errors of MRNs read over the phone)."""
    total = 0
    # Counting from the right of the payload: the check digit will sit to its right, so the
    # payload's last digit is the first to be doubled.
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def mrn_is_valid(mrn: str) -> bool:
    """True if `mrn` is nine ASCII digits whose last is the Luhn check digit of the first eight."""
    return bool(_MRN_PATTERN.fullmatch(mrn)) and mrn_check_digit(mrn[:-1]) == mrn[-1]


def _mrn_from_number(number: int) -> str:
    payload = f"{number:08d}"
    return payload + mrn_check_digit(payload)


def _mrns_allocate(count: int) -> list[str]:
    """`count` new MRNs in one query. Sequence values are never reused, even after a rollback."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [MRN_SEQUENCE, count])
        return [_mrn_from_number(number) for (number,) in cursor.fetchall()]


# --- Validation: one cleaner per field; every bad field is reported at once ---------------------

EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)
# Staff in a time zone ahead of UTC register a baby born "today" there, which may be tomorrow
# in UTC: the future starts after the latest date anywhere on Earth (UTC+14).
_LATEST_UTC_OFFSET = dt.timedelta(hours=14)
_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")
_PHONE_PATTERN = re.compile(r"\+[0-9]{8,15}")
_COUNTRY_PATTERN = re.compile(r"[A-Z]{2}")


class _Invalid(Exception):
    """One value breaks one rule; the message states the rule."""


def _text_value(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Invalid("Must be text.")
    return value.strip()


def _text(name: str, *, required: bool) -> Callable[[object], str]:
    limit = Patient._meta.get_field(name).max_length

    def clean(value: object) -> str:
        text = _text_value(value)
        if required and not text:
            raise _Invalid("Required: must not be blank.")
        if limit is not None and len(text) > limit:
            raise _Invalid(f"Must be at most {limit} characters.")
        return text

    return clean


def _phone(value: object) -> str:
    text = _text_value(value)
    if not text:
        return ""
    normalised = _PHONE_SEPARATORS.sub("", text)
    if not _PHONE_PATTERN.fullmatch(normalised):
        raise _Invalid(
            "Must be in international format: '+' and 8 to 15 digits "
            "(spaces, dashes, dots and brackets are ignored)."
        )
    return normalised


def _email(value: object) -> str:
    # One spelling per address, as accounts stores logins, so the two can be matched.
    text = _text_value(value).lower()
    if not text:
        return ""
    limit = Patient._meta.get_field("email").max_length or 254
    if len(text) > limit:
        raise _Invalid(f"Must be at most {limit} characters.")
    try:
        validate_email(text)
    except ValidationError as exc:
        raise _Invalid("Must be a valid email address, such as name@example.com.") from exc
    return text


def _birth_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise _Invalid("Must be a date.")
    if value < EARLIEST_BIRTH_DATE:
        raise _Invalid(f"Must not be before {EARLIEST_BIRTH_DATE.isoformat()}.")
    if value > (timezone.now() + _LATEST_UTC_OFFSET).date():
        raise _Invalid("Must not be in the future.")
    return value


def _country(value: object) -> str:
    text = _text_value(value).upper()
    if text and not _COUNTRY_PATTERN.fullmatch(text):
        raise _Invalid("Must be an ISO 3166-1 alpha-2 code, such as US or ES.")
    return text


def _language(value: object) -> str:
    if not isinstance(value, str) or value not in LANGUAGES:
        raise _Invalid(f"Must be one of: {', '.join(LANGUAGES)}.")
    return value


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("Must be true or false.")
    return value


def _choice(
    vocabulary: type[AdministrativeGender | ReviewStatus | RegistrationSource],
) -> Callable[[object], str]:
    allowed = ", ".join(member.value for member in vocabulary)

    def clean(value: object) -> str:
        try:
            return vocabulary(value).value
        except (ValueError, TypeError) as exc:
            raise _Invalid(f"Must be one of: {allowed}.") from exc

    return clean


_EDITABLE_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "family_name": _text("family_name", required=True),
    "given_name": _text("given_name", required=True),
    "birth_date": _birth_date,
    "gender": _choice(AdministrativeGender),
    "phone": _phone,
    "email": _email,
    "address_line": _text("address_line", required=False),
    "city": _text("city", required=False),
    "postal_code": _text("postal_code", required=False),
    "country": _country,
    "emergency_contact_name": _text("emergency_contact_name", required=False),
    "emergency_contact_phone": _phone,
    "emergency_contact_relationship": _text("emergency_contact_relationship", required=False),
    "preferred_language": _language,
    "consent_email": _boolean,
    "consent_sms": _boolean,
}
# The fields patient_update accepts, in the order changed_fields lists them.
EDITABLE_FIELDS: tuple[str, ...] = tuple(_EDITABLE_CLEANERS)
# What the notifications projection needs; a change to any of these re-sends the contact data.
CONTACT_FIELDS = frozenset({"phone", "email", "preferred_language", "consent_email", "consent_sms"})
_REGISTRATION_CLEANERS = {**_EDITABLE_CLEANERS, "review_status": _choice(ReviewStatus)}
_PATIENT_DATA_FIELDS = tuple(field.name for field in dataclasses.fields(PatientData))
_clean_source = _choice(RegistrationSource)


def _clean(
    values: Mapping[str, object], cleaners: Mapping[str, Callable[[Any], Any]]
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        cleaner = cleaners.get(name)
        if cleaner is None:
            errors[name] = ["Cannot be set here."]
            continue
        try:
            cleaned[name] = cleaner(value)
        except _Invalid as exc:
            errors[name] = [str(exc)]
    if errors:
        raise ValidationFailed("The patient has invalid fields.", field_errors=errors)
    return cleaned


def patient_validate_fields(*, fields: Mapping[str, object]) -> dict[str, Any]:
    """Check and normalise editable fields, as patient_update would; raises ValidationFailed
    naming every bad field. Writes nothing: forms call it to show errors beside their fields."""
    return _clean(fields, _EDITABLE_CLEANERS)


def _clean_data(data: PatientData) -> dict[str, Any]:
    return _clean(
        {name: getattr(data, name) for name in _PATIENT_DATA_FIELDS}, _REGISTRATION_CLEANERS
    )


def _source(source: object) -> str:
    try:
        return _clean_source(source)
    except _Invalid as exc:
        raise ValidationFailed(
            "The registration source is not valid.", field_errors={"source": [str(exc)]}
        ) from exc


# --- Events --------------------------------------------------------------------------------------


def _contact_changed(patient: Patient) -> PatientContactChanged:
    return PatientContactChanged(
        patient_id=patient.pk,
        email=patient.email,
        phone=patient.phone,
        preferred_language=patient.preferred_language,
        consent_email=patient.consent_email,
        consent_sms=patient.consent_sms,
        active=patient.active,
    )


def _registration_events(patients: Iterable[Patient]) -> Iterator[DomainEvent]:
    for patient in patients:
        yield PatientRegistered(
            patient_id=patient.pk,
            source=RegistrationSource(patient.registration_source),
            preferred_language=patient.preferred_language,
        )
        yield _contact_changed(patient)


# --- Registration --------------------------------------------------------------------------------


@transaction.atomic
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
) -> Patient:
    """Register one patient with a new MRN; raises ValidationFailed naming every bad field."""
    data = PatientData(
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
        review_status=review_status,
    )
    fields = _clean_data(data)
    patient = Patient(
        mrn=_mrns_allocate(1)[0],
        registration_source=_source(source),
        created_by_id=created_by_id,
        updated_by_id=created_by_id,
        **fields,
    )
    history_actor_set(patient, user_id=created_by_id)
    patient.save(force_insert=True)
    for event in _registration_events([patient]):
        emit(event)
    return patient


# Rows per COPY (and per query drawing their ids and MRNs) of a bulk registration.
BULK_BATCH_SIZE = 5000
# A bulk refusal names the bad fields of this many rows at most; the count covers them all.
BULK_ERRORS_REPORTED = 100

# The cleaners of a PatientData's fields, in the order of its fields (and of the COPY columns).
_ROW_CLEANERS = tuple(_REGISTRATION_CLEANERS[name] for name in _PATIENT_DATA_FIELDS)
# Every column of the table, NOT NULL ones given explicitly: COPY applies no model defaults.
_BULK_COLUMNS = (
    "id", "created_at", "updated_at", "created_by_id", "updated_by_id", "mrn",
    *_PATIENT_DATA_FIELDS, "active", "registration_source", "user_id",
)  # fmt: skip
_row_values = operator.attrgetter(*_PATIENT_DATA_FIELDS)
_CONTACT_INDEXES = tuple(
    _PATIENT_DATA_FIELDS.index(name)
    for name in ("email", "phone", "preferred_language", "consent_email", "consent_sms")
)


def _bulk_check(rows: Sequence[PatientData]) -> list[tuple[Any, ...] | None]:
    """Clean every row once; raise ValidationFailed naming the bad fields of the first rows.

    For each row: None when its values are already clean (the usual case for an import, so a
    million rows cost a list of pointers, not a million copies), else its cleaned values.
    """
    cleaned_rows: list[tuple[Any, ...] | None] = []
    errors: dict[str, list[str]] = {}
    bad_rows = 0
    for index, row in enumerate(rows):
        raw = _row_values(row)
        cleaned: list[Any] = []
        row_errors: dict[str, list[str]] | None = None
        for name, cleaner, value in zip(_PATIENT_DATA_FIELDS, _ROW_CLEANERS, raw, strict=True):
            try:
                cleaned.append(cleaner(value))
            except _Invalid as exc:
                row_errors = row_errors or {}
                row_errors[name] = [str(exc)]
        if row_errors is not None:
            bad_rows += 1
            if bad_rows <= BULK_ERRORS_REPORTED:
                for name, messages in row_errors.items():
                    errors[f"rows[{index}].{name}"] = messages
            continue
        # Equal values are of the same kind: a cleaner accepts text only as str (an enum of
        # str, such as ReviewStatus, is written as its value by COPY and by the events).
        values_tuple = tuple(cleaned)
        cleaned_rows.append(None if values_tuple == raw else values_tuple)
    if bad_rows:
        raise ValidationFailed(
            f"{bad_rows} of {len(rows)} rows have invalid fields; nothing was registered.",
            field_errors=errors,
        )
    return cleaned_rows


def _bulk_registration_events(
    registered: Iterable[tuple[int, tuple[Any, ...]]], source: RegistrationSource
) -> Iterator[DomainEvent]:
    email, phone, language, consent_email, consent_sms = _CONTACT_INDEXES
    for patient_id, values in registered:
        yield PatientRegistered(
            patient_id=patient_id, source=source, preferred_language=values[language]
        )
        yield PatientContactChanged(
            patient_id=patient_id,
            email=values[email],
            phone=values[phone],
            preferred_language=values[language],
            consent_email=values[consent_email],
            consent_sms=values[consent_sms],
            active=True,
        )


@transaction.atomic
def patient_bulk_register(
    *,
    rows: Sequence[PatientData],
    source: RegistrationSource | str,
    created_by_id: int | None = None,
) -> list[int]:
    """Register many patients (demo data, imports) with the events one registration emits.

    All or nothing: every row is checked before anything is written (and before MRNs are
    drawn, so a refused import spends none). Rows are streamed with COPY, in batches, under ids
    and MRNs drawn from their sequences in one query per batch; the outbox rows likewise, and
    their "created" history rows in one INSERT ... SELECT per batch.
    Returns the new patients' ids in the order of `rows`.
    """
    registration_source = _source(source)
    cleaned_rows = _bulk_check(rows)
    if not rows:
        return []
    event_source = RegistrationSource(registration_source)
    table = connection.ops.quote_name(Patient._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in _BULK_COLUMNS)
    ids: list[int] = []
    for start in range(0, len(rows), BULK_BATCH_SIZE):
        stop = min(start + BULK_BATCH_SIZE, len(rows))
        batch = [
            _row_values(rows[index]) if cleaned is None else cleaned
            for index, cleaned in zip(range(start, stop), cleaned_rows[start:stop], strict=True)
        ]
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')), nextval(%s) "
                "FROM generate_series(1, %s)",
                [Patient._meta.db_table, MRN_SEQUENCE, len(batch)],
            )
            drawn = cursor.fetchall()
            with (
                connection.wrap_database_errors,  # psycopg errors become Django IntegrityError
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for (patient_id, number), values in zip(drawn, batch, strict=True):
                    copy.write_row(
                        (
                            patient_id, now, now, created_by_id, created_by_id,
                            _mrn_from_number(number), *values, True, registration_source, None,
                        )
                    )  # fmt: skip
        batch_ids = [patient_id for patient_id, _ in drawn]
        history_record_bulk_created(Patient, batch_ids, user_id=created_by_id, when=now)
        emit_many(_bulk_registration_events(zip(batch_ids, batch, strict=True), event_source))
        ids.extend(batch_ids)
    return ids


# --- Changes to a patient ------------------------------------------------------------------------


def _patient_for_update(patient_id: int) -> Patient:
    patient = Patient.objects.select_for_update().filter(pk=patient_id).first()
    if patient is None:
        raise PatientNotFound(f"There is no patient {patient_id}.")
    return patient


@transaction.atomic
def patient_update(*, patient_id: int, updated_by_id: int | None, **fields: object) -> Patient:
    """Change editable fields; emits PatientUpdated (names only) and, if contact data changed,
    PatientContactChanged. Values equal to the stored ones are no change: no write, no event."""
    cleaned = patient_validate_fields(fields=fields)
    patient = _patient_for_update(patient_id)
    changed = [
        name
        for name in EDITABLE_FIELDS
        if name in cleaned and getattr(patient, name) != cleaned[name]
    ]
    if not changed:
        return patient
    for name in changed:
        setattr(patient, name, cleaned[name])
    patient.updated_by_id = updated_by_id
    history_actor_set(patient, user_id=updated_by_id)
    patient.save(update_fields=[*changed, "updated_by", "updated_at"])
    emit(PatientUpdated(patient_id=patient.pk, changed_fields=tuple(changed)))
    if CONTACT_FIELDS.intersection(changed):
        emit(_contact_changed(patient))
    return patient


@transaction.atomic
def patient_deactivate(*, patient_id: int, by_id: int | None) -> Patient:
    """Mark the record inactive (never deleted); projections are told to stop messaging.
    Deactivating an inactive patient changes nothing and emits nothing."""
    patient = _patient_for_update(patient_id)
    if not patient.active:
        return patient
    patient.active = False
    patient.updated_by_id = by_id
    history_actor_set(patient, user_id=by_id)
    patient.save(update_fields=["active", "updated_by", "updated_at"])
    emit(PatientDeactivated(patient_id=patient.pk))
    emit(_contact_changed(patient))
    return patient


@transaction.atomic
def patient_reactivate(*, patient_id: int, by_id: int | None) -> Patient:
    """Undo a deactivation; the contact projection may message the patient again."""
    patient = _patient_for_update(patient_id)
    if patient.active:
        return patient
    patient.active = True
    patient.updated_by_id = by_id
    history_actor_set(patient, user_id=by_id)
    patient.save(update_fields=["active", "updated_by", "updated_at"])
    emit(PatientUpdated(patient_id=patient.pk, changed_fields=("active",)))
    emit(_contact_changed(patient))
    return patient


@transaction.atomic
def patient_approve_registration(*, patient_id: int, by_id: int | None) -> Patient:
    """Approve a self-registration waiting for review, so the patient may book."""
    patient = _patient_for_update(patient_id)
    if patient.review_status != ReviewStatus.PENDING:
        raise Conflict(
            "This registration is not waiting for review.", code="registration_not_pending"
        )
    patient.review_status = ReviewStatus.APPROVED.value
    patient.updated_by_id = by_id
    history_actor_set(patient, user_id=by_id)
    patient.save(update_fields=["review_status", "updated_by", "updated_at"])
    emit(PatientUpdated(patient_id=patient.pk, changed_fields=("review_status",)))
    return patient


@transaction.atomic
def patient_link_user(*, patient_id: int, user_id: int) -> Patient:
    """Give the patient their portal login. Linking the same login again changes nothing; a
    patient with another login, or a login that is another patient's, is refused."""
    patient = _patient_for_update(patient_id)
    if patient.user_id == user_id:
        return patient
    if patient.user_id is not None:
        raise Conflict("This patient already has a portal login.", code="patient_already_linked")
    if not accounts.user_has_role(user_id=user_id, role=Role.PATIENT):
        raise ValidationFailed(
            "The login cannot be linked to a patient.",
            field_errors={"user_id": ["Must be an active user in the patient role."]},
        )
    patient.user_id = user_id
    # The patient links their own login as they register; that request is not signed in.
    history_actor_set(patient, user_id=user_id)
    try:
        # A savepoint, so the unique index's refusal (another patient won a race for this
        # login) leaves the caller's transaction usable.
        with transaction.atomic():
            patient.save(update_fields=["user", "updated_at"])
    except IntegrityError as exc:
        raise Conflict(
            "This login already belongs to another patient.", code="user_already_linked"
        ) from exc
    emit(PatientUpdated(patient_id=patient.pk, changed_fields=("user",)))
    return patient


# --- Portal invitations --------------------------------------------------------------------------

_CODE_SEPARATORS = re.compile(r"[\s-]")
_CODE_ATTEMPTS = 3


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(INVITATION_ALPHABET) for _ in range(INVITATION_CODE_LENGTH))


@transaction.atomic
def invitation_issue(
    *,
    patient_id: int,
    issued_by_id: int | None,
    valid_for: dt.timedelta = dt.timedelta(days=7),
) -> tuple[PortalInvitation, str]:
    """A single-use code for the patient to create their portal login; the plain code is
    returned here once and never stored (only its sha256)."""
    if valid_for <= dt.timedelta(0):
        raise ValidationFailed(
            "The invitation must be valid for some time.",
            field_errors={"valid_for": ["Must be positive."]},
        )
    patient = _patient_for_update(patient_id)
    if not patient.active:
        raise Conflict("The patient record is inactive.", code="patient_inactive")
    if patient.user_id is not None:
        raise Conflict("This patient already has a portal login.", code="patient_already_linked")
    expires_at = timezone.now() + valid_for
    for _ in range(_CODE_ATTEMPTS):
        code = _new_code()
        try:
            # 31^8 codes make a clash with an earlier code (used or not) very rare; the unique
            # index catches it and a savepoint lets us draw again.
            with transaction.atomic():
                invitation = PortalInvitation.objects.create(
                    patient=patient,
                    code_hash=_code_hash(code),
                    expires_at=expires_at,
                    created_by_id=issued_by_id,
                    updated_by_id=issued_by_id,
                )
        except IntegrityError:
            continue
        emit(
            PortalInvitationIssued(
                patient_id=patient.pk, invitation_id=invitation.pk, expires_at=expires_at
            )
        )
        return invitation, code
    raise Conflict("No unused invitation code was found; try again.", code="invitation_retry")


def _invitation_invalid() -> ValidationFailed:
    # The same refusal for unknown, used and expired codes: a guesser learns nothing.
    return ValidationFailed(
        "This invitation code is not valid.",
        code="invitation_invalid",
        field_errors={"code": ["Not a valid invitation code."]},
    )


@transaction.atomic
def invitation_redeem(*, code: str) -> int:
    """Use an invitation code once; the patient's id. Unknown, used and expired codes (and
    codes of inactive patients) are refused alike with code "invitation_invalid"."""
    normalised = _CODE_SEPARATORS.sub("", code).upper() if isinstance(code, str) else ""
    if len(normalised) != INVITATION_CODE_LENGTH or set(normalised) - set(INVITATION_ALPHABET):
        raise _invitation_invalid()
    code_hash = _code_hash(normalised)
    now = timezone.now()
    # The conditional UPDATE is the check: a concurrent redeem of the same code waits on the row
    # lock, then re-reads used_at (no longer NULL) and updates nothing.
    redeemed = PortalInvitation.objects.filter(
        code_hash=code_hash, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now, updated_at=now)
    if redeemed != 1:
        raise _invitation_invalid()
    invitation_id, patient_id, patient_active = PortalInvitation.objects.values_list(
        "id", "patient_id", "patient__active"
    ).get(code_hash=code_hash)
    if not patient_active:
        raise _invitation_invalid()  # rolls the UPDATE back: the code stays unused
    emit(PortalInvitationRedeemed(patient_id=patient_id, invitation_id=invitation_id))
    return patient_id


# --- The patient's own changes through the portal -------------------------------------------------


@transaction.atomic
def patient_update_own(*, patient_id: int, user_id: int, **fields: object) -> Patient:
    """A patient changes their own contact data, language or consent (SELF_EDITABLE_FIELDS);
    any other field is refused, so a caller that forgets to allow-list cannot widen this."""
    refused = sorted(set(fields) - set(SELF_EDITABLE_FIELDS))
    if refused:
        raise ValidationFailed(
            "Some fields cannot be changed here.",
            field_errors={name: ["Cannot be changed by the patient."] for name in refused},
        )
    return patient_update(patient_id=patient_id, updated_by_id=user_id, **fields)


# --- Portal registration: a login for an invited patient, or a new self-registered patient ------

_REGISTRATION_REFUSED = "We cannot register an account with these details."


def _portal_login_create(*, email: str, password: str) -> int:
    """The new patient-role login's id. An address that already has a login gets the generic
    refusal, never "email taken"; the caller's transaction rolls everything back."""
    if accounts.user_find(email=email) is not None:
        raise RegistrationRefused(_REGISTRATION_REFUSED)
    try:
        user = accounts.user_create(email=email, role=Role.PATIENT, password=password)
    except Conflict as exc:  # another registration of this address won the race
        raise RegistrationRefused(_REGISTRATION_REFUSED) from exc
    return user.id


@transaction.atomic
def patient_register_invited(*, email: str, password: str, invitation_code: str) -> Patient:
    """Create the portal login of an invited patient: the invitation is used up, the login is
    created in the patient role and linked, all in one transaction (all or nothing)."""
    email = accounts.user_credentials_validate(email=email, password=password)
    try:
        patient_id = invitation_redeem(code=invitation_code)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.detail,
            code=exc.code,
            field_errors={"invitation_code": exc.field_errors.get("code", [exc.detail])},
        ) from exc
    user_id = _portal_login_create(email=email, password=password)
    return patient_link_user(patient_id=patient_id, user_id=user_id)


@transaction.atomic
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
) -> Patient:
    """A patient registers themself: a record waiting for staff review (they may sign in, not
    book) and its login, linked. The login email is also the record's contact email. Every bad
    field, of the login and of the record, is named at once; nothing is written then."""
    demographics = {
        "family_name": family_name,
        "given_name": given_name,
        "birth_date": birth_date,
        "gender": gender,
        "phone": phone,
        "preferred_language": preferred_language,
    }
    errors: dict[str, list[str]] = {}
    for check in (
        lambda: accounts.user_credentials_validate(email=email, password=password),
        lambda: patient_validate_fields(fields=demographics),
    ):
        try:
            check()
        except ApplicationError as exc:
            errors.update(exc.field_errors)
    if errors:
        raise ValidationFailed("The registration has invalid fields.", field_errors=errors)
    user_id = _portal_login_create(email=email, password=password)
    patient = patient_register(
        **demographics,
        email=email,
        source=RegistrationSource.SELF,
        review_status=ReviewStatus.PENDING,
    )
    return patient_link_user(patient_id=patient.pk, user_id=user_id)
