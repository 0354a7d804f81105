"""Change history of allergy entries and their reactions: who recorded, confirmed or corrected
what and when, one by one or in bulk; the reader in three queries; the admin read-only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.contracts import Role
from apps.allergies import public
from apps.allergies.contracts import (
    AllergyData,
    AllergyType,
    AssertedBy,
    Criticality,
    ReactionData,
    ReactionSeverity,
)
from apps.allergies.models import AllergyIntolerance, AllergyReaction
from apps.core.changes import ChangeKind
from tests.factories.accounts import user_in_role
from tests.factories.allergies import NoKnownAllergiesFactory
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db

HIVES = ReactionData(manifestations=("urticaria", "itching"), severity=ReactionSeverity.MILD)


def _record(patient_id: int, by_id: int | None, code: str = "amoxicillin", **fields):
    return public.allergy_record(
        patient_id=patient_id,
        substance_code=code,
        type=AllergyType.ALLERGY,
        criticality=fields.pop("criticality", Criticality.HIGH),
        asserted_by=fields.pop("asserted_by", AssertedBy.STAFF),
        recorder_id=by_id,
        **fields,
    )


def _fields(change) -> dict[str, tuple[str, str]]:
    return {field.field: (field.old, field.new) for field in change.changes}


def test_recording_and_confirming_name_who_did_each_and_what_moved(patient, clinician):
    reporter = user_in_role(Role.PATIENT)
    entry = _record(patient.id, reporter.id, asserted_by=AssertedBy.PATIENT, reactions=(HIVES,))

    public.allergy_confirm(allergy_id=entry.id, by_id=clinician.id)

    by_type = {}
    for change in public.allergy_changes(patient_id=patient.id):
        by_type.setdefault((change.record_type, change.kind), change)
    confirmed = by_type["allergy", ChangeKind.CHANGED]
    assert confirmed.user_id == clinician.id
    assert confirmed.record_label == "Allergy entry: Amoxicillin"
    assert _fields(confirmed) == {"verification_status": ("Unconfirmed", "Confirmed")}
    recorded = by_type["allergy", ChangeKind.CREATED]
    assert recorded.user_id == reporter.id
    assert _fields(recorded)["criticality"] == ("", "High")
    reaction = by_type["reaction", ChangeKind.CREATED]
    assert reaction.user_id == reporter.id
    assert reaction.record_label == "Reaction to Amoxicillin"
    assert _fields(reaction)["manifestations"] == ("", "urticaria, itching")


def test_the_newest_change_comes_first(patient, clinician):
    entry = _record(patient.id, clinician.id)

    public.allergy_refute(allergy_id=entry.id, by_id=clinician.id)
    public.allergy_mark_entered_in_error(allergy_id=entry.id, by_id=clinician.id)

    changes = public.allergy_changes(patient_id=patient.id)
    assert [change.kind for change in changes] == [
        ChangeKind.CHANGED,
        ChangeKind.CHANGED,
        ChangeKind.CREATED,
    ]
    assert _fields(changes[0]) == {
        "clinical_status": ("Inactive", ""),
        "verification_status": ("Refuted", "Entered in error"),
    }


def test_an_allergy_ending_no_known_allergies_records_both_changes(patient, clinician):
    statement = public.no_known_allergies_record(
        patient_id=patient.id, asserted_by=AssertedBy.STAFF, recorder_id=clinician.id
    )

    _record(patient.id, clinician.id, code="latex")

    ended = next(
        change
        for change in public.allergy_changes(patient_id=patient.id)
        if change.record_id == statement.id and change.kind is ChangeKind.CHANGED
    )
    assert ended.record_label == "Allergy entry: No known allergies"
    assert ended.user_id == clinician.id
    assert _fields(ended) == {"clinical_status": ("Active", "Inactive")}


def test_bulk_recording_records_creations_and_ended_statements_with_their_recorders(clinician):
    first, second = PatientFactory.create_batch(2)
    statement = NoKnownAllergiesFactory(patient=first)
    other = user_in_role(Role.CLINICIAN)
    rows = [
        AllergyData(
            patient_id=first.id,
            substance_code="peanut",
            criticality=Criticality.HIGH,
            reactions=(HIVES, HIVES),
            recorder_id=clinician.id,
        ),
        AllergyData(
            patient_id=second.id,
            substance_code="latex",
            criticality=Criticality.LOW,
            recorder_id=other.id,
        ),
    ]

    public.allergy_bulk_record(rows=rows)

    created = AllergyIntolerance.history.filter(
        history_type="+", patient_id__in=[first.id, second.id]
    ).exclude(id=statement.id)
    assert sorted(created.values_list("patient_id", "history_user_id")) == sorted(
        [(first.id, clinician.id), (second.id, other.id)]
    )
    reactions = AllergyReaction.history.filter(history_type="+")
    assert list(reactions.values_list("history_user_id", flat=True)) == [clinician.id] * 2
    ended = AllergyIntolerance.history.get(id=statement.id, history_type="~")
    assert (ended.clinical_status, ended.history_user_id) == ("inactive", clinician.id)


@pytest.mark.parametrize("entries", [1, 6])
def test_the_reader_takes_two_queries_whatever_the_number_of_entries(patient, clinician, entries):
    codes = ["amoxicillin", "latex", "peanut", "egg", "aspirin", "ibuprofen"][:entries]
    for code in codes:
        entry = _record(patient.id, clinician.id, code=code, reactions=(HIVES,))
        public.allergy_set_clinical_status(
            allergy_id=entry.id, clinical_status="resolved", by_id=clinician.id
        )

    with CaptureQueriesContext(connection) as queries:
        changes = public.allergy_changes(patient_id=patient.id)

    assert len(changes) == 3 * entries  # created, resolved, and the reaction
    assert len(queries) == 2


def test_the_reader_shows_no_other_patients_changes(patient, clinician):
    _record(PatientFactory().id, clinician.id, reactions=(HIVES,))

    assert public.allergy_changes(patient_id=patient.id) == []


def test_the_admin_shows_an_entrys_history_and_refuses_to_restore_a_version(
    patient, admin_client, admin_user
):
    entry = _record(patient.id, admin_user.id)
    public.allergy_refute(allergy_id=entry.id, by_id=admin_user.id)
    base = f"/admin/allergies/allergyintolerance/{entry.id}/history/"
    first = AllergyIntolerance.history.filter(id=entry.id).earliest("history_id")

    listing = admin_client.get(base)
    version = admin_client.get(f"{base}{first.history_id}/")
    refused = admin_client.post(f"{base}{first.history_id}/", {"_save": "Revert"})

    assert listing.status_code == 200
    assert b"refuted" in listing.content
    assert version.status_code == 200
    assert refused.status_code == 403
    assert AllergyIntolerance.objects.get(pk=entry.id).verification_status == "refuted"
