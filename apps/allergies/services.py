"""Writes of allergy records: record, "no known allergies", verification and clinical status.

Every write locks the patient's row first, so two writes for one patient run one after the
other and see each other's result; every state change emits its event in the same transaction.
Entries are never deleted: they are refuted, inactivated or marked entered in error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from django.db import connection, models, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from apps.accounts.contracts import Role
from apps.accounts.public import user_has_role
from apps.allergies.contracts import (
    AllergyCategory,
    AllergyConflict,
    AllergyData,
    AllergyNotFound,
    AllergyRuleViolation,
    AllergyStaffOnly,
    AllergyType,
    AssertedBy,
    ClinicalStatus,
    Criticality,
    ExposureRoute,
    ReactionData,
    ReactionSeverity,
    RecordKind,
    VerificationStatus,
)
from apps.allergies.events import AllergyRecorded, AllergyStatusChanged
from apps.allergies.models import AllergyIntolerance, AllergyReaction, Substance
from apps.allergies.selectors import COUNTING_VERIFICATIONS, current_records, member_or_none
from apps.core.errors import ValidationFailed
from apps.core.history import history_actor_set, history_record_bulk_created
from apps.core.outbox import emit, emit_many
from apps.patients.contracts import PatientNotFound

BATCH_SIZE = 5000
# Entries per COPY (and per query drawing their ids) of a bulk record.
COPY_BATCH_SIZE = 50_000
SUBSTANCE_TEXT_MAX_LENGTH = AllergyIntolerance._meta.get_field("substance_text").max_length
MANIFESTATION_MAX_LENGTH = AllergyReaction._meta.get_field("manifestations").base_field.max_length
DESCRIPTION_MAX_LENGTH = AllergyReaction._meta.get_field("description").max_length
# Each role is one query through accounts.public; the most common verifier is asked first.
STAFF_ROLES = (Role.CLINICIAN, Role.ADMIN, Role.FRONT_DESK)
# A new entry is either believed (staff) or awaiting a clinician's review; refuting or erasing
# it are later moves, each with its own event.
INITIAL_VERIFICATIONS = (VerificationStatus.CONFIRMED, VerificationStatus.UNCONFIRMED)

Member = TypeVar("Member", bound=enum.StrEnum)


class _FieldErrors:
    """Field errors gathered over a whole input, so the caller can fix them all at once."""

    def __init__(self, *, rule_broken: bool = False) -> None:
        self.messages: dict[str, list[str]] = defaultdict(list)
        # Raised as AllergyRuleViolation (still a ValidationFailed) when a rule, not a format,
        # was broken: a status move is always a rule.
        self.rule_broken = rule_broken

    def add(self, field: str, message: str, *, rule: bool = False) -> None:
        self.messages[field].append(message)
        self.rule_broken = self.rule_broken or rule

    def raise_if_any(self, detail: str) -> None:
        if not self.messages:
            return
        error = AllergyRuleViolation if self.rule_broken else ValidationFailed
        raise error(detail, field_errors=self.messages)


@dataclasses.dataclass
class _Draft:
    """A validated, unsaved entry and its reactions."""

    allergy: AllergyIntolerance
    reactions: list[AllergyReaction]


def _member(
    vocabulary: type[Member],
    value: object,
    *,
    field: str,
    errors: _FieldErrors,
    required: bool = True,
) -> Member | None:
    if value is None or value == "":
        if required:
            errors.add(field, "is required")
        return None
    try:
        return vocabulary(value)
    except ValueError:
        allowed = ", ".join(member.value for member in vocabulary)
        errors.add(field, f"must be one of: {allowed}")
        return None


def _check_r4(
    *, clinical_status: ClinicalStatus | None, verification_status: VerificationStatus
) -> None:
    """FHIR R4 ait-1, ait-2; the database checks it too (allergy_r4_clinical_status_presence)."""
    entered_in_error = verification_status is VerificationStatus.ENTERED_IN_ERROR
    if entered_in_error and clinical_status is not None:
        raise AllergyRuleViolation(
            "An entry entered in error has no clinical status.",
            field_errors={"clinical_status": ["must be absent when entered in error (R4 ait-2)"]},
        )
    if not entered_in_error and clinical_status is None:
        raise AllergyRuleViolation(
            "An entry needs a clinical status unless it was entered in error.",
            field_errors={"clinical_status": ["is required unless entered in error (R4 ait-1)"]},
        )


def _check_not_future(value: dt.date | None, *, field: str, errors: _FieldErrors) -> None:
    if value is not None and value > timezone.localdate():
        errors.add(field, "cannot be in the future")


def _lock_patients(patient_ids: Iterable[int]) -> None:
    """SELECT ... FOR UPDATE on the patients' rows, in id order so that two writers cannot deadlock.

    Raw SQL because the Patient model belongs to apps.patients; the row lock is what serialises
    writes for one patient (a lock on allergy rows cannot cover an entry not yet inserted).
    """
    wanted = sorted(set(patient_ids))
    found: set[int] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), BATCH_SIZE):
            cursor.execute(
                "SELECT id FROM patients_patient WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                [wanted[start : start + BATCH_SIZE]],
            )
            found.update(row[0] for row in cursor.fetchall())
    missing = [patient_id for patient_id in wanted if patient_id not in found]
    if missing:
        raise PatientNotFound(f"No patient with id {missing[0]}.")


def _lock_allergy(allergy_id: int) -> AllergyIntolerance:
    patient_id = (
        AllergyIntolerance.objects.filter(pk=allergy_id)
        .values_list("patient_id", flat=True)
        .first()
    )
    if patient_id is None:
        raise AllergyNotFound(f"No allergy entry with id {allergy_id}.")
    _lock_patients([patient_id])
    return AllergyIntolerance.objects.select_for_update().get(pk=allergy_id)


def _require_staff(user_id: int | None, *, action: str) -> None:
    if user_id is None or not any(
        user_has_role(user_id=user_id, role=role) for role in STAFF_ROLES
    ):
        raise AllergyStaffOnly(
            f"Only staff may {action} an allergy entry.",
            field_errors={"by_id": ["must be an active staff user"]},
        )


def _substances_by_code(codes: Iterable[str | None]) -> dict[str, Substance]:
    wanted = {code.strip() for code in codes if code and code.strip()}
    if not wanted:
        return {}
    return {substance.code: substance for substance in Substance.objects.filter(code__in=wanted)}


def _initial_verification(
    asserted_by: AssertedBy | None,
    requested: VerificationStatus | None,
    *,
    field: str,
    errors: _FieldErrors,
) -> VerificationStatus:
    if asserted_by is AssertedBy.PATIENT:
        # What a patient reports waits for a clinician, whatever the request says.
        return VerificationStatus.UNCONFIRMED
    if requested is None:
        return VerificationStatus.CONFIRMED
    status = _member(VerificationStatus, requested, field=field, errors=errors)
    if status is not None and status not in INITIAL_VERIFICATIONS:
        errors.add(field, "a new entry is confirmed or unconfirmed", rule=True)
    return status or VerificationStatus.CONFIRMED


def _initial_clinical_status(
    value: ClinicalStatus | None, *, field: str, errors: _FieldErrors
) -> ClinicalStatus | None:
    if value is None:
        errors.add(field, "is required unless entered in error (R4 ait-1)", rule=True)
        return None
    return _member(ClinicalStatus, value, field=field, errors=errors)


def _substance(
    data: AllergyData, substances: Mapping[str, Substance], *, prefix: str, errors: _FieldErrors
) -> tuple[Substance | None, str]:
    """The catalogue entry or the free text; exactly one of them names the substance."""
    code = (data.substance_code or "").strip()
    text = (data.substance_text or "").strip()
    if code and text:
        for field in ("substance_code", "substance_text"):
            errors.add(prefix + field, "give a catalogue code or free text, not both")
    elif not code and not text:
        errors.add(prefix + "substance_code", "is required: a catalogue code or substance_text")
    elif code and code not in substances:
        errors.add(prefix + "substance_code", "is not in the allergen catalogue")
    elif len(text) > SUBSTANCE_TEXT_MAX_LENGTH:
        errors.add(prefix + "substance_text", f"at most {SUBSTANCE_TEXT_MAX_LENGTH} characters")
    return substances.get(code), (text if not code else "")


def _reaction_draft(reaction: object, *, prefix: str, errors: _FieldErrors) -> AllergyReaction:
    if not isinstance(reaction, ReactionData):
        errors.add(prefix.rstrip("."), "must be a ReactionData")
        return AllergyReaction()
    raw = () if isinstance(reaction.manifestations, str) else reaction.manifestations
    names = [name.strip() for name in raw if isinstance(name, str) and name.strip()]
    if not names:
        errors.add(prefix + "manifestations", "at least one non-empty manifestation is required")
    elif any(len(name) > MANIFESTATION_MAX_LENGTH for name in names):
        errors.add(prefix + "manifestations", f"at most {MANIFESTATION_MAX_LENGTH} characters each")
    severity = _member(
        ReactionSeverity, reaction.severity, field=prefix + "severity", errors=errors
    )
    route = _member(
        ExposureRoute,
        reaction.exposure_route or ExposureRoute.UNKNOWN,
        field=prefix + "exposure_route",
        errors=errors,
    )
    description = (reaction.description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors.add(prefix + "description", f"at most {DESCRIPTION_MAX_LENGTH} characters")
    _check_not_future(reaction.onset_date, field=prefix + "onset_date", errors=errors)
    return AllergyReaction(
        manifestations=names,
        severity=severity or "",
        exposure_route=route or ExposureRoute.UNKNOWN,
        description=description,
        onset_date=reaction.onset_date,
    )


def _allergy_draft(
    data: AllergyData, substances: Mapping[str, Substance], *, prefix: str, errors: _FieldErrors
) -> _Draft:
    asserted_by = _member(AssertedBy, data.asserted_by, field=prefix + "asserted_by", errors=errors)
    substance, text = _substance(data, substances, prefix=prefix, errors=errors)
    allergy_type = _member(
        AllergyType, data.type, field=prefix + "type", errors=errors, required=False
    )
    category = _member(
        AllergyCategory, data.category, field=prefix + "category", errors=errors, required=False
    )
    if category is None and substance is not None:
        category = AllergyCategory(substance.category)
    criticality = _member(
        Criticality, data.criticality, field=prefix + "criticality", errors=errors
    )
    clinical_status = _initial_clinical_status(
        data.clinical_status, field=prefix + "clinical_status", errors=errors
    )
    verification_status = _initial_verification(
        asserted_by, data.verification_status, field=prefix + "verification_status", errors=errors
    )
    _check_not_future(data.onset_date, field=prefix + "onset_date", errors=errors)
    reactions = [
        _reaction_draft(reaction, prefix=f"{prefix}reactions.{index}.", errors=errors)
        for index, reaction in enumerate(data.reactions)
    ]
    allergy = AllergyIntolerance(
        patient_id=data.patient_id,
        kind=RecordKind.ALLERGY,
        substance=substance,
        substance_text=text,
        type=allergy_type or "",
        category=category or "",
        criticality=criticality or "",
        clinical_status=clinical_status,
        verification_status=verification_status,
        onset_date=data.onset_date,
        recorded_at=data.recorded_at or timezone.now(),
        recorder_id=data.recorder_id,
        asserted_by=asserted_by or "",
        note=data.note or "",
        created_by_id=data.recorder_id,
        updated_by_id=data.recorder_id,
    )
    return _Draft(allergy=allergy, reactions=reactions)


def _no_known_allergies_draft(data: AllergyData, *, prefix: str, errors: _FieldErrors) -> _Draft:
    not_allowed = {
        "substance_code": data.substance_code,
        "substance_text": data.substance_text,
        "type": data.type,
        "category": data.category,
        "criticality": data.criticality,
        "onset_date": data.onset_date,
        "reactions": data.reactions,
    }
    for field, value in not_allowed.items():
        if value:
            errors.add(prefix + field, "a no-known-allergies statement names no allergy")
    asserted_by = _member(AssertedBy, data.asserted_by, field=prefix + "asserted_by", errors=errors)
    statement = AllergyIntolerance(
        patient_id=data.patient_id,
        kind=RecordKind.NO_KNOWN_ALLERGIES,
        clinical_status=_initial_clinical_status(
            data.clinical_status, field=prefix + "clinical_status", errors=errors
        ),
        verification_status=_initial_verification(
            asserted_by,
            data.verification_status,
            field=prefix + "verification_status",
            errors=errors,
        ),
        recorded_at=data.recorded_at or timezone.now(),
        recorder_id=data.recorder_id,
        asserted_by=asserted_by or "",
        note=data.note or "",
        created_by_id=data.recorder_id,
        updated_by_id=data.recorder_id,
    )
    return _Draft(allergy=statement, reactions=[])


def _draft(
    data: AllergyData, substances: Mapping[str, Substance], *, prefix: str, errors: _FieldErrors
) -> _Draft:
    if data.no_known_allergies:
        return _no_known_allergies_draft(data, prefix=prefix, errors=errors)
    return _allergy_draft(data, substances, prefix=prefix, errors=errors)


def _recorded(allergy: AllergyIntolerance) -> AllergyRecorded:
    return AllergyRecorded(
        allergy_id=allergy.pk,
        patient_id=allergy.patient_id,
        kind=RecordKind(allergy.kind),
        substance_code=allergy.substance.code if allergy.substance_id else None,
        category=member_or_none(AllergyCategory, allergy.category),
        criticality=member_or_none(Criticality, allergy.criticality),
        clinical_status=ClinicalStatus(allergy.clinical_status),
        verification_status=VerificationStatus(allergy.verification_status),
        asserted_by=AssertedBy(allergy.asserted_by),
    )


def _status_moved(
    allergy: AllergyIntolerance,
    *,
    clinical_status: ClinicalStatus | None,
    verification_status: VerificationStatus,
    by_id: int | None,
) -> AllergyStatusChanged:
    """Set the statuses on the (unsaved) entry; the event that describes the move."""
    _check_r4(clinical_status=clinical_status, verification_status=verification_status)
    event = AllergyStatusChanged(
        allergy_id=allergy.pk,
        patient_id=allergy.patient_id,
        clinical_status=clinical_status,
        verification_status=verification_status,
        previous_clinical_status=member_or_none(ClinicalStatus, allergy.clinical_status),
        previous_verification_status=VerificationStatus(allergy.verification_status),
        changed_by_id=by_id,
    )
    allergy.clinical_status = clinical_status
    allergy.verification_status = verification_status
    allergy.updated_by_id = by_id
    history_actor_set(allergy, user_id=by_id)
    return event


def _change_status(
    allergy: AllergyIntolerance,
    *,
    clinical_status: ClinicalStatus | None,
    verification_status: VerificationStatus,
    by_id: int | None,
) -> AllergyIntolerance:
    event = _status_moved(
        allergy,
        clinical_status=clinical_status,
        verification_status=verification_status,
        by_id=by_id,
    )
    allergy.save(
        update_fields=["clinical_status", "verification_status", "updated_by", "updated_at"]
    )
    emit(event)
    return allergy


def _refuse_duplicate(allergy: AllergyIntolerance) -> None:
    if allergy.substance_id is None:
        return
    others = current_records(patient_id=allergy.patient_id).filter(
        kind=RecordKind.ALLERGY, substance_id=allergy.substance_id
    )
    if allergy.pk is not None:
        others = others.exclude(pk=allergy.pk)
    if others.exists():
        raise AllergyConflict(
            "The patient already has an active entry for this substance.",
            code="allergy_duplicate",
            field_errors={"substance_code": ["already recorded and active for this patient"]},
        )


def _refuse_if_allergies_are_active(patient_id: int) -> None:
    if current_records(patient_id=patient_id).filter(kind=RecordKind.ALLERGY).exists():
        raise AllergyConflict(
            "The patient has active allergies; they cannot also have no known allergies.",
            code="active_allergies_exist",
            field_errors={"kind": ["the patient has active, non-refuted allergies"]},
        )


def _inactivate_no_known_allergies(*, patient_id: int, by_id: int | None) -> None:
    """A newly known allergy ends the "no known allergies" statement instead of being refused."""
    for statement in current_records(patient_id=patient_id).filter(
        kind=RecordKind.NO_KNOWN_ALLERGIES
    ):
        _change_status(
            statement,
            clinical_status=ClinicalStatus.INACTIVE,
            verification_status=VerificationStatus(statement.verification_status),
            by_id=by_id,
        )


def _save_new(draft: _Draft) -> AllergyIntolerance:
    allergy = draft.allergy
    history_actor_set(allergy, user_id=allergy.created_by_id)
    allergy.save()
    for reaction in draft.reactions:
        reaction.allergy = allergy
        history_actor_set(reaction, user_id=allergy.created_by_id)
    bulk_create_with_history(draft.reactions, AllergyReaction)
    emit(_recorded(allergy))
    return allergy


@transaction.atomic
def allergy_record(
    *,
    patient_id: int,
    substance_code: str | None,
    substance_text: str = "",
    type: AllergyType | None,
    category: AllergyCategory | None = None,
    criticality: Criticality,
    onset_date: dt.date | None = None,
    note: str = "",
    reactions: Sequence[ReactionData] = (),
    asserted_by: AssertedBy,
    recorder_id: int | None,
    clinical_status: ClinicalStatus = ClinicalStatus.ACTIVE,
    verification_status: VerificationStatus | None = None,
) -> AllergyIntolerance:
    """Record an allergy or intolerance to a catalogued substance or one named in free text.

    A patient's own report starts unconfirmed whatever is asked; staff entries start confirmed
    unless verification_status=unconfirmed. category defaults to the substance's. An active
    entry ends an active "no known allergies" statement, and may not duplicate an active entry
    of the same catalogued substance.
    """
    _lock_patients([patient_id])
    errors = _FieldErrors()
    draft = _allergy_draft(
        AllergyData(
            patient_id=patient_id,
            asserted_by=asserted_by,
            substance_code=substance_code,
            substance_text=substance_text,
            type=type,
            category=category,
            criticality=criticality,
            clinical_status=clinical_status,
            verification_status=verification_status,
            onset_date=onset_date,
            note=note,
            reactions=tuple(reactions),
            recorder_id=recorder_id,
        ),
        _substances_by_code([substance_code]),
        prefix="",
        errors=errors,
    )
    errors.raise_if_any("The allergy cannot be recorded as given.")
    if draft.allergy.clinical_status == ClinicalStatus.ACTIVE:
        _refuse_duplicate(draft.allergy)
        _inactivate_no_known_allergies(patient_id=patient_id, by_id=recorder_id)
    return _save_new(draft)


@transaction.atomic
def no_known_allergies_record(
    *, patient_id: int, asserted_by: AssertedBy, recorder_id: int | None
) -> AllergyIntolerance:
    """State that the patient has no known allergies; the active statement if one exists."""
    _lock_patients([patient_id])
    errors = _FieldErrors()
    draft = _no_known_allergies_draft(
        AllergyData(
            patient_id=patient_id,
            asserted_by=asserted_by,
            no_known_allergies=True,
            recorder_id=recorder_id,
        ),
        prefix="",
        errors=errors,
    )
    errors.raise_if_any("The statement cannot be recorded as given.")
    _refuse_if_allergies_are_active(patient_id)
    existing = (
        current_records(patient_id=patient_id)
        .filter(kind=RecordKind.NO_KNOWN_ALLERGIES)
        .order_by("recorded_at", "id")
        .first()
    )
    if existing is not None:
        return existing
    return _save_new(draft)


@transaction.atomic
def allergy_confirm(*, allergy_id: int, by_id: int) -> AllergyIntolerance:
    """A clinician verified an unconfirmed entry."""
    _require_staff(by_id, action="confirm")
    allergy = _lock_allergy(allergy_id)
    if allergy.verification_status != VerificationStatus.UNCONFIRMED:
        raise AllergyRuleViolation(
            "Only an unconfirmed entry can be confirmed.",
            field_errors={
                "verification_status": [f"cannot move from {allergy.verification_status}"]
            },
        )
    return _change_status(
        allergy,
        clinical_status=member_or_none(ClinicalStatus, allergy.clinical_status),
        verification_status=VerificationStatus.CONFIRMED,
        by_id=by_id,
    )


@transaction.atomic
def allergy_refute(*, allergy_id: int, by_id: int) -> AllergyIntolerance:
    """A clinician disproved an entry: it becomes refuted and inactive and warns no more."""
    # Staff only, like confirming: a refuted allergy silences every safety check.
    _require_staff(by_id, action="refute")
    allergy = _lock_allergy(allergy_id)
    if allergy.verification_status not in INITIAL_VERIFICATIONS:
        raise AllergyRuleViolation(
            "Only an unconfirmed or confirmed entry can be refuted.",
            field_errors={
                "verification_status": [f"cannot move from {allergy.verification_status}"]
            },
        )
    return _change_status(
        allergy,
        clinical_status=ClinicalStatus.INACTIVE,
        verification_status=VerificationStatus.REFUTED,
        by_id=by_id,
    )


@transaction.atomic
def allergy_mark_entered_in_error(*, allergy_id: int, by_id: int) -> AllergyIntolerance:
    """The entry should never have been made: kept for the record, with no clinical status."""
    allergy = _lock_allergy(allergy_id)
    if allergy.verification_status == VerificationStatus.ENTERED_IN_ERROR:
        raise AllergyRuleViolation(
            "The entry is already marked entered in error.",
            field_errors={"verification_status": ["is already entered-in-error"]},
        )
    return _change_status(
        allergy,
        clinical_status=None,
        verification_status=VerificationStatus.ENTERED_IN_ERROR,
        by_id=by_id,
    )


@transaction.atomic
def allergy_set_clinical_status(
    *, allergy_id: int, clinical_status: ClinicalStatus, by_id: int
) -> AllergyIntolerance:
    """Move an entry between active, inactive and resolved (not once refuted or in error).

    Reactivating an allergy ends an active "no known allergies" statement; reactivating that
    statement is refused while allergies are active.
    """
    allergy = _lock_allergy(allergy_id)
    verification = VerificationStatus(allergy.verification_status)
    if clinical_status is None:
        _check_r4(clinical_status=None, verification_status=verification)
    errors = _FieldErrors(rule_broken=True)
    target = _member(ClinicalStatus, clinical_status, field="clinical_status", errors=errors)
    if verification not in INITIAL_VERIFICATIONS:
        errors.add("clinical_status", f"cannot change on a {verification} entry")
    elif target is not None and target == allergy.clinical_status:
        errors.add("clinical_status", f"is already {target}")
    errors.raise_if_any("The clinical status cannot move as asked.")
    if target is ClinicalStatus.ACTIVE:
        if allergy.kind == RecordKind.NO_KNOWN_ALLERGIES:
            _refuse_if_allergies_are_active(allergy.patient_id)
        else:
            _refuse_duplicate(allergy)
            _inactivate_no_known_allergies(patient_id=allergy.patient_id, by_id=by_id)
    return _change_status(
        allergy, clinical_status=target, verification_status=verification, by_id=by_id
    )


@dataclasses.dataclass
class _PatientState:
    """What is in force for one patient while a bulk load is checked, row after row."""

    substance_ids: set[int] = dataclasses.field(default_factory=set)
    has_allergy: bool = False
    has_statement: bool = False
    statements: list[AllergyIntolerance] = dataclasses.field(default_factory=list)


def _bulk_states(patient_ids: Sequence[int]) -> dict[int, _PatientState]:
    """What is already in force for these patients: one query per batch of patients."""
    states: dict[int, _PatientState] = defaultdict(_PatientState)
    for start in range(0, len(patient_ids), BATCH_SIZE):
        for record in AllergyIntolerance.objects.filter(
            patient_id__in=patient_ids[start : start + BATCH_SIZE],
            clinical_status=ClinicalStatus.ACTIVE,
            verification_status__in=COUNTING_VERIFICATIONS,
        ):
            state = states[record.patient_id]
            if record.kind == RecordKind.NO_KNOWN_ALLERGIES:
                state.has_statement = True
                state.statements.append(record)
            else:
                state.has_allergy = True
                if record.substance_id is not None:
                    state.substance_ids.add(record.substance_id)
    return states


def _bulk_conflicts(drafts: Sequence[_Draft]) -> dict[int, tuple[AllergyIntolerance, int | None]]:
    """Refuse what allergy_record would refuse; the statements the new allergies end.

    Returns {statement id: (statement, id of the recorder whose row ends it)}.
    """
    active = [
        (index, draft.allergy)
        for index, draft in enumerate(drafts)
        if draft.allergy.clinical_status == ClinicalStatus.ACTIVE
    ]
    states = _bulk_states(sorted({allergy.patient_id for _, allergy in active}))
    ended: dict[int, tuple[AllergyIntolerance, int | None]] = {}
    conflicts = _FieldErrors()
    code = ""
    for index, allergy in active:
        state = states[allergy.patient_id]
        if allergy.kind == RecordKind.NO_KNOWN_ALLERGIES:
            if state.has_allergy or state.has_statement:
                code = code or (
                    "allergy_duplicate" if state.has_statement else "active_allergies_exist"
                )
                conflicts.add(f"rows.{index}.kind", "the patient's allergies are already stated")
            state.has_statement = True
            continue
        if allergy.substance_id is not None and allergy.substance_id in state.substance_ids:
            code = code or "allergy_duplicate"
            conflicts.add(f"rows.{index}.substance_code", "already active for this patient")
        if state.has_statement and not state.statements:
            # The statement is another row of this load: the load contradicts itself.
            code = code or "active_allergies_exist"
            conflicts.add(f"rows.{index}.kind", "contradicts a no-known-allergies row")
        for statement in state.statements:
            ended.setdefault(statement.pk, (statement, allergy.recorder_id))
        state.has_allergy = True
        if allergy.substance_id is not None:
            state.substance_ids.add(allergy.substance_id)
    if conflicts.messages:
        raise AllergyConflict(
            "Some rows conflict with the patients' records.",
            code=code,
            field_errors=conflicts.messages,
        )
    return ended


@transaction.atomic
def allergy_bulk_record(*, rows: Sequence[AllergyData]) -> int:
    """Record many entries at once (demo data, imports), with the same rules and events.

    Queries per batch of 5,000, never per row; the number of entries recorded. Entries and
    reactions get their "created" history rows in one INSERT ... SELECT per COPY batch.
    """
    rows = list(rows)
    if not rows:
        return 0
    _lock_patients(row.patient_id for row in rows)
    substances = _substances_by_code(row.substance_code for row in rows)
    errors = _FieldErrors()
    drafts = [
        _draft(row, substances, prefix=f"rows.{index}.", errors=errors)
        for index, row in enumerate(rows)
    ]
    errors.raise_if_any("Some rows cannot be recorded as given.")
    ended = _bulk_conflicts(drafts)

    now = timezone.now()
    status_events = []
    for statement, by_id in ended.values():
        status_events.append(
            _status_moved(
                statement,
                clinical_status=ClinicalStatus.INACTIVE,
                verification_status=VerificationStatus(statement.verification_status),
                by_id=by_id,
            )
        )
        statement.updated_at = now  # bulk_update does not apply auto_now
    # Each statement names its own actor (_status_moved); history rows go in per batch too.
    bulk_update_with_history(
        [statement for statement, _ in ended.values()],
        AllergyIntolerance,
        ["clinical_status", "updated_by", "updated_at"],
        batch_size=BATCH_SIZE,
        default_date=now,
    )
    emit_many(status_events)

    allergies = [draft.allergy for draft in drafts]
    for start in range(0, len(drafts), COPY_BATCH_SIZE):
        _copy_drafts(drafts[start : start + COPY_BATCH_SIZE], now=now)
        emit_many(_recorded(allergy) for allergy in allergies[start : start + COPY_BATCH_SIZE])
    return len(allergies)


# Every column, NOT NULL ones given explicitly: COPY applies no model defaults.
_ALLERGY_COLUMNS = (
    "id", "created_at", "updated_at", "created_by_id", "updated_by_id", "patient_id", "kind",
    "substance_id", "substance_text", "type", "category", "criticality", "clinical_status",
    "verification_status", "onset_date", "recorded_at", "recorder_id", "asserted_by", "note",
)  # fmt: skip
_REACTION_COLUMNS = (
    "id", "allergy_id", "manifestations", "severity", "exposure_route", "description",
    "onset_date",
)  # fmt: skip


def _reserve_ids(cursor: CursorWrapper, model: type[models.Model], count: int) -> list[int]:
    """`count` ids of `model`'s table, drawn from its sequence in one query."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [model._meta.db_table, count],
    )
    return [row[0] for row in cursor.fetchall()]


