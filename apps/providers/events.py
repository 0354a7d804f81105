"""Domain events of providers: what scheduling and the extracted services react to. No Django."""

from __future__ import annotations

import dataclasses

from apps.core.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class PractitionerChanged(DomainEvent):
    """A practitioner was created or changed (names and bio stay out: read them via public)."""

    event_type = "providers.PractitionerChanged"
    version = 1
    aggregate_type = "providers.Practitioner"
    aggregate_id_field = "practitioner_id"

    practitioner_id: int
    active: bool
    specialty_codes: tuple[str, ...]
    languages: tuple[str, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class LocationChanged(DomainEvent):
    """A location was created or changed: its display name, IANA time zone and state.

    `name` was added for the notifications service's messages; adding a field keeps version 1.
    """

    event_type = "providers.LocationChanged"
    version = 1
    aggregate_type = "providers.Location"
    aggregate_id_field = "location_id"

    location_id: int
    timezone: str
    active: bool
    name: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class AvailabilityChanged(DomainEvent):
    """A role's bookable hours may have changed: scheduling regenerates that role's slots.

    Emitted when the role's rules, exceptions, appointment types or active flag change, and when
    its practitioner's or location's active flag, or its location's time zone, changes.
    """

    event_type = "providers.AvailabilityChanged"
    version = 1
    aggregate_type = "providers.PractitionerRole"
    aggregate_id_field = "practitioner_role_id"

    practitioner_role_id: int
    practitioner_id: int
    location_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppointmentTypeChanged(DomainEvent):
    event_type = "providers.AppointmentTypeChanged"
    version = 1
    aggregate_type = "providers.AppointmentType"
    aggregate_id_field = "appointment_type_id"

    appointment_type_id: int
    code: str
    active: bool
    online_bookable: bool
    duration_minutes: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class SpecialtyChanged(DomainEvent):
    event_type = "providers.SpecialtyChanged"
    version = 1
    aggregate_type = "providers.Specialty"
    aggregate_id_field = "specialty_id"

    specialty_id: int
    code: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class StaffAssignmentChanged(DomainEvent):
    """A staff user was assigned to (assigned=True) or removed from a location."""

    event_type = "providers.StaffAssignmentChanged"
    version = 1
    aggregate_type = "providers.StaffAssignment"
    aggregate_id_field = "user_id"

    user_id: int
    location_id: int
    assigned: bool
