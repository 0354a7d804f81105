"""Public vocabulary of the PHI access log: actions, purposes, outcomes, severities, and the
entries other apps read back. No Django."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from apps.core.errors import ValidationFailed


class Action(enum.StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    SEARCH = "search"
    DENIED = "denied"
    BREAK_GLASS = "break-glass"


class Purpose(enum.StrEnum):
    TREATMENT = "treatment"
    ADMINISTRATION = "administration"
    BREAK_GLASS = "break-glass"
    SELF = "self"


class Outcome(enum.StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


class Severity(enum.StrEnum):
    NORMAL = "normal"
    HIGH = "high"


@dataclasses.dataclass(frozen=True)
class AccessEntry:
    """One row of the log as readers see it: references only, never PHI values."""

    id: int
    occurred_at: dt.datetime
    user_id: int | None
    actor_role: str
    patient_id: int | None
    resource_type: str
    resource_id: str
    action: Action
    purpose: Purpose
    outcome: Outcome
    severity: Severity
    ip_address: str | None
    user_agent: str
    request_id: str


@dataclasses.dataclass(frozen=True)
class AccessFilter:
    """What /staff/audit/ filters on; None means any."""

    patient_id: int | None = None
    user_id: int | None = None
    action: Action | None = None
    outcome: Outcome | None = None
    purpose: Purpose | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    # A patient's own view of their log leaves out their own reads.
    exclude_self: bool = False


@dataclasses.dataclass(frozen=True)
class BreakGlassGrant:
    id: int
    user_id: int
    patient_id: int
    granted_at: dt.datetime
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class VerifyProblem:
    """One finding of audit_verify: what is wrong and the row or seal it concerns."""

    kind: str  # changed, missing, reordered, unsealed, seal-broken
    record_id: int | None
    seal_id: int | None
    detail: str


@dataclasses.dataclass(frozen=True)
class AccessContext:
    """Who acts, outside a request (a task, a management command, an export job)."""

    user_id: int | None
    actor_role: str
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = ""


class BreakGlassReasonInvalid(ValidationFailed):
    """The reason is missing or too short to tell a reviewer why the record was opened."""

    code = "break_glass_reason_invalid"
