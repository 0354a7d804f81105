"""A break-glass access alerts the administrators: a staff alert to NOTIFICATIONS_ADMIN_EMAIL,
once per grant, carrying ids and times only."""

from __future__ import annotations

import pytest

from apps.audit import public as audit
from apps.audit.events import BreakGlassAccessGranted
from apps.audit.models import AccessRecord
from apps.core.models import OutboxEvent
from apps.core.outbox import envelope_of
from extracted.notifications import services
from extracted.notifications.models import Message, Status
from tests.extracted.notifications.conftest import BOTH, NOTIFICATIONS_DB, consume, mail_files

pytestmark = [NOTIFICATIONS_DB]

GRANT = BreakGlassAccessGranted(
    grant_id=5,
    user_id=42,
    actor_role="clinician",
    patient_id=9,
    granted_at="2026-12-03T10:00:00+00:00",
    expires_at="2026-12-03T11:00:00+00:00",
)


def test_a_break_glass_grant_alerts_the_admins_by_email(outbox_dir, settings):
    settings.NOTIFICATIONS_STAFF_EMAIL = "front-desk@clinic.test"
    settings.NOTIFICATIONS_ADMIN_EMAIL = "security@clinic.test"
    envelope = GRANT.to_envelope()

    due = consume(envelope)
    assert consume(envelope) == []  # the same event again queues nothing more
    services.messages_deliver_due(ids=due)

    [message] = Message.objects.all()
    assert (message.kind, message.audience, message.channel, message.status) == (
        "staff_break_glass",
        "admin",
        "email",
        Status.SENT,
    )
    [mail] = mail_files(outbox_dir)
    text = mail.read_text()
    assert "To: security@clinic.test" in text
    assert "Break-glass access to patient 9" in text
    assert "Staff user 42 (clinician)" in text
    assert "/staff/audit/?patient=9" in text


def test_the_service_subscribes_to_break_glass_grants(settings):
    _, event_types = settings.OUTBOX_CONSUMERS["notifications"]
    assert "audit.BreakGlassAccessGranted" in event_types
    assert "audit.BreakGlassAccessGranted" in services.EVENT_TYPES


@pytest.mark.django_db(databases=BOTH)
def test_the_grant_the_audit_app_records_reaches_the_admins_as_an_alert(outbox_dir, settings):
    settings.NOTIFICATIONS_ADMIN_EMAIL = "security@clinic.test"
    grant = audit.break_glass_grant(
        request=None,
        user_id=42,
        actor_role="front_desk",
        patient_id=9,
        reason="Patient collapsed in the waiting room, need allergies",
    )
    row = OutboxEvent.objects.get(event_type="audit.BreakGlassAccessGranted")
    envelope = envelope_of(row)

    services.messages_deliver_due(ids=consume(envelope))

    [message] = Message.objects.all()
    assert (message.kind, message.status, message.context["grant_id"]) == (
        "staff_break_glass",
        Status.SENT,
        grant.id,
    )
    [mail] = mail_files(outbox_dir)
    assert "collapsed" not in mail.read_text()  # the reason never leaves the audit database
    [record] = AccessRecord.objects.all()
    assert (record.user_id, record.actor_role, record.severity, record.purpose) == (
        42,
        "front_desk",
        "high",
        "break-glass",
    )
