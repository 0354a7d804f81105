"""A consumer's effect for the outbox and idempotency tests, in the test database only."""

from django.db import models

from apps.core.consumers import ProcessedEventBase


class ReceivedEvent(models.Model):
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)


class SinkProcessedEvent(ProcessedEventBase):
    class Meta(ProcessedEventBase.Meta):
        abstract = False
