"""What other apps may call in allergies: record and verify entries, safety checks, banners."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from apps.allergies import selectors, services
from apps.allergies.contracts import (
    AllergyBanner,
    AllergyCategory,
    AllergyData,
    AllergyFlag,
    AllergyInfo,
    AllergyType,
    AssertedBy,
    ClinicalStatus,
    Criticality,
    ReactionData,
    SubstanceInfo,
    TriggeredAllergy,
    VerificationStatus,
)
from apps.core.changes import RecordChange


def _info(allergy_id: int) -> AllergyInfo:
    return selectors.allergy_info(allergy=selectors.allergy_get(allergy_id=allergy_id))


def triggered_allergies(*, patient_id: int, trigger_codes: Sequence[str]) -> list[TriggeredAllergy]:
    """The patient's current allergies (unconfirmed included) that the trigger codes reach.

    One query. A code reaches its own substance and its class family (see
    selectors.allergies_triggered); refuted, inactive and entered-in-error entries never match.
    """
    return selectors.allergies_triggered(patient_id=patient_id, trigger_codes=trigger_codes)


def allergy_banner(*, patient_id: int) -> AllergyBanner:
    return selectors.allergy_banner(patient_id=patient_id)


def allergy_flags(*, patient_ids: Iterable[int]) -> dict[int, AllergyFlag]:
    """Allergy markers of every given patient (all False when none), in one query."""
    return selectors.allergy_flags(patient_ids=patient_ids)


def allergy_list(*, patient_id: int, include_entered_in_error: bool = False) -> list[AllergyInfo]:
    return [
        selectors.allergy_info(allergy=allergy)
        for allergy in selectors.allergy_list_for_patient(
            patient_id=patient_id, include_entered_in_error=include_entered_in_error
        )
    ]


def allergy_get(*, allergy_id: int) -> AllergyInfo:
    return _info(allergy_id)


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
) -> AllergyInfo:
    allergy = services.allergy_record(
        patient_id=patient_id,
        substance_code=substance_code,
        substance_text=substance_text,
        type=type,
        category=category,
        criticality=criticality,
        onset_date=onset_date,
        note=note,
        reactions=reactions,
        asserted_by=asserted_by,
        recorder_id=recorder_id,
        clinical_status=clinical_status,
        verification_status=verification_status,
    )
    return _info(allergy.pk)


def no_known_allergies_record(
    *, patient_id: int, asserted_by: AssertedBy, recorder_id: int | None
) -> AllergyInfo:
    statement = services.no_known_allergies_record(
        patient_id=patient_id, asserted_by=asserted_by, recorder_id=recorder_id
    )
    return _info(statement.pk)


def allergy_confirm(*, allergy_id: int, by_id: int) -> AllergyInfo:
    return _info(services.allergy_confirm(allergy_id=allergy_id, by_id=by_id).pk)


def allergy_refute(*, allergy_id: int, by_id: int) -> AllergyInfo:
    return _info(services.allergy_refute(allergy_id=allergy_id, by_id=by_id).pk)


def allergy_mark_entered_in_error(*, allergy_id: int, by_id: int) -> AllergyInfo:
    return _info(services.allergy_mark_entered_in_error(allergy_id=allergy_id, by_id=by_id).pk)


def allergy_set_clinical_status(
    *, allergy_id: int, clinical_status: ClinicalStatus, by_id: int
) -> AllergyInfo:
    allergy = services.allergy_set_clinical_status(
        allergy_id=allergy_id, clinical_status=clinical_status, by_id=by_id
    )
    return _info(allergy.pk)


def allergy_bulk_record(*, rows: Sequence[AllergyData]) -> int:
    return services.allergy_bulk_record(rows=rows)


def allergies_awaiting_verification(*, limit: int | None = None) -> list[AllergyInfo]:
    """Patient-reported entries waiting for a clinician, oldest first."""
    return [
        selectors.allergy_info(allergy=allergy)
        for allergy in selectors.allergies_awaiting_verification(limit=limit)
    ]


def substance_catalogue() -> list[SubstanceInfo]:
    return [
        selectors.substance_info(substance=substance)
        for substance in selectors.substance_catalogue()
    ]


def triggered_allergies_many(
    *, triggers: Mapping[int, tuple[int, Sequence[str]]]
) -> dict[int, list[TriggeredAllergy]]:
    """triggered_allergies for many (patient id, trigger codes) questions under the caller's
    keys (appointment ids, say), in one query whatever their number."""
    return selectors.allergies_triggered_many(triggers=triggers)


def allergy_changes(*, patient_id: int) -> list[RecordChange]:
    """Who changed what in the patient's allergy entries and reactions and when, newest first,
    in two queries. Values are PHI for care staff's eyes: never log them."""
    changes = selectors.allergy_changes(patient_id=patient_id)
    return sorted(changes, key=lambda change: (change.when, change.sequence), reverse=True)
