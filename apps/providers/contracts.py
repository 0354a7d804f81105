"""Public DTOs, vocabularies and exceptions of providers. No Django."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from apps.core.errors import Conflict, NotFound


class ExceptionKind(enum.StrEnum):
    LEAVE = "leave"  # no slots in the period
    EXTRA = "extra"  # one-off hours added to the period


# ISO 639-1 (two-letter) language codes, lowercase; "bh" is left out as ISO withdrew it.
LANGUAGE_CODES = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
    """.split()
)


@dataclasses.dataclass(frozen=True)
class SpecialtyInfo:
    id: int
    code: str
    name: str


@dataclasses.dataclass(frozen=True)
class LocationInfo:
    id: int
    name: str
    address_line: str
    city: str
    postal_code: str
    country: str
    timezone: str
    active: bool


@dataclasses.dataclass(frozen=True)
class PractitionerInfo:
    """A practitioner as patients and staff see them (no contact data, no login)."""

    id: int
    display_name: str
    prefix: str
    family_name: str
    given_name: str
    qualifications: str
    specialties: tuple[SpecialtyInfo, ...]
    languages: tuple[str, ...]
    bio: str
    active: bool

    @property
    def specialty_codes(self) -> tuple[str, ...]:
        return tuple(specialty.code for specialty in self.specialties)


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
    active: bool = True


@dataclasses.dataclass(frozen=True)
class OnlineBookableOffer:
    """An active, online-bookable appointment type and the active roles that offer it.

    A role counts when the role, its practitioner and its location are all active.
    """

    appointment_type: AppointmentTypeInfo
    role_ids: tuple[int, ...]


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
class BookableRole:
    """An active role (role, practitioner and location active) with the names a patient sees."""

    id: int
    practitioner_id: int
    practitioner_name: str
    location_id: int
    location_name: str


@dataclasses.dataclass(frozen=True)
class PractitionerRoleInfo:
    """A practitioner at a location.

    `active` is true only when the role, its practitioner and its location are all active;
    `appointment_type_ids` lists the active appointment types the role offers.
    """

    id: int
    practitioner_id: int
    location_id: int
    timezone: str
    appointment_type_ids: tuple[int, ...]
    active: bool


@dataclasses.dataclass(frozen=True)
class AvailabilityRuleSpec:
    """Weekly hours as written by a caller: local wall-clock times on one weekday."""

    weekday: int
    start_time: dt.time
    end_time: dt.time
    slot_minutes: int
    capacity: int
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class AvailabilityExceptionSpec:
    """Leave (no slots; without times, whole days) or extra one-off hours, in local time."""

    kind: ExceptionKind
    date_from: dt.date
    date_to: dt.date
    start_time: dt.time | None = None
    end_time: dt.time | None = None
    slot_minutes: int | None = None
    capacity: int | None = None
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class AvailabilityRuleInfo:
    id: int
    practitioner_role_id: int
    weekday: int
    start_time: dt.time
    end_time: dt.time
    slot_minutes: int
    capacity: int
    valid_from: dt.date | None
    valid_until: dt.date | None


@dataclasses.dataclass(frozen=True)
class AvailabilityExceptionInfo:
    """Leave or extra hours; without times a leave covers whole days."""

    id: int
    practitioner_role_id: int
    kind: ExceptionKind
    date_from: dt.date
    date_to: dt.date
    start_time: dt.time | None
    end_time: dt.time | None
    slot_minutes: int | None
    capacity: int | None
    reason: str


class ProviderNotFound(NotFound):
    code = "provider_not_found"


class AvailabilityOverlap(Conflict):
    """Two weekly rules, or two extra-hours exceptions, of one role would cover the same time."""

    code = "availability_overlap"
    title = "The hours overlap hours the practitioner already has"


class ProviderConflict(Conflict):
    """A uniqueness rule of providers: a code, a role per location, a user's practitioner."""

    code = "provider_conflict"


@dataclasses.dataclass(frozen=True)
class AvailabilityChange:
    """A proposed edit of one role's rules and exceptions, in the terms the save services take,
    so it can be previewed (availability_preview) before it is saved."""

    rule_create: tuple[AvailabilityRuleSpec, ...] = ()
    rule_update: tuple[tuple[int, AvailabilityRuleSpec], ...] = ()
    rule_delete: tuple[int, ...] = ()
    exception_create: tuple[AvailabilityExceptionSpec, ...] = ()
    exception_update: tuple[tuple[int, AvailabilityExceptionSpec], ...] = ()
    exception_delete: tuple[int, ...] = ()
