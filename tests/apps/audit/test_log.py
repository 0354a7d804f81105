"""The access log: recording through audit.public, append-only rows, one INSERT per request."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory

from apps.audit import public as audit
from apps.audit.contracts import AccessFilter, Action, Outcome, Purpose, Severity
from apps.audit.models import AccessRecord, Seal
from apps.audit.services import buffer_flush, buffer_open

pytestmark = pytest.mark.django_db


def test_a_record_outside_a_request_is_written_at_once():
    # Given a task acting for a user; when it records an export
    audit.record_access(
        audit.AccessContext(user_id=7, actor_role="admin"),
        patient_id=3,
        resource="patient",
        resource_id=3,
        action=Action.EXPORT,
        purpose=Purpose.ADMINISTRATION,
    )
    # Then the row is there, with references only
    row = AccessRecord.objects.get()
    assert (row.user_id, row.actor_role, row.patient_id, row.resource_id) == (7, "admin", 3, "3")
    assert (row.action, row.purpose, row.outcome, row.severity) == (
        "export",
        "administration",
        "allowed",
        "normal",
    )
    assert row.inserted_at is not None


def test_a_request_buffers_its_records_and_writes_them_in_one_insert(
    django_assert_num_queries,
):
    request = RequestFactory().get(
        "/x", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="agent/" + "x" * 400
    )
    buffer_open(request)
    audit.actor_set(request, user_id=5, actor_role="clinician")
    with django_assert_num_queries(0):
        for resource in ("patient", "allergy", "appointment"):
            audit.record_access(
                request,
                patient_id=9,
                resource=resource,
                action=Action.READ,
                purpose=Purpose.TREATMENT,
            )
    with django_assert_num_queries(1):
        assert buffer_flush(request) == 3
    rows = list(AccessRecord.objects.order_by("id"))
    assert [row.resource_type for row in rows] == ["patient", "allergy", "appointment"]
    assert {row.ip_address for row in rows} == {"10.1.2.3"}
    assert {len(row.user_agent) for row in rows} == {200}
    assert {(row.user_id, row.actor_role) for row in rows} == {(5, "clinician")}


def _one_row() -> AccessRecord:
    audit.record_access(
        None,
        patient_id=1,
        resource="patient",
        action=Action.READ,
        purpose=Purpose.TREATMENT,
        outcome=Outcome.DENIED,
        severity=Severity.HIGH,
    )
    return AccessRecord.objects.get()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_accessrecord SET outcome = 'allowed'",
        "DELETE FROM audit_accessrecord",
    ],
)
def test_the_database_refuses_to_change_or_delete_a_record(statement):
    _one_row()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert AccessRecord.objects.get().outcome == "denied"


def test_the_orm_cannot_delete_a_record_either():
    row = _one_row()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        row.delete()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_seal SET hash = repeat('0', 64)", "DELETE FROM audit_seal"],
)
def test_the_database_refuses_to_change_or_delete_a_seal(statement, settings):
    settings.AUDIT_SEAL_GRACE_SECONDS = 0
    _one_row()
    # The test's own transaction holds an xid: seal_pending waits for older ones only.
    assert audit.seal_pending() == 1
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert Seal.objects.count() == 1


def test_filters_select_entries_newest_first():
    for patient_id, outcome in ((1, Outcome.ALLOWED), (2, Outcome.DENIED), (1, Outcome.DENIED)):
        audit.record_access(
            audit.AccessContext(user_id=4, actor_role="clinician"),
            patient_id=patient_id,
            resource="patient",
            action=Action.READ,
            purpose=Purpose.TREATMENT,
            outcome=outcome,
        )
    found = audit.access_slice(
        access_filter=AccessFilter(patient_id=1, outcome=Outcome.DENIED), offset=0, limit=10
    )
    assert [(entry.patient_id, entry.outcome) for entry in found] == [(1, Outcome.DENIED)]
    assert audit.access_count(access_filter=AccessFilter(patient_id=1)) == 2
