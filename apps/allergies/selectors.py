"""Reads of allergy records: a patient's list, banner and safety checks, worklists, catalogue."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from apps.allergies.contracts import (
    AllergyBanner,
    AllergyBannerEntry,
    AllergyCategory,
    AllergyFlag,
    AllergyInfo,
    AllergyNotFound,
    AllergyType,
    AssertedBy,
    BannerStatus,
    ClinicalStatus,
    Criticality,
    ExposureRoute,
    ReactionInfo,
    ReactionSeverity,
    RecordKind,
    SubstanceInfo,
    TriggeredAllergy,
    VerificationStatus,
)
from apps.allergies.models import AllergyIntolerance, AllergyReaction, Substance
from apps.core.changes import RecordChange
from apps.core.history import record_changes

# Verification statuses under which an entry counts as known: an unconfirmed entry is not yet
# verified, but safety comes first, so it warns like a confirmed one.
COUNTING_VERIFICATIONS = (VerificationStatus.UNCONFIRMED, VerificationStatus.CONFIRMED)

NO_KNOWN_ALLERGIES_DISPLAY = "No known allergies"


def current_records(*, patient_id: int) -> QuerySet[AllergyIntolerance]:
    """The patient's entries that are in force: active and neither refuted nor in error."""
    return AllergyIntolerance.objects.filter(
        patient_id=patient_id,
        clinical_status=ClinicalStatus.ACTIVE,
        verification_status__in=COUNTING_VERIFICATIONS,
    )


def _with_details(queryset: QuerySet[AllergyIntolerance]) -> QuerySet[AllergyIntolerance]:
    return queryset.select_related("substance").prefetch_related(
        Prefetch("reactions", queryset=AllergyReaction.objects.order_by("id"))
    )


def allergy_get(*, allergy_id: int) -> AllergyIntolerance:
    allergy = _with_details(AllergyIntolerance.objects.filter(pk=allergy_id)).first()
    if allergy is None:
        raise AllergyNotFound(f"No allergy entry with id {allergy_id}.")
    return allergy


def allergy_list_for_patient(
    *, patient_id: int, include_entered_in_error: bool = False
) -> QuerySet[AllergyIntolerance]:
    """Every entry of the patient, newest first, with substance and reactions (two queries)."""
    queryset = AllergyIntolerance.objects.filter(patient_id=patient_id)
    if not include_entered_in_error:
        queryset = queryset.exclude(verification_status=VerificationStatus.ENTERED_IN_ERROR)
    return _with_details(queryset)


def allergies_awaiting_verification(*, limit: int | None = None) -> QuerySet[AllergyIntolerance]:
    """Patient-reported entries no clinician has verified yet, oldest first."""
    queryset = _with_details(
        AllergyIntolerance.objects.filter(
            asserted_by=AssertedBy.PATIENT, verification_status=VerificationStatus.UNCONFIRMED
        ).order_by("recorded_at", "id")
    )
    return queryset[:limit] if limit is not None else queryset


def substance_catalogue() -> QuerySet[Substance]:
    return Substance.objects.select_related("group").order_by("display", "code")


def substance_display(allergy: AllergyIntolerance) -> str:
    if allergy.kind == RecordKind.NO_KNOWN_ALLERGIES:
        return NO_KNOWN_ALLERGIES_DISPLAY
    return allergy.substance.display if allergy.substance_id else allergy.substance_text


Member = TypeVar("Member", bound=enum.StrEnum)


def member_or_none(vocabulary: type[Member], value: str | None) -> Member | None:
    """A member of the vocabulary, or None where the column holds FHIR's "absent"."""
    return vocabulary(value) if value else None


def allergy_info(*, allergy: AllergyIntolerance) -> AllergyInfo:
    return AllergyInfo(
        id=allergy.pk,
        patient_id=allergy.patient_id,
        kind=RecordKind(allergy.kind),
        substance_code=allergy.substance.code if allergy.substance_id else None,
        substance_display=substance_display(allergy),
        type=member_or_none(AllergyType, allergy.type),
        category=member_or_none(AllergyCategory, allergy.category),
        criticality=member_or_none(Criticality, allergy.criticality),
        clinical_status=member_or_none(ClinicalStatus, allergy.clinical_status),
        verification_status=VerificationStatus(allergy.verification_status),
        asserted_by=AssertedBy(allergy.asserted_by),
        onset_date=allergy.onset_date,
        recorded_at=allergy.recorded_at,
        recorder_id=allergy.recorder_id,
        note=allergy.note,
        reactions=tuple(
            ReactionInfo(
                id=reaction.pk,
                manifestations=tuple(reaction.manifestations),
                severity=ReactionSeverity(reaction.severity),
                exposure_route=ExposureRoute(reaction.exposure_route),
                description=reaction.description,
                onset_date=reaction.onset_date,
            )
            for reaction in allergy.reactions.all()
        ),
    )