def _copy_statement(model: type[models.Model], columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    return f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"


def _optional(value: object) -> str | None:
    """A vocabulary member as its value; None (FHIR's "absent") stays NULL."""
    return None if value is None else str(value)


def _copy_drafts(drafts: Sequence[_Draft], *, now: dt.datetime) -> None:
    """Stream the drafts and their reactions with COPY, setting the entries' ids.

    Ids are drawn from the tables' sequences in one query each; the database's constraints
    still hold and refuse the batch whole (as Django's IntegrityError).
    """
    reaction_count = sum(len(draft.reactions) for draft in drafts)
    # History rows name the recorder: one INSERT ... SELECT per recorder in the batch.
    creators: dict[int | None, list[int]] = defaultdict(list)
    reaction_creators: dict[int | None, list[int]] = defaultdict(list)
    with connection.cursor() as cursor:
        allergy_ids = _reserve_ids(cursor, AllergyIntolerance, len(drafts))
        reaction_ids = iter(_reserve_ids(cursor, AllergyReaction, reaction_count))
        with (
            connection.wrap_database_errors,  # psycopg errors become Django IntegrityError
            cursor.cursor.copy(_copy_statement(AllergyIntolerance, _ALLERGY_COLUMNS)) as copy,
        ):
            for allergy_id, draft in zip(allergy_ids, drafts, strict=True):
                a = draft.allergy
                a.id = allergy_id
                a.created_at = a.updated_at = now
                creators[a.created_by_id].append(allergy_id)
                copy.write_row(
                    (
                        allergy_id, now, now, a.created_by_id, a.updated_by_id, a.patient_id,
                        str(a.kind), a.substance_id, a.substance_text, str(a.type),
                        str(a.category), str(a.criticality), _optional(a.clinical_status),
                        str(a.verification_status), a.onset_date, a.recorded_at, a.recorder_id,
                        str(a.asserted_by), a.note,
                    )
                )  # fmt: skip
        for user_id, ids in creators.items():
            history_record_bulk_created(AllergyIntolerance, ids, user_id=user_id, when=now)
        if not reaction_count:
            return
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(_copy_statement(AllergyReaction, _REACTION_COLUMNS)) as copy,
        ):
            for allergy_id, draft in zip(allergy_ids, drafts, strict=True):
                for reaction in draft.reactions:
                    reaction.allergy_id = allergy_id
                    reaction.id = next(reaction_ids)
                    reaction_creators[draft.allergy.created_by_id].append(reaction.id)
                    copy.write_row(
                        (
                            reaction.id, allergy_id, list(reaction.manifestations),
                            str(reaction.severity), str(reaction.exposure_route),
                            reaction.description, reaction.onset_date,
                        )
                    )  # fmt: skip
        for user_id, ids in reaction_creators.items():
            history_record_bulk_created(AllergyReaction, ids, user_id=user_id, when=now)
