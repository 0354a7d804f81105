"""GET /api/v1/me/access-log/: who accessed the caller's record; and every /me/ call is itself
recorded in the access log with purpose self."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.contracts import Role
from apps.audit import public as audit
from apps.audit.contracts import Action, Outcome, Purpose
from apps.audit.models import AccessRecord
from tests.factories.accounts import user_in_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/access-log/"


def _staff_read(user, patient_id: int, *, outcome: Outcome = Outcome.ALLOWED) -> None:
    audit.record_access(
        audit.AccessContext(user_id=user.id, actor_role="clinician"),
        patient_id=patient_id,
        resource="patient",
        resource_id=patient_id,
        action=Action.READ,
        purpose=Purpose.TREATMENT,
        outcome=outcome,
    )


def test_a_patient_sees_who_accessed_their_record_and_nobody_elses(patient_a, patient_b, api_a):
    clinician = user_in_role(Role.CLINICIAN, display_name="Dr. Marta Ruiz")
    _staff_read(clinician, patient_a.id)
    _staff_read(clinician, patient_a.id, outcome=Outcome.DENIED)
    _staff_read(clinician, patient_b.id)

    response = api_a.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["results"][0] == {
        "occurred_at": body["results"][0]["occurred_at"],
        "accessed_by": "Dr. Marta Ruiz",
        "role": "clinician",
        "resource": "patient",
        "action": "read",
        "purpose": "treatment",
        "outcome": "denied",
    }


def test_the_patients_own_calls_are_recorded_as_self_and_left_out_of_their_view(patient_a, api_a):
    with CaptureQueriesContext(connection) as queries:
        assert api_a.get("/api/v1/me/").status_code == 200
    inserts = [q for q in queries.captured_queries if "audit_accessrecord" in q["sql"]]
    assert len(inserts) == 1
    api_a.get("/api/v1/me/allergies/")

    rows = list(AccessRecord.objects.order_by("id"))
    assert [(r.resource_type, r.action, r.purpose, r.user_id, r.actor_role) for r in rows] == [
        ("patient", "read", "self", patient_a.user_id, "patient"),
        ("allergies", "read", "self", patient_a.user_id, "patient"),
    ]
    assert api_a.get(URL).json()["count"] == 0


def test_anonymous_callers_are_refused(client):
    assert client.get(URL).status_code == 401


def test_the_access_log_runs_the_same_queries_for_2_and_20_entries(patient_a, api_a):
    staff = [user_in_role(Role.CLINICIAN) for _ in range(3)]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api_a.get(URL, {"page_size": 50}).status_code == 200
        return len(queries)

    for user in staff[:2]:
        _staff_read(user, patient_a.id)
    small = count()
    for index in range(18):
        _staff_read(staff[index % 3], patient_a.id)
    assert api_a.get(URL, {"page_size": 50}).json()["count"] == 20
    assert count() == small


def test_the_access_log_is_documented(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/v1/me/access-log/"]["get"]
    assert operation["operationId"] == "me_access_log_list"
    assert {"200", "401", "403"} <= set(operation["responses"])