def substance_info(*, substance: Substance) -> SubstanceInfo:
    return SubstanceInfo(
        code=substance.code,
        display=substance.display,
        category=AllergyCategory(substance.category),
        group_code=substance.group.code if substance.group_id else None,
    )


def _banner_order(entry: AllergyBannerEntry) -> tuple[bool, str, int]:
    return (
        entry.criticality is not Criticality.HIGH,
        entry.substance_display.casefold(),
        entry.allergy_id,
    )


def allergy_banner(*, patient_id: int) -> AllergyBanner:
    """The patient's allergy banner, from one query."""
    records = list(current_records(patient_id=patient_id).select_related("substance"))
    has_no_known_allergies = any(r.kind == RecordKind.NO_KNOWN_ALLERGIES for r in records)
    entries = sorted(
        (
            AllergyBannerEntry(
                allergy_id=record.pk,
                substance_display=substance_display(record),
                criticality=member_or_none(Criticality, record.criticality),
                verification_status=VerificationStatus(record.verification_status),
                unconfirmed_patient_reported=(
                    record.asserted_by == AssertedBy.PATIENT
                    and record.verification_status == VerificationStatus.UNCONFIRMED
                ),
            )
            for record in records
            if record.kind == RecordKind.ALLERGY
        ),
        key=_banner_order,
    )
    if entries:
        status = BannerStatus.ALLERGIES
    elif has_no_known_allergies:
        status = BannerStatus.NO_KNOWN_ALLERGIES
    else:
        status = BannerStatus.NOT_RECORDED
    return AllergyBanner(
        patient_id=patient_id,
        status=status,
        has_no_known_allergies=has_no_known_allergies,
        entries=tuple(entries),
    )


def _triggers_reaching_record(codes: Sequence[str]) -> QuerySet[Substance]:
    """The trigger substances among `codes` that reach the outer allergy record's substance
    (see allergies_triggered): for use in an Exists or a subquery."""
    return Substance.objects.filter(code__in=codes).filter(
        Q(pk=OuterRef("substance_id"))
        | Q(pk=OuterRef("substance__group_id"))
        | Q(group_id=OuterRef("substance_id"))
        | Q(group_id=OuterRef("substance__group_id"))
    )


def allergies_triggered(*, patient_id: int, trigger_codes: Sequence[str]) -> list[TriggeredAllergy]:
    """The patient's current allergies that any of the trigger codes reaches, in one query.

    A trigger reaches an allergy to the same substance or to the same class family: the
    allergen's class (amoxicillin allergy, "penicillins" trigger), a member of the allergen when
    the allergen is a class (penicillins allergy, "amoxicillin" trigger), or a sibling in the
    same class (amoxicillin allergy, "ampicillin" trigger) — cross-reactivity is the rule within
    a class, and a missed warning costs more than an acknowledged one. Free-text allergens have
    no code and match nothing.
    """
    codes = sorted({code for code in trigger_codes if code})
    if not codes:
        return []
    reached = Exists(_triggers_reaching_record(codes))
    records = (
        current_records(patient_id=patient_id)
        .filter(kind=RecordKind.ALLERGY, substance__isnull=False)
        .filter(reached)
        .select_related("substance")
    )
    found = [
        TriggeredAllergy(
            allergy_id=record.pk,
            substance_code=record.substance.code,
            substance_display=record.substance.display,
            # Recorded allergies always carry a criticality; a legacy row without one is
            # treated as not assessable rather than as low.
            criticality=member_or_none(Criticality, record.criticality)
            or Criticality.UNABLE_TO_ASSESS,
            verification_status=VerificationStatus(record.verification_status),
        )
        for record in records
    ]
    return sorted(
        found,
        key=lambda t: (t.criticality is not Criticality.HIGH, t.substance_display.casefold()),
    )


