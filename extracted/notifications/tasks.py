"""Celery entry points of the notifications service: the event consumer and the due sweep."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from apps.core.events import EventEnvelope
from extracted.notifications import services

# A sweep ends after this many full batches; the next beat tick continues.
MAX_BATCHES_PER_SWEEP = 20


@shared_task(
    name="notifications.consume",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # A database hiccup: try again soon (seconds, far below the broker's visibility timeout).
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=8,
)
def consume(envelope: dict[str, Any]) -> int:
    """Apply one event (at most once), then send what it made due; the number sent now.

    What is not sent here (a crash, a retry, a reminder) the beat sweep sends later.
    """
    received = EventEnvelope.from_dict(envelope)
    due = services.event_consume(envelope=received)
    if not due:
        return 0
    return services.messages_deliver_due(ids=due).sent


@shared_task(
    name="notifications.deliver_due",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def deliver_due() -> int:
    """Beat's sweep: send every message whose due time has passed."""
    total = 0
    for _ in range(MAX_BATCHES_PER_SWEEP):
        result = services.messages_deliver_due()
        total += result.sent
        if result.handled < settings.NOTIFICATIONS_BATCH_SIZE:
            break
    return total
