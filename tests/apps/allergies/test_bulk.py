"""Bulk recording for demo data and imports: the same rules and events, queries per batch."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.allergies import public
from apps.allergies.contracts import (
    AllergyConflict,
    AllergyData,
    AssertedBy,
    ClinicalStatus,
    Criticality,
    ReactionData,
    ReactionSeverity,
    VerificationStatus,
)
from apps.allergies.models import AllergyIntolerance, AllergyReaction
from apps.core.errors import ValidationFailed
from apps.core.models import OutboxEvent
from apps.patients.contracts import PatientNotFound
from tests.factories.allergies import NoKnownAllergiesFactory
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db

RECORDED = "allergies.AllergyRecorded"
STATUS_CHANGED = "allergies.AllergyStatusChanged"
HIVES = ReactionData(manifestations=("urticaria",), severity=ReactionSeverity.MILD)


def allergy_row(patient_id: int, code: str | None = "peanut", **fields) -> AllergyData:
    return AllergyData(
        patient_id=patient_id,
        asserted_by=fields.pop("asserted_by", AssertedBy.STAFF),
        substance_code=code,
        criticality=fields.pop("criticality", Criticality.HIGH),
        **fields,
    )


def test_bulk_records_allergies_reactions_and_statements_with_their_events(payloads):
    first, second, third = PatientFactory.create_batch(3)
    rows = [
        allergy_row(first.id, "amoxicillin", reactions=(HIVES, HIVES)),
        allergy_row(
            first.id,
            None,
            substance_text="Grandma's soup",
            asserted_by=AssertedBy.PATIENT,
            verification_status=VerificationStatus.CONFIRMED,
        ),
        allergy_row(second.id, "latex", clinical_status=ClinicalStatus.RESOLVED),
        AllergyData(patient_id=third.id, no_known_allergies=True),
    ]

    count = public.allergy_bulk_record(rows=rows)

    assert count == 4
    amoxicillin = AllergyIntolerance.objects.get(substance__code="amoxicillin")
    assert (amoxicillin.category, amoxicillin.verification_status) == ("medication", "confirmed")
    assert amoxicillin.reactions.count() == 2
    soup = AllergyIntolerance.objects.get(substance_text="Grandma's soup")
    assert soup.verification_status == "unconfirmed"
    recorded = payloads(RECORDED)
    assert sorted(p["allergy_id"] for p in recorded) == sorted(
        AllergyIntolerance.objects.values_list("id", flat=True)
    )
    assert "Grandma" not in repr(recorded)
    assert [p["kind"] for p in recorded].count("no-known-allergies") == 1


def test_bulk_ends_the_no_known_allergies_statements_its_allergies_contradict(payloads):
    patient = PatientFactory()
    statement = NoKnownAllergiesFactory(patient=patient)

    public.allergy_bulk_record(
        rows=[allergy_row(patient.id, "peanut", recorder_id=None), allergy_row(patient.id, "egg")]
    )

    statement.refresh_from_db()
    assert statement.clinical_status == "inactive"
    assert [p["allergy_id"] for p in payloads(STATUS_CHANGED)] == [statement.id]
    assert len(payloads(RECORDED)) == 2


def _bulk_queries(patient_count: int) -> int:
    patients = PatientFactory.create_batch(patient_count)
    for each in patients:
        NoKnownAllergiesFactory(patient=each)
    rows = [
        allergy_row(each.id, code, reactions=(HIVES,))
        for each in patients
        for code in ("peanut", "amoxicillin")
    ]
    with CaptureQueriesContext(connection) as queries:
        public.allergy_bulk_record(rows=rows)
    return len(queries)


def test_bulk_needs_no_query_per_row():
    assert _bulk_queries(1) == _bulk_queries(15)


@pytest.mark.parametrize(
    ("bad_row", "field"),
    [
        ({"code": "unobtainium"}, "rows.1.substance_code"),
        ({"code": None}, "rows.1.substance_code"),
        ({"criticality": None}, "rows.1.criticality"),
        (
            {"reactions": (ReactionData(manifestations=(), severity=ReactionSeverity.MILD),)},
            "rows.1.reactions.0.manifestations",
        ),
    ],
)
def test_bulk_refuses_a_bad_row_naming_it_and_writes_nothing(bad_row, field):
    patient = PatientFactory()

    with pytest.raises(ValidationFailed) as error:
        public.allergy_bulk_record(
            rows=[allergy_row(patient.id, "egg"), allergy_row(patient.id, **bad_row)]
        )

    assert set(error.value.field_errors) == {field}
    assert not AllergyIntolerance.objects.exists()
    assert not AllergyReaction.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_a_no_known_allergies_row_naming_a_substance_is_refused():
    patient = PatientFactory()

    with pytest.raises(ValidationFailed) as error:
        public.allergy_bulk_record(
            rows=[
                AllergyData(patient_id=patient.id, no_known_allergies=True, substance_code="peanut")
            ]
        )

    assert set(error.value.field_errors) == {"rows.0.substance_code"}


@pytest.mark.parametrize(
    ("rows", "code", "field"),
    [
        (
            lambda p: [allergy_row(p, "egg"), allergy_row(p, "egg")],
            "allergy_duplicate",
            "rows.1.substance_code",
        ),
        (
            lambda p: [
                allergy_row(p, "egg"),
                AllergyData(patient_id=p, no_known_allergies=True),
            ],
            "active_allergies_exist",
            "rows.1.kind",
        ),
        (
            lambda p: [
                AllergyData(patient_id=p, no_known_allergies=True),
                allergy_row(p, "egg"),
            ],
            "active_allergies_exist",
            "rows.1.kind",
        ),
    ],
)
def test_bulk_refuses_rows_that_contradict_each_other(rows, code, field):
    patient = PatientFactory()

    with pytest.raises(AllergyConflict) as error:
        public.allergy_bulk_record(rows=rows(patient.id))

    assert error.value.code == code
    assert set(error.value.field_errors) == {field}
    assert not AllergyIntolerance.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_bulk_refuses_a_duplicate_of_an_entry_in_force():
    patient = PatientFactory()
    public.allergy_bulk_record(rows=[allergy_row(patient.id, "egg")])

    with pytest.raises(AllergyConflict) as error:
        public.allergy_bulk_record(rows=[allergy_row(patient.id, "egg")])

    assert error.value.code == "allergy_duplicate"
    assert AllergyIntolerance.objects.count() == 1


def test_bulk_refuses_an_unknown_patient():
    with pytest.raises(PatientNotFound):
        public.allergy_bulk_record(rows=[allergy_row(987654321)])

    assert not AllergyIntolerance.objects.exists()


def test_bulk_of_nothing_records_nothing():
    assert public.allergy_bulk_record(rows=iter(())) == 0
    assert not OutboxEvent.objects.exists()