def allergy_flags(*, patient_ids: Iterable[int]) -> dict[int, AllergyFlag]:
    """Per patient: allergy markers for a list of patients, in one query whatever their number."""
    ids = sorted(set(patient_ids))
    if not ids:
        return {}
    is_allergy = Q(kind=RecordKind.ALLERGY)
    rows = (
        AllergyIntolerance.objects.filter(
            patient_id__in=ids,
            clinical_status=ClinicalStatus.ACTIVE,
            verification_status__in=COUNTING_VERIFICATIONS,
        )
        .values("patient_id")
        .annotate(
            allergies=Count("id", filter=is_allergy),
            high=Count("id", filter=is_allergy & Q(criticality=Criticality.HIGH)),
            unconfirmed_patient=Count(
                "id",
                filter=is_allergy
                & Q(
                    asserted_by=AssertedBy.PATIENT,
                    verification_status=VerificationStatus.UNCONFIRMED,
                ),
            ),
            no_known=Count("id", filter=Q(kind=RecordKind.NO_KNOWN_ALLERGIES)),
        )
        .order_by()
    )
    counts = {row["patient_id"]: row for row in rows}
    flags = {}
    for patient_id in ids:
        row = counts.get(patient_id, {})
        flags[patient_id] = AllergyFlag(
            patient_id=patient_id,
            has_active_allergy=row.get("allergies", 0) > 0,
            has_high_criticality=row.get("high", 0) > 0,
            has_unconfirmed_patient_reported=row.get("unconfirmed_patient", 0) > 0,
            has_no_known_allergies=row.get("no_known", 0) > 0,
        )
    return flags


def allergies_triggered_many(
    *, triggers: Mapping[int, tuple[int, Sequence[str]]]
) -> dict[int, list[TriggeredAllergy]]:
    """allergies_triggered for many questions at once, in one query whatever their number.

    `triggers` maps the caller's keys (appointment ids, say) to (patient id, trigger codes);
    the answer maps each key to what allergies_triggered would answer for it, in its order.
    """
    codes = sorted({code for _, key_codes in triggers.values() for code in key_codes if code})
    patient_ids = sorted({patient_id for patient_id, _ in triggers.values()})
    found: dict[int, list[TriggeredAllergy]] = {key: [] for key in triggers}
    if not codes or not patient_ids:
        return found
    records = (
        AllergyIntolerance.objects.filter(
            patient_id__in=patient_ids,
            clinical_status=ClinicalStatus.ACTIVE,
            verification_status__in=COUNTING_VERIFICATIONS,
            kind=RecordKind.ALLERGY,
            substance__isnull=False,
        )
        .annotate(
            reached_by=ArraySubquery(_triggers_reaching_record(codes).values("code")),
        )
        .filter(reached_by__len__gt=0)
        .select_related("substance")
    )
    by_patient: dict[int, list[AllergyIntolerance]] = {}
    for record in records:
        by_patient.setdefault(record.patient_id, []).append(record)
    for key, (patient_id, key_codes) in triggers.items():
        wanted = set(key_codes)
        matched = [
            TriggeredAllergy(
                allergy_id=record.pk,
                substance_code=record.substance.code,
                substance_display=record.substance.display,
                criticality=member_or_none(Criticality, record.criticality)
                or Criticality.UNABLE_TO_ASSESS,
                verification_status=VerificationStatus(record.verification_status),
            )
            for record in by_patient.get(patient_id, ())
            if wanted.intersection(record.reached_by)
        ]
        found[key] = sorted(
            matched,
            key=lambda t: (t.criticality is not Criticality.HIGH, t.substance_display.casefold()),
        )
    return found


def _allergy_name(row: AllergyIntolerance) -> str:
    if row.kind == RecordKind.NO_KNOWN_ALLERGIES:
        return NO_KNOWN_ALLERGIES_DISPLAY
    return row.substance.display if row.substance_id else row.substance_text


def allergy_changes(*, patient_id: int) -> list[RecordChange]:
    """The saved versions of the patient's allergy entries and their reactions as changes,
    entries first then reactions, each oldest first: two queries (the entries' history, with
    the substances they name, and the reactions' history)."""
    entry_rows = list(
        AllergyIntolerance.history.filter(patient_id=patient_id)
        .select_related("substance")
        .order_by("history_id")
    )
    reaction_rows = AllergyReaction.history.filter(
        allergy_id__in=AllergyIntolerance.objects.filter(patient_id=patient_id).values("id")
    ).order_by("history_id")
    names = {row.id: _allergy_name(row) for row in entry_rows}  # the latest version names it
    entries = record_changes(
        entry_rows,
        model=AllergyIntolerance,
        record_type="allergy",
        label=lambda row: f"Allergy entry: {names[row.id]}",
        named=("substance",),
    )
    reactions = record_changes(
        reaction_rows,
        model=AllergyReaction,
        record_type="reaction",
        label=lambda row: f"Reaction to {names.get(row.allergy_id, 'an allergy entry')}",
    )
    return entries + reactions
