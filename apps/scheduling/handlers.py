"""Scheduling's reactions to other apps' events, registered in AppConfig.ready."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from apps.core.events import EventEnvelope
from apps.core.outbox import subscribe
from apps.providers.events import AvailabilityChanged
from apps.scheduling import services


def regenerate_slots(envelope: EventEnvelope) -> None:
    """A role's availability changed: bring its slots over the horizon in line."""
    today = timezone.localdate()
    services.slots_generate_for_role(
        role_id=int(envelope.payload["practitioner_role_id"]),
        date_from=today,
        date_to=today + dt.timedelta(days=settings.SLOT_HORIZON_DAYS),
    )


def register() -> None:
    subscribe(
        AvailabilityChanged.event_type,
        consumer="scheduling.regenerate_slots",
        handler=regenerate_slots,
    )
