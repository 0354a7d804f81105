"""Events of the audit app: plain data, versioned, no Django."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from apps.core.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class BreakGlassAccessGranted(DomainEvent):
    """A staff member opened a patient outside their care relationship, giving a reason.

    Ids and times only: the reason the staff member typed stays in the audit database (free
    text may name the patient); admins read it on /staff/audit/.
    """

    event_type: ClassVar[str] = "audit.BreakGlassAccessGranted"
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = "audit.BreakGlassGrant"
    aggregate_id_field: ClassVar[str] = "grant_id"

    grant_id: int
    user_id: int
    actor_role: str
    patient_id: int
    granted_at: str
    expires_at: str
