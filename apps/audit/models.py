"""The audit tables: PHI access records and the seals of their hash chain (both append-only in
the database: a trigger refuses UPDATE and DELETE, see migration 0001), and break-glass grants."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Now

from apps.audit.contracts import Action, Outcome, Purpose, Severity

USER_AGENT_LENGTH = 200


class ClockTimestamp(models.Func):
    """clock_timestamp(): the time the row is written, not the transaction's start."""

    function = "clock_timestamp"
    template = "clock_timestamp()"
    output_field = models.DateTimeField()


def _choices(vocabulary: type) -> list[tuple[str, str]]:
    return [(item.value, item.value) for item in vocabulary]


class AccessRecord(models.Model):
    """Who touched which patient's data, how, why, with what outcome, when and from where.

    References only (ids, codes, the request's id): never a name, a date of birth or a note.
    No foreign keys: a user or patient row may change, the log must not.
    """

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    # Set by the database after the id: the sealer's watermark compares it with the start of
    # open transactions (docs/adr/0007-audit-log.md).
    inserted_at = models.DateTimeField(db_default=ClockTimestamp())
    user_id = models.BigIntegerField(null=True)
    actor_role = models.CharField(max_length=64, blank=True)
    patient_id = models.BigIntegerField(null=True)
    resource_type = models.CharField(max_length=40)
    resource_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=16, choices=_choices(Action))
    purpose = models.CharField(max_length=16, choices=_choices(Purpose))
    outcome = models.CharField(max_length=8, choices=_choices(Outcome))
    severity = models.CharField(max_length=8, choices=_choices(Severity), default="normal")
    ip_address = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=USER_AGENT_LENGTH, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["patient_id", "-id"], name="audit_access_patient_idx"),
            models.Index(fields=["user_id", "-id"], name="audit_access_user_idx"),
            models.Index(fields=["occurred_at"], name="audit_access_time_idx"),
        ]

    def __str__(self) -> str:
        return f"access {self.pk}"


class Seal(models.Model):
    """A link of the hash chain: covers AccessRecord ids in (after_id, last_id].

    row_ids/row_digests list each covered row and the sha256 of its content (without the id),
    so audit_verify can name the row that was changed, removed or moved.
    hash = sha256(prev_hash + "\\n".join(f"{id}:{digest}")) over those rows in id order.
    """

    id = models.BigAutoField(primary_key=True)
    after_id = models.BigIntegerField(unique=True)
    last_id = models.BigIntegerField(unique=True)
    row_ids = ArrayField(models.BigIntegerField())
    row_digests = ArrayField(models.CharField(max_length=64))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_id__gt=models.F("after_id")), name="audit_seal_range"
            )
        ]

    def __str__(self) -> str:
        return f"seal {self.pk}"


class BreakGlassGrant(models.Model):
    """Time-boxed access to one patient outside the care relationship, with the reason given.

    The reason is free text a staff member typed: it stays here, never in events or logs.
    """

    id = models.BigAutoField(primary_key=True)
    user_id = models.BigIntegerField()
    patient_id = models.BigIntegerField()
    reason = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["user_id", "patient_id", "-expires_at"], name="audit_breakglass_idx"
            )
        ]

    def __str__(self) -> str:
        return f"break-glass grant {self.pk}"
