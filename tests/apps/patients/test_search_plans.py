"""Each kind of search is served by its index (EXPLAIN with sequential scans priced out)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from apps.patients import selectors, services
from apps.patients.models import Patient
from tests.factories.patients import PatientDataFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry() -> list[Patient]:
    """About 2,000 patients, with planner statistics."""
    ids = services.patient_bulk_register(rows=PatientDataFactory.build_batch(2000), source="import")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE patients_patient")
    return list(Patient.objects.filter(id__in=ids[:10]))


def _plan(query: str) -> str:
    queryset = selectors.patient_search(query=query)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Not "no seq scans": a seq scan costs so much that any usable index wins, so the
            # plan shows whether the query CAN use the index.
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
        transaction.set_rollback(True)  # the savepoint's rollback undoes the SET LOCAL
    return plan


def _mrn_indexes() -> set[str]:
    """The unique index on mrn, and the varchar_pattern_ops twin Django adds to a unique
    CharField: both serve equality, and the planner may pick either."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'patients_patient' "
            "AND indexdef LIKE '%% (mrn%%'"
        )
        names = {name for (name,) in cursor.fetchall()}
    assert "patients_patient_mrn_key" in names
    return names


def test_one_word_name_search_uses_the_name_prefix_index(registry):
    plan = _plan(registry[0].family_name[:3].lower())

    assert "patient_name_prefix_idx" in plan
    assert "Seq Scan" not in plan


def test_family_and_given_search_uses_a_name_prefix_index(registry):
    patient = registry[1]

    plan = _plan(f"{patient.family_name[:4]}, {patient.given_name[:2]}")

    # Either name index serves it; the planner picks the more selective prefix for the data.
    assert "patient_name_prefix_idx" in plan or "patient_given_prefix_idx" in plan
    assert "Seq Scan" not in plan


def test_mrn_search_uses_the_unique_mrn_index(registry):
    plan = _plan(f"MRN {registry[2].mrn}")

    assert [name for name in _mrn_indexes() if name in plan]
    assert "Seq Scan" not in plan


@pytest.mark.parametrize("spelling", ["%Y-%m-%d", "%d/%m/%Y"])
def test_birth_date_search_uses_the_birth_date_index(registry, spelling):
    plan = _plan(registry[3].birth_date.strftime(spelling))

    assert "patient_birth_date_idx" in plan
    assert "Seq Scan" not in plan


def test_the_setting_does_not_outlive_the_plan(registry):
    _plan("smi")

    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone() == ("on",)
