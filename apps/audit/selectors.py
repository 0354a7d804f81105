"""Reads of the audit app: pages of the access log, the CSV export's rows, break-glass grants."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from apps.audit.contracts import (
    AccessEntry,
    AccessFilter,
    Action,
    BreakGlassGrant,
    Outcome,
    Purpose,
    Severity,
)
from apps.audit.models import AccessRecord
from apps.audit.models import BreakGlassGrant as GrantRow


def _entry(row: AccessRecord) -> AccessEntry:
    return AccessEntry(
        id=row.id,
        occurred_at=row.occurred_at,
        user_id=row.user_id,
        actor_role=row.actor_role,
        patient_id=row.patient_id,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        action=Action(row.action),
        purpose=Purpose(row.purpose),
        outcome=Outcome(row.outcome),
        severity=Severity(row.severity),
        ip_address=row.ip_address,
        user_agent=row.user_agent,
        request_id=row.request_id,
    )


def _filtered(access_filter: AccessFilter) -> QuerySet[AccessRecord]:
    queryset = AccessRecord.objects.all()
    if access_filter.patient_id is not None:
        queryset = queryset.filter(patient_id=access_filter.patient_id)
    if access_filter.user_id is not None:
        queryset = queryset.filter(user_id=access_filter.user_id)
    if access_filter.action is not None:
        queryset = queryset.filter(action=access_filter.action.value)
    if access_filter.outcome is not None:
        queryset = queryset.filter(outcome=access_filter.outcome.value)
    if access_filter.purpose is not None:
        queryset = queryset.filter(purpose=access_filter.purpose.value)
    if access_filter.since is not None:
        queryset = queryset.filter(occurred_at__gte=access_filter.since)
    if access_filter.until is not None:
        queryset = queryset.filter(occurred_at__lt=access_filter.until)
    if access_filter.exclude_self:
        queryset = queryset.exclude(purpose=Purpose.SELF.value)
    return queryset.order_by("-id")


def access_count(*, access_filter: AccessFilter) -> int:
    return _filtered(access_filter).count()


def access_slice(*, access_filter: AccessFilter, offset: int, limit: int) -> list[AccessEntry]:
    """Newest first: one query."""
    return [_entry(row) for row in _filtered(access_filter)[offset : offset + limit]]


def access_iter(*, access_filter: AccessFilter, chunk_size: int = 2000) -> Iterator[AccessEntry]:
    """Every matching entry, newest first, read in chunks (a server-side cursor)."""
    for row in _filtered(access_filter).iterator(chunk_size=chunk_size):
        yield _entry(row)


def break_glass_active(*, user_id: int, patient_id: int) -> BreakGlassGrant | None:
    row = (
        GrantRow.objects.filter(
            user_id=user_id, patient_id=patient_id, expires_at__gt=timezone.now()
        )
        .order_by("-expires_at")
        .first()
    )
    return grant_info(row) if row is not None else None


def grant_info(row: GrantRow) -> BreakGlassGrant:
    return BreakGlassGrant(
        id=row.id,
        user_id=row.user_id,
        patient_id=row.patient_id,
        granted_at=row.granted_at,
        expires_at=row.expires_at,
    )


def break_glass_reasons(*, grant_ids: list[int]) -> dict[int, str]:
    return dict(GrantRow.objects.filter(id__in=grant_ids).values_list("id", "reason"))
