"""Two writers for one patient run one after the other: the patient's row lock serialises them."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from apps.allergies import public
from apps.allergies.contracts import AllergyType, AssertedBy, Criticality
from apps.allergies.models import AllergyIntolerance
from apps.core.errors import ApplicationError
from tests.factories.patients import PatientFactory

# Committed transactions on several connections; serialized_rollback restores the catalogue
# and the roles that the flush at the end of the test removes.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.integration,
]


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        # Activity is read once per transaction unless the snapshot is dropped.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _in_thread(target, results: list) -> threading.Thread:
    def run() -> None:
        try:
            results.append(target())
        except ApplicationError as error:
            results.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_concurrent_records_of_one_substance_give_one_entry_and_one_conflict():
    patient = PatientFactory()
    results: list = []

    def record():
        return public.allergy_record(
            patient_id=patient.id,
            substance_code="latex",
            type=AllergyType.ALLERGY,
            criticality=Criticality.HIGH,
            asserted_by=AssertedBy.STAFF,
            recorder_id=None,
        )

    # Hold the patient's row so that both writers are under way before either can proceed.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM patients_patient WHERE id = %s FOR UPDATE", [patient.id])
        threads = [_in_thread(record, results) for _ in range(2)]
        deadline = time.monotonic() + 10
        while _waiting_on_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting_on_locks() == 2
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(type(result).__name__ for result in results) == ["AllergyConflict", "AllergyInfo"]
    assert AllergyIntolerance.objects.filter(patient=patient).count() == 1
