"""Recording allergies and "no known allergies": verification by asserter, rules, events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.allergies import public
from apps.allergies.contracts import (
    AllergyCategory,
    AllergyConflict,
    AllergyRuleViolation,
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
from apps.allergies.models import AllergyIntolerance, AllergyReaction
from apps.core.errors import ValidationFailed
from apps.core.models import OutboxEvent
from apps.patients.contracts import PatientNotFound
from tests.factories.allergies import AllergyFactory, NoKnownAllergiesFactory, substance

pytestmark = pytest.mark.django_db

RECORDED = "allergies.AllergyRecorded"
STATUS_CHANGED = "allergies.AllergyStatusChanged"
HIVES = ReactionData(manifestations=("urticaria",), severity=ReactionSeverity.MODERATE)


def record(patient, **overrides):
    arguments = {
        "patient_id": patient.id,
        "substance_code": "amoxicillin",
        "type": AllergyType.ALLERGY,
        "criticality": Criticality.HIGH,
        "asserted_by": AssertedBy.STAFF,
        "recorder_id": None,
        **overrides,
    }
    return public.allergy_record(**arguments)


def test_a_staff_entry_is_confirmed_active_and_takes_the_substances_category(
    patient, clinician, payloads
):
    reaction = ReactionData(
        manifestations=(" anaphylaxis ", "", "urticaria"),
        severity=ReactionSeverity.SEVERE,
        exposure_route=ExposureRoute.ORAL,
        description="after the first dose",
        onset_date=dt.date(2020, 5, 1),
    )

    info = record(patient, recorder_id=clinician.id, reactions=[reaction], note="see letter")

    assert info.verification_status is VerificationStatus.CONFIRMED
    assert info.clinical_status is ClinicalStatus.ACTIVE
    assert info.category is AllergyCategory.MEDICATION
    assert (info.substance_code, info.substance_display) == ("amoxicillin", "Amoxicillin")
    assert info.recorder_id == clinician.id
    assert [r.manifestations for r in info.reactions] == [("anaphylaxis", "urticaria")]
    assert info.reactions[0].severity is ReactionSeverity.SEVERE
    assert payloads(RECORDED) == [
        {
            "allergy_id": info.id,
            "patient_id": patient.id,
            "kind": "allergy",
            "substance_code": "amoxicillin",
            "category": "medication",
            "criticality": "high",
            "clinical_status": "active",
            "verification_status": "confirmed",
            "asserted_by": "staff",
        }
    ]


@pytest.mark.parametrize(
    "asked",
    [
        None,
        VerificationStatus.CONFIRMED,
        VerificationStatus.UNCONFIRMED,
        VerificationStatus.REFUTED,
    ],
)
def test_a_patients_report_starts_unconfirmed_whatever_is_asked(patient, patient_user, asked):
    info = record(
        patient,
        asserted_by=AssertedBy.PATIENT,
        recorder_id=patient_user.id,
        verification_status=asked,
    )

    assert info.verification_status is VerificationStatus.UNCONFIRMED
    assert AllergyIntolerance.objects.get(pk=info.id).verification_status == "unconfirmed"


def test_staff_may_record_an_entry_unconfirmed(patient):
    info = record(patient, verification_status=VerificationStatus.UNCONFIRMED)

    assert info.verification_status is VerificationStatus.UNCONFIRMED


@pytest.mark.parametrize("asked", [VerificationStatus.REFUTED, VerificationStatus.ENTERED_IN_ERROR])
def test_staff_cannot_record_an_entry_refuted_or_in_error(patient, asked):
    with pytest.raises(AllergyRuleViolation) as error:
        record(patient, verification_status=asked)

    assert set(error.value.field_errors) == {"verification_status"}
    assert not AllergyIntolerance.objects.exists()


def test_a_free_text_substance_is_recorded_without_a_code(patient):
    info = record(patient, substance_code=None, substance_text="  Grandma's soup ")

    assert (info.substance_code, info.substance_display) == (None, "Grandma's soup")
    assert info.category is None


def test_a_given_category_wins_over_the_substances(patient):
    info = record(patient, substance_code="gelatin", category=AllergyCategory.MEDICATION)

    assert info.category is AllergyCategory.MEDICATION


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"substance_text": "soup"}, {"substance_code", "substance_text"}),
        ({"substance_code": None}, {"substance_code"}),
        ({"substance_code": "  "}, {"substance_code"}),
        ({"substance_code": "unobtainium"}, {"substance_code"}),
        ({"substance_code": None, "substance_text": "x" * 201}, {"substance_text"}),
        ({"criticality": "extreme"}, {"criticality"}),
        ({"criticality": None}, {"criticality"}),
        ({"type": "sensitivity"}, {"type"}),
        ({"asserted_by": "neighbour"}, {"asserted_by"}),
        ({"onset_date": dt.date.today() + dt.timedelta(days=2)}, {"onset_date"}),
        (
            {"reactions": [ReactionData(manifestations=(), severity=ReactionSeverity.MILD)]},
            {"reactions.0.manifestations"},
        ),
        (
            {
                "reactions": [
                    HIVES,
                    ReactionData(manifestations=("  ", ""), severity=ReactionSeverity.MILD),
                ]
            },
            {"reactions.1.manifestations"},
        ),
        (
            {"reactions": [ReactionData(manifestations="hives", severity=ReactionSeverity.MILD)]},
            {"reactions.0.manifestations"},
        ),
        (
            {"reactions": [ReactionData(manifestations=("hives",), severity="deadly")]},
            {"reactions.0.severity"},
        ),
        (
            {
                "reactions": [
                    ReactionData(
                        manifestations=("hives",),
                        severity=ReactionSeverity.MILD,
                        description="d" * 501,
                    )
                ]
            },
            {"reactions.0.description"},
        ),
    ],
)
def test_bad_input_is_refused_naming_the_fields_and_nothing_is_written(patient, overrides, fields):
    with pytest.raises(ValidationFailed) as error:
        record(patient, **overrides)

    assert set(error.value.field_errors) == fields
    assert not AllergyIntolerance.objects.exists()
    assert not AllergyReaction.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_a_missing_clinical_status_breaks_r4_and_is_refused(patient):
    with pytest.raises(AllergyRuleViolation) as error:
        record(patient, clinical_status=None)

    assert set(error.value.field_errors) == {"clinical_status"}
    assert "ait-1" in error.value.field_errors["clinical_status"][0]
    assert not AllergyIntolerance.objects.exists()


def test_an_unknown_patient_is_not_found():
    with pytest.raises(PatientNotFound):
        public.allergy_record(
            patient_id=987654321,
            substance_code="peanut",
            type=AllergyType.ALLERGY,
            criticality=Criticality.HIGH,
            asserted_by=AssertedBy.STAFF,
            recorder_id=None,
        )


@pytest.mark.parametrize("asserted_by", [AssertedBy.STAFF, AssertedBy.PATIENT])
def test_a_new_allergy_ends_an_active_no_known_allergies_statement(
    patient, clinician, payloads, asserted_by
):
    statement = public.no_known_allergies_record(
        patient_id=patient.id, asserted_by=AssertedBy.STAFF, recorder_id=clinician.id
    )

    info = record(patient, asserted_by=asserted_by, recorder_id=clinician.id)

    assert AllergyIntolerance.objects.get(pk=statement.id).clinical_status == "inactive"
    assert info.clinical_status is ClinicalStatus.ACTIVE
    assert payloads(STATUS_CHANGED) == [
        {
            "allergy_id": statement.id,
            "patient_id": patient.id,
            "clinical_status": "inactive",
            "verification_status": "confirmed",
            "previous_clinical_status": "active",
            "previous_verification_status": "confirmed",
            "changed_by_id": clinician.id,
        }
    ]
    assert [p["kind"] for p in payloads(RECORDED)] == ["no-known-allergies", "allergy"]
    assert public.allergy_banner(patient_id=patient.id).status == "allergies"


def test_a_past_allergy_leaves_the_no_known_allergies_statement_in_force(patient):
    statement = NoKnownAllergiesFactory(patient=patient)

    record(patient, clinical_status=ClinicalStatus.RESOLVED)

    statement.refresh_from_db()
    assert statement.clinical_status == "active"


@pytest.mark.parametrize("existing_verification", ["unconfirmed", "confirmed"])
def test_a_second_active_entry_of_the_same_substance_is_a_conflict(patient, existing_verification):
    AllergyFactory(
        patient=patient,
        substance=substance("amoxicillin"),
        verification_status=existing_verification,
    )

    with pytest.raises(AllergyConflict) as error:
        record(patient, reactions=[HIVES])

    assert error.value.code == "allergy_duplicate"
    assert AllergyIntolerance.objects.count() == 1
    assert not AllergyReaction.objects.exists()
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize(
    ("clinical_status", "verification_status"),
    [
        ("inactive", "confirmed"),
        ("resolved", "confirmed"),
        ("inactive", "refuted"),
        (None, "entered-in-error"),
    ],
)
def test_an_entry_no_longer_in_force_does_not_block_a_new_one(
    patient, clinical_status, verification_status
):
    AllergyFactory(
        patient=patient,
        substance=substance("amoxicillin"),
        clinical_status=clinical_status,
        verification_status=verification_status,
    )

    info = record(patient)

    assert info.clinical_status is ClinicalStatus.ACTIVE


def test_the_same_substance_may_be_recorded_for_two_patients(patient):
    AllergyFactory(substance=substance("amoxicillin"))

    assert record(patient).substance_code == "amoxicillin"


def test_events_carry_codes_and_no_free_text(patient, payloads):
    record(
        patient,
        substance_code=None,
        substance_text="Grandma's soup",
        note="lives with her daughter",
        reactions=[
            ReactionData(
                manifestations=("wheezing",),
                severity=ReactionSeverity.MILD,
                description="at the wedding",
            )
        ],
    )

    (payload,) = payloads(RECORDED)
    assert set(payload) == {
        "allergy_id",
        "patient_id",
        "kind",
        "substance_code",
        "category",
        "criticality",
        "clinical_status",
        "verification_status",
        "asserted_by",
    }
    flat = repr(payload)
    for text in ("Grandma", "daughter", "wheezing", "wedding"):
        assert text not in flat
    assert payload["substance_code"] is None


@pytest.mark.parametrize(
    ("asserted_by", "verification"),
    [(AssertedBy.STAFF, "confirmed"), (AssertedBy.PATIENT, "unconfirmed")],
)
def test_no_known_allergies_is_recorded_as_a_statement(
    patient, payloads, asserted_by, verification
):
    info = public.no_known_allergies_record(
        patient_id=patient.id, asserted_by=asserted_by, recorder_id=None
    )

    assert info.kind is RecordKind.NO_KNOWN_ALLERGIES
    assert (info.clinical_status, info.verification_status) == ("active", verification)
    assert (info.substance_code, info.criticality, info.reactions) == (None, None, ())
    (payload,) = payloads(RECORDED)
    assert payload["kind"] == "no-known-allergies"
    assert payload["substance_code"] is None
    assert public.allergy_banner(patient_id=patient.id).status == "no-known-allergies"


def test_no_known_allergies_twice_returns_the_statement_in_force(patient, payloads):
    first = public.no_known_allergies_record(
        patient_id=patient.id, asserted_by=AssertedBy.STAFF, recorder_id=None
    )

    second = public.no_known_allergies_record(
        patient_id=patient.id, asserted_by=AssertedBy.PATIENT, recorder_id=None
    )

    assert second.id == first.id
    assert AllergyIntolerance.objects.count() == 1
    assert len(payloads(RECORDED)) == 1


@pytest.mark.parametrize("verification_status", ["unconfirmed", "confirmed"])
def test_no_known_allergies_is_refused_while_an_allergy_is_in_force(patient, verification_status):
    AllergyFactory(patient=patient, verification_status=verification_status)

    with pytest.raises(AllergyConflict) as error:
        public.no_known_allergies_record(
            patient_id=patient.id, asserted_by=AssertedBy.STAFF, recorder_id=None
        )

    assert error.value.code == "active_allergies_exist"
    assert AllergyIntolerance.objects.count() == 1
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize(
    ("clinical_status", "verification_status"),
    [("resolved", "confirmed"), ("inactive", "refuted"), (None, "entered-in-error")],
)
def test_no_known_allergies_is_accepted_beside_allergies_no_longer_in_force(
    patient, clinical_status, verification_status
):
    AllergyFactory(
        patient=patient, clinical_status=clinical_status, verification_status=verification_status
    )

    info = public.no_known_allergies_record(
        patient_id=patient.id, asserted_by=AssertedBy.STAFF, recorder_id=None
    )

    assert info.clinical_status is ClinicalStatus.ACTIVE


def test_recorded_at_is_the_time_of_recording(patient):
    before = timezone.now()

    info = record(patient)

    assert before <= info.recorded_at <= timezone.now()
