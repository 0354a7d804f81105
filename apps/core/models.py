"""The kernel's tables: the outbox and the monolith's processed events."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from apps.core.consumers import ProcessedEventBase


class OutboxEvent(models.Model):
    """An event written in the transaction of the change it describes, waiting to be relayed."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        DEAD = "dead", "Dead-lettered"

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True, editable=False)
    event_type = models.CharField(max_length=100)
    version = models.PositiveSmallIntegerField()
    aggregate_type = models.CharField(max_length=100)
    aggregate_id = models.CharField(max_length=64)
    payload = models.JSONField()
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(
        help_text="Not relayed before this time (backoff after a failed attempt)."
    )
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["available_at", "id"],
                name="outbox_pending_idx",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["delivered_at"],
                name="outbox_delivered_idx",
                condition=Q(status="delivered"),
            ),
            models.Index(fields=["id"], name="outbox_dead_idx", condition=Q(status="dead")),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.id} ({self.status})"


class ProcessedEvent(ProcessedEventBase):
    """Events already applied by the monolith's in-process consumers."""

    class Meta(ProcessedEventBase.Meta):
        abstract = False
