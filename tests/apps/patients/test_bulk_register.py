"""patient_bulk_register: all or nothing, MRNs in one query, the usual events, constant queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.errors import ValidationFailed
from apps.core.models import OutboxEvent
from apps.patients import public, services
from apps.patients.contracts import PatientData
from apps.patients.models import Patient
from tests.factories.accounts import UserFactory
from tests.factories.patients import PatientDataFactory

pytestmark = pytest.mark.django_db


def _sequence_state() -> tuple[int, bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM patients_mrn_seq")
        return cursor.fetchone()


def test_bulk_register_stores_every_row_in_order_with_unique_valid_mrns():
    # given rows of an import
    rows = PatientDataFactory.build_batch(40)
    staff = UserFactory()

    # when they are registered in bulk
    ids = services.patient_bulk_register(rows=rows, source="import", created_by_id=staff.id)

    # then each id is the patient of the row at its position
    patients = Patient.objects.in_bulk(ids)
    assert len(ids) == 40
    assert [(patients[i].family_name, patients[i].email) for i in ids] == [
        (row.family_name, row.email) for row in rows
    ]
    mrns = [patient.mrn for patient in patients.values()]
    assert len(set(mrns)) == 40
    assert all(services.mrn_is_valid(mrn) for mrn in mrns)
    assert {p.registration_source for p in patients.values()} == {"import"}
    assert {p.created_by_id for p in patients.values()} == {staff.id}


def test_bulk_register_emits_the_events_of_a_registration_for_each_patient(payloads):
    ids = public.patient_bulk_register(rows=PatientDataFactory.build_batch(25), source="import")

    registered = payloads("patients.PatientRegistered")
    contacts = payloads("patients.PatientContactChanged")
    assert sorted(p["patient_id"] for p in registered) == sorted(ids)
    assert sorted(p["patient_id"] for p in contacts) == sorted(ids)
    assert {p["source"] for p in registered} == {"import"}
    assert set(registered[0]) == {"patient_id", "source", "preferred_language"}
    assert OutboxEvent.objects.count() == 50


def test_bulk_register_crosses_batches():
    rows = PatientDataFactory.build_batch(services.BULK_BATCH_SIZE + 3)

    ids = services.patient_bulk_register(rows=rows, source="import")

    assert len(ids) == len(set(ids)) == services.BULK_BATCH_SIZE + 3
    assert Patient.objects.count() == len(rows)
    assert OutboxEvent.objects.filter(event_type="patients.PatientRegistered").count() == len(rows)
    last = Patient.objects.get(pk=ids[-1])
    assert (last.family_name, last.email) == (rows[-1].family_name, rows[-1].email)


def test_the_number_of_queries_does_not_depend_on_the_number_of_rows():
    def queries_for(count: int) -> int:
        rows = PatientDataFactory.build_batch(count)
        with CaptureQueriesContext(connection) as captured:
            services.patient_bulk_register(rows=rows, source="import")
        return len(captured.captured_queries)

    few, many = queries_for(10), queries_for(100)

    assert few == many
    assert many <= 6  # savepoint, MRNs, patients, outbox rows, release


def test_a_bad_row_refuses_the_whole_import_and_spends_no_mrn():
    # given an import whose rows 1 and 3 are bad
    rows = PatientDataFactory.build_batch(4)
    rows[1] = PatientData(**{**vars(rows[1]), "email": "broken", "family_name": ""})
    rows[3] = PatientData(**{**vars(rows[3]), "preferred_language": "xx"})
    sequence_before = _sequence_state()

    # when it is registered
    with pytest.raises(ValidationFailed) as error:
        services.patient_bulk_register(rows=rows, source="import")

    # then every bad field is named with its row, and nothing is written or drawn
    assert set(error.value.field_errors) == {
        "rows[1].email",
        "rows[1].family_name",
        "rows[3].preferred_language",
    }
    assert "2 of 4 rows" in error.value.detail
    assert Patient.objects.count() == 0
    assert OutboxEvent.objects.count() == 0
    assert _sequence_state() == sequence_before


def test_a_refusal_lists_a_bounded_number_of_rows():
    bad = PatientData(**{**vars(PatientDataFactory.build()), "gender": "nope"})

    with pytest.raises(ValidationFailed) as error:
        services.patient_bulk_register(
            rows=[bad] * (services.BULK_ERRORS_REPORTED + 50), source="import"
        )

    assert len(error.value.field_errors) == services.BULK_ERRORS_REPORTED
    assert f"{services.BULK_ERRORS_REPORTED + 50} of" in error.value.detail


def test_an_unknown_source_is_refused():
    with pytest.raises(ValidationFailed) as error:
        services.patient_bulk_register(rows=PatientDataFactory.build_batch(2), source="fax")

    assert list(error.value.field_errors) == ["source"]
    assert Patient.objects.count() == 0


def test_no_rows_register_nothing():
    assert services.patient_bulk_register(rows=[], source="import") == []
