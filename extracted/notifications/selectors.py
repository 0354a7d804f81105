"""Reads of the notifications service: a patient's preferences, failed messages for staff."""

from __future__ import annotations

from django.db.models import QuerySet

from extracted.notifications.models import Message, PatientContact, Preference, Status
from extracted.notifications.router import DATABASE


def preference_get(*, patient_id: int) -> Preference:
    """The patient's choices; the defaults (both channels, no quiet hours) if never set."""
    return Preference.objects.using(DATABASE).filter(pk=patient_id).first() or Preference(
        patient_id=patient_id
    )


def contact_get(*, patient_id: int) -> PatientContact | None:
    return PatientContact.objects.using(DATABASE).filter(pk=patient_id).first()


def messages_failed(*, limit: int = 200) -> QuerySet[Message]:
    """The most recent permanently failed messages, newest first, with their attempt counts."""
    return (
        Message.objects.using(DATABASE)
        .filter(status=Status.FAILED)
        .order_by("-created_at")
        .only(
            "id", "kind", "channel", "audience", "patient_id", "appointment_id", "reason",
            "attempts", "created_at", "due_at",
        )[:limit]
    )  # fmt: skip
