"""Seals: a hash chain over committed records in id order, and audit_verify finding tampering."""

from __future__ import annotations

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.audit import public as audit
from apps.audit.contracts import Action, Purpose
from apps.audit.models import AccessRecord, Seal
from healthportal.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_grace(settings):
    settings.AUDIT_SEAL_GRACE_SECONDS = 0


def _record(patient_id: int, resource: str = "patient") -> None:
    audit.record_access(
        audit.AccessContext(user_id=patient_id + 100, actor_role="clinician"),
        patient_id=patient_id,
        resource=resource,
        action=Action.READ,
        purpose=Purpose.TREATMENT,
    )


def _tamper(*statements: tuple[str, list[int]]) -> None:
    """As someone with the table owner's rights would: the trigger off, the change, back on."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE audit_accessrecord DISABLE TRIGGER audit_accessrecord_append_only"
        )
        for statement, params in statements:
            cursor.execute(statement, params)
        cursor.execute(
            "ALTER TABLE audit_accessrecord ENABLE TRIGGER audit_accessrecord_append_only"
        )


def _ids() -> list[int]:
    return list(AccessRecord.objects.order_by("id").values_list("id", flat=True))


def test_seals_chain_every_committed_row_in_id_order():
    for patient_id in range(1, 4):
        _record(patient_id)
    assert audit.seal_pending() == 3
    _record(4)
    assert audit.seal_pending() == 1
    assert audit.seal_pending() == 0
    first, second = Seal.objects.order_by("id")
    assert (first.after_id, first.last_id, first.row_ids) == (0, _ids()[2], _ids()[:3])
    assert (second.prev_hash, second.after_id) == (first.hash, first.last_id)
    assert audit.chain_verify() == (4, [])
    call_command("audit_verify")


def test_verify_names_a_changed_row():
    for patient_id in range(1, 4):
        _record(patient_id)
    audit.seal_pending()
    changed = _ids()[1]
    _tamper(("UPDATE audit_accessrecord SET patient_id = 99 WHERE id = %s", [changed]))
    _, problems = audit.chain_verify()
    assert [(p.kind, p.record_id) for p in problems] == [("changed", changed)]
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit_verify")


def test_verify_names_a_missing_row():
    for patient_id in range(1, 4):
        _record(patient_id)
    audit.seal_pending()
    removed = _ids()[0]
    _tamper(("DELETE FROM audit_accessrecord WHERE id = %s", [removed]))
    _, problems = audit.chain_verify()
    assert [(p.kind, p.record_id) for p in problems] == [("missing", removed)]


def test_verify_names_reordered_rows():
    for patient_id in range(1, 4):
        _record(patient_id)
    audit.seal_pending()
    a, b = _ids()[0], _ids()[2]
    # Swap two rows' places in the id order.
    _tamper(
        ("UPDATE audit_accessrecord SET id = -1 WHERE id = %s", [a]),
        ("UPDATE audit_accessrecord SET id = %s WHERE id = %s", [a, b]),
        ("UPDATE audit_accessrecord SET id = %s WHERE id = -1", [b]),
    )
    _, problems = audit.chain_verify()
    assert sorted((p.kind, p.record_id) for p in problems) == [("reordered", a), ("reordered", b)]


def test_verify_names_a_row_slipped_into_a_sealed_range():
    for patient_id in range(1, 4):
        _record(patient_id)
    audit.seal_pending()
    # Take a sealed row out and put another in its place, under the same id.
    middle = _ids()[1]
    _tamper(
        ("DELETE FROM audit_accessrecord WHERE id = %s", [middle]),
        (
            "INSERT INTO audit_accessrecord (id, occurred_at, user_id, actor_role, patient_id, "
            "resource_type, resource_id, action, purpose, outcome, severity, user_agent, "
            "request_id) VALUES (%s, now(), 1, 'x', 1, 'patient', '', 'read', 'treatment', "
            "'allowed', 'normal', '', '')",
            [middle],
        ),
    )
    _, problems = audit.chain_verify()
    assert [(p.kind, p.record_id) for p in problems] == [("changed", middle)]


def test_verify_finds_a_rewritten_seal():
    _record(1)
    audit.seal_pending()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_seal DISABLE TRIGGER audit_seal_append_only")
        cursor.execute("UPDATE audit_seal SET row_digests = ARRAY[repeat('a', 64)]")
    _, problems = audit.chain_verify()
    assert "seal-broken" in {p.kind for p in problems}


def test_rows_of_a_transaction_still_open_wait_and_a_rolled_back_gap_is_passed():
    # A second session on the test database, as Django would open it (server or embedded).
    other = psycopg.connect(**connection.get_connection_params())
    try:
        # Given another transaction that took an id and has not committed
        other.execute(
            "INSERT INTO audit_accessrecord (occurred_at, user_id, actor_role, patient_id, "
            "resource_type, resource_id, action, purpose, outcome, severity, user_agent, "
            "request_id) VALUES (now(), 1, 'x', 1, 'patient', '', 'read', 'treatment', "
            "'allowed', 'normal', '', '')"
        )
        # When a later row is written and the sealer runs
        _record(2)
        # Then the later row waits: the open transaction could still commit a lower id
        assert audit.seal_pending() == 0
        other.rollback()
        # Once it is gone (rolled back), the gap stays a gap and the row is sealed
        assert audit.seal_pending() == 1
    finally:
        other.close()


def test_beat_runs_the_sealer_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["audit-seal"]
    assert entry["task"] == "audit.seal"
    assert entry["schedule"].total_seconds() == 60
    app.loader.import_default_modules()
    assert "audit.seal" in app.tasks
