"""Public DTOs of providers: what scheduling and the portal need to know. No Django."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from apps.core.errors import NotFound


class ExceptionKind(enum.StrEnum):
    LEAVE = "leave"  # no slots in the period
    EXTRA = "extra"  # one-off hours added to the period


@dataclasses.dataclass(frozen=True)
class AppointmentTypeInfo:
    id: int
    code: str
    name: str
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    minimum_notice_minutes: int
    booking_horizon_days: int
    online_bookable: bool
    allergen_triggers: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class AvailabilityWindow:
    """Bookable hours of one practitioner at one location on one local date."""

    practitioner_role_id: int
    practitioner_id: int
    location_id: int
    date: dt.date
    start: dt.time
    end: dt.time
    slot_minutes: int
    capacity: int


@dataclasses.dataclass(frozen=True)
class PractitionerRoleInfo:
    id: int
    practitioner_id: int
    location_id: int
    timezone: str
    appointment_type_ids: tuple[int, ...]
    active: bool


class ProviderNotFound(NotFound):
    code = "provider_not_found"
