"""Idempotent consumers: apply an event at most once per (consumer, event id).

The processed-event row is written in the consumer's own database, in the same transaction as
its effect: if the effect rolls back, so does the row, and a redelivery applies it again.
Extracted services subclass ProcessedEventBase in their own app and database.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models, transaction
from django.utils import timezone

from apps.core.events import EventEnvelope


class ProcessedEventBase(models.Model):
    consumer = models.CharField(max_length=100)
    event_id = models.UUIDField()
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["consumer", "event_id"], name="%(app_label)s_%(class)s_once"
            )
        ]


def claim_event(
    model: type[ProcessedEventBase], *, consumer: str, event_id: str, using: str
) -> bool:
    """True the first time `consumer` claims `event_id`; must run in the effect's transaction.

    A concurrent claim of the same event waits on the unique index until the first transaction
    ends, then finds the row: exactly one of them applies the effect.
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise RuntimeError("claim_event() must run inside the transaction of the effect")
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            # The table name comes from the model's Meta, quoted; values are parameters.
            f"INSERT INTO {table} (consumer, event_id, processed_at) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING 1",
            [consumer, event_id, timezone.now()],
        )
        return cursor.fetchone() is not None


def consume_once(
    model: type[ProcessedEventBase],
    *,
    consumer: str,
    envelope: EventEnvelope,
    apply: Callable[[EventEnvelope], None],
    using: str = "default",
) -> bool:
    """Apply `envelope` with `apply` unless this consumer already did; True if applied now."""
    with transaction.atomic(using=using):
        if not claim_event(model, consumer=consumer, event_id=envelope.event_id, using=using):
            return False
        apply(envelope)
        return True
