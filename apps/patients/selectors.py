"""Reads of patients: by id or login, the review queue, search, profiles and the public DTOs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Upper

from apps.core.changes import RecordChange
from apps.core.history import record_changes
from apps.patients.contracts import (
    AdministrativeGender,
    PatientNotFound,
    PatientProfile,
    PatientRecord,
    PatientSummary,
    PendingRegistration,
    RegistrationSource,
    ReviewStatus,
)
from apps.patients.models import Patient

MAX_SEARCH_LIMIT = 100
_MRN_QUERY = re.compile(r"(?:MRN[\s:#-]*)?([0-9]{9})", re.IGNORECASE)
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DAY_FIRST_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_SUMMARY_FIELDS = (
    "id",
    "mrn",
    "family_name",
    "given_name",
    "birth_date",
    "gender",
    "active",
    "review_status",
)


def patient_get(*, patient_id: int) -> Patient:
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        raise PatientNotFound(f"There is no patient {patient_id}.")
    return patient


def patient_for_user(*, user_id: int) -> Patient | None:
    """The patient whose portal login is `user_id`, if any."""
    return Patient.objects.filter(user_id=user_id).first()


def patients_pending_review() -> QuerySet[Patient]:
    """Active self-registrations waiting for staff, oldest first."""
    return Patient.objects.filter(review_status=ReviewStatus.PENDING, active=True).order_by(
        "created_at", "id"
    )


def _parse_date(text: str) -> tuple[bool, dt.date | None]:
    """(whether `text` is shaped as YYYY-MM-DD or DD/MM/YYYY, the day it names if one exists)."""
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DAY_FIRST_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        return False, None
    try:
        return True, dt.date(int(year), int(month), int(day))
    except ValueError:
        return True, None


def _name_parts(text: str) -> tuple[str, str]:
    """(family prefix, given prefix) of "smith jo" or "smith, jo"; a lone word has no given."""
    if "," in text:
        family, _, given = text.partition(",")
        return family.strip(), given.strip()
    family, _, given = text.partition(" ")
    return family, " ".join(given.split())


def patient_search_filter(*, queryset: QuerySet[Patient], query: str) -> QuerySet[Patient]:
    """Narrow `queryset` to the patients `query` names, each kind of query through an index:

    - nine digits, optionally after "MRN": that MRN exactly (unique index);
    - YYYY-MM-DD or DD/MM/YYYY: that birth date (patient_birth_date_idx);
    - otherwise name prefixes, case-insensitive: "smi" starts the family or the given name,
      "smith jo" / "smith, jo" start the family and the given name. They compare
      UPPER(name) with LIKE 'PREFIX%', which the functional text_pattern_ops indexes serve
      (Django escapes % and _ in the prefix, so they match only themselves).
    """
    text = " ".join(query.split())
    if not text:
        return queryset.none()
    if match := _MRN_QUERY.fullmatch(text):
        return queryset.filter(mrn=match.group(1))
    date_shaped, birth_date = _parse_date(text)
    if date_shaped:
        return queryset.filter(birth_date=birth_date) if birth_date else queryset.none()
    condition = _name_condition(*_name_parts(text))
    if condition is None:
        return queryset.none()
    return queryset.annotate(
        family_upper=Upper("family_name"), given_upper=Upper("given_name")
    ).filter(condition)


def _upper(prefix: str) -> str:
    """`prefix` upper-cased as Postgres' UPPER() does it: character by character, so a letter
    whose capital is two letters in Python ("ß" -> "SS") stays as it is, as in the index."""
    return "".join(upper if len(upper := char.upper()) == 1 else char for char in prefix)


def _name_condition(family: str, given: str) -> Q | None:
    """Prefix conditions on the family_upper / given_upper annotations; None for no name."""
    if family and given:
        return Q(family_upper__startswith=_upper(family), given_upper__startswith=_upper(given))
    if family:
        prefix = _upper(family)
        return Q(family_upper__startswith=prefix) | Q(given_upper__startswith=prefix)
    if given:
        return Q(given_upper__startswith=_upper(given))
    return None


def patient_search(
    *,
    query: str,
    limit: int = 25,
    within_ids: Iterable[int] | None = None,
    include_inactive: bool = False,
) -> QuerySet[Patient]:
    """Patients matching `query` (see patient_search_filter), by family, given name and id.

    `within_ids` restricts the search to those patients (a clinician's own, say); `limit` is
    held between 1 and MAX_SEARCH_LIMIT, so a search never returns a whole registry.
    """
    queryset = Patient.objects.all()
    if not include_inactive:
        queryset = queryset.filter(active=True)
    if within_ids is not None:
        queryset = queryset.filter(id__in=list(within_ids))
    queryset = patient_search_filter(queryset=queryset, query=query)
    limit = min(max(limit, 1), MAX_SEARCH_LIMIT)
    return queryset.order_by("family_name", "given_name", "id")[:limit]


def _summary(values: Mapping[str, Any]) -> PatientSummary:
    return PatientSummary(
        id=values["id"],
        mrn=values["mrn"],
        family_name=values["family_name"],
        given_name=values["given_name"],
        birth_date=values["birth_date"],
        gender=AdministrativeGender(values["gender"]),
        active=values["active"],
        review_status=ReviewStatus(values["review_status"]),
    )


def patient_summary(*, patient: Patient) -> PatientSummary:
    return _summary({name: getattr(patient, name) for name in _SUMMARY_FIELDS})


def patient_summaries(*, patient_ids: Iterable[int]) -> dict[int, PatientSummary]:
    """Summaries of the given patients that exist, keyed by id, in one query."""
    ids = list(set(patient_ids))
    if not ids:
        return {}
    rows = Patient.objects.filter(id__in=ids).values(*_SUMMARY_FIELDS)
    return {row["id"]: _summary(row) for row in rows}


_PROFILE_FIELDS = tuple(field.name for field in dataclasses.fields(PatientProfile))


def patient_profile(*, patient_id: int) -> PatientProfile:
    """The active patient's own profile, in one query; raises PatientNotFound."""
    values = Patient.objects.filter(pk=patient_id, active=True).values(*_PROFILE_FIELDS).first()
    if values is None:
        raise PatientNotFound(f"There is no patient {patient_id}.")
    return PatientProfile(
        **{
            **values,
            "gender": AdministrativeGender(values["gender"]),
            "review_status": ReviewStatus(values["review_status"]),
        }
    )


def patient_id_for_portal_login(*, user_id: int) -> int | None:
    """The patient a portal login may act for: an active record (approved or waiting for
    review) linked to an active login. One query; None for anything else."""
    return (
        Patient.objects.filter(user_id=user_id, user__is_active=True, active=True)
        .values_list("id", flat=True)
        .first()
    )


def registrations_pending(*, limit: int) -> list[PendingRegistration]:
    """Self-registrations waiting for review, oldest first, in one query."""
    rows = patients_pending_review().values(
        "id", "family_name", "given_name", "birth_date", "email", "created_at"
    )[: max(limit, 1)]
    return [
        PendingRegistration(
            id=row["id"],
            family_name=row["family_name"],
            given_name=row["given_name"],
            birth_date=row["birth_date"],
            email=row["email"],
            registered_at=row["created_at"],
        )
        for row in rows
    ]


_RECORD_FIELDS = tuple(field.name for field in dataclasses.fields(PatientRecord))


def patient_record(*, patient_id: int) -> PatientRecord:
    """The whole record, active or not, in one query; raises PatientNotFound."""
    values = Patient.objects.filter(pk=patient_id).values(*_RECORD_FIELDS).first()
    if values is None:
        raise PatientNotFound(f"There is no patient {patient_id}.")
    return PatientRecord(
        **{
            **values,
            "gender": AdministrativeGender(values["gender"]),
            "review_status": ReviewStatus(values["review_status"]),
        }
    )


def patient_ids_registered_by(
    *, user_id: int, since: dt.datetime, patient_ids: Iterable[int] | None = None
) -> set[int]:
    """Patients `user_id` registered one by one at or after `since` (of `patient_ids`, if given);
    one query. Bulk imports do not count: an importer is not caring for every imported patient."""
    queryset = Patient.objects.filter(
        created_by_id=user_id,
        created_at__gte=since,
        registration_source=RegistrationSource.STAFF,
    )
    if patient_ids is not None:
        ids = list(set(patient_ids))
        if not ids:
            return set()
        queryset = queryset.filter(id__in=ids)
    return set(queryset.values_list("id", flat=True))


def patient_changes(*, patient_id: int) -> list[RecordChange]:
    """The saved versions of the patient's record as changes, oldest first, in one query."""
    rows = Patient.history.filter(id=patient_id).order_by("history_id")
    return record_changes(
        rows, model=Patient, record_type="patient", label=lambda row: "Patient record"
    )
