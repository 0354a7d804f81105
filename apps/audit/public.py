"""What other apps (and extracted services) may call in audit: record PHI access, read the log,
break-glass grants. Any layer may record; reading the log is for layers that show it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest

from apps.audit import selectors, services
from apps.audit.admin_access import PatientAccessAdmin
from apps.audit.contracts import (
    AccessContext,
    AccessEntry,
    AccessFilter,
    Action,
    BreakGlassGrant,
    Outcome,
    Purpose,
    Severity,
    VerifyProblem,
)

__all__ = [
    "AccessContext",
    "AccessPages",
    "Action",
    "Outcome",
    "PatientAccessAdmin",
    "Purpose",
    "Severity",
    "access_count",
    "access_iter",
    "access_slice",
    "actor_set",
    "break_glass_active",
    "break_glass_grant",
    "break_glass_reasons",
    "record_access",
]


def record_access(
    request_or_context: HttpRequest | AccessContext | Any | None,
    *,
    patient_id: int | None,
    resource: str,
    resource_id: object = "",
    action: Action,
    purpose: Purpose,
    outcome: Outcome = Outcome.ALLOWED,
    severity: Severity = Severity.NORMAL,
) -> None:
    """Record one access to a patient's data: ids and codes, never values.

    In a request (Django's or DRF's) the record joins the request's buffer, written with one
    INSERT when the response is ready; with an AccessContext (a task, a command) or None (the
    system) it is written at once.
    """
    services.access_record(
        request_or_context,
        patient_id=patient_id,
        resource=resource,
        resource_id=resource_id,
        action=action,
        purpose=purpose,
        outcome=outcome,
        severity=severity,
    )


def actor_set(request: HttpRequest | Any, *, user_id: int, actor_role: str) -> None:
    """Who acts in this request, in which role (a label such as "clinician")."""
    services.actor_set(request, user_id=user_id, actor_role=actor_role)


def access_count(*, access_filter: AccessFilter) -> int:
    return selectors.access_count(access_filter=access_filter)


def access_slice(*, access_filter: AccessFilter, offset: int, limit: int) -> list[AccessEntry]:
    return selectors.access_slice(access_filter=access_filter, offset=offset, limit=limit)


class AccessPages:
    """The log under a filter as Django's and DRF's paginators take it: len/count() and a
    slice, one query each, newest first."""

    def __init__(self, access_filter: AccessFilter) -> None:
        self.access_filter = access_filter

    def count(self) -> int:
        return selectors.access_count(access_filter=self.access_filter)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[AccessEntry]:
        start = window.start or 0
        return selectors.access_slice(
            access_filter=self.access_filter, offset=start, limit=window.stop - start
        )


def access_iter(*, access_filter: AccessFilter) -> Iterator[AccessEntry]:
    return selectors.access_iter(access_filter=access_filter)


def break_glass_active(*, user_id: int, patient_id: int) -> BreakGlassGrant | None:
    return selectors.break_glass_active(user_id=user_id, patient_id=patient_id)


def break_glass_grant(
    *, request: HttpRequest | Any, user_id: int, actor_role: str, patient_id: int, reason: str
) -> BreakGlassGrant:
    """Raises BreakGlassReasonInvalid when the reason is too short."""
    grant = services.break_glass_grant(
        request=request,
        user_id=user_id,
        actor_role=actor_role,
        patient_id=patient_id,
        reason=reason,
    )
    return selectors.grant_info(grant)


def break_glass_reasons(*, grant_ids: list[int]) -> dict[int, str]:
    return selectors.break_glass_reasons(grant_ids=grant_ids)


def seal_pending() -> int:
    return services.seal_pending()


def chain_verify(
    *, progress: Callable[[int, int], None] | None = None
) -> tuple[int, list[VerifyProblem]]:
    """Recompute the seal chain; (rows checked, findings naming rows or seals)."""
    checked, problems = services.chain_verify(progress=progress)
    return checked, [
        VerifyProblem(
            kind=problem["kind"],
            record_id=problem.get("record_id"),
            seal_id=problem.get("seal_id"),
            detail=problem["detail"],
        )
        for problem in problems
    ]
