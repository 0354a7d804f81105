"""Reads of providers, returned as the DTOs of contracts.py; availability expanded per local day."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from apps.core.errors import ValidationFailed
from apps.providers.contracts import (
    AppointmentTypeInfo,
    AvailabilityExceptionInfo,
    AvailabilityExceptionSpec,
    AvailabilityRuleInfo,
    AvailabilityRuleSpec,
    AvailabilityWindow,
    BookableRole,
    ExceptionKind,
    LocationInfo,
    OnlineBookableOffer,
    PractitionerInfo,
    PractitionerRoleInfo,
    ProviderNotFound,
    SpecialtyInfo,
)
from apps.providers.models import (
    AppointmentType,
    AvailabilityException,
    AvailabilityRule,
    Location,
    Practitioner,
    PractitionerRole,
    Specialty,
    StaffAssignment,
)

# DTO builders


def specialty_info(*, specialty: Specialty) -> SpecialtyInfo:
    return SpecialtyInfo(id=specialty.pk, code=specialty.code, name=specialty.name)


def location_info(*, location: Location) -> LocationInfo:
    return LocationInfo(
        id=location.pk,
        name=location.name,
        address_line=location.address_line,
        city=location.city,
        postal_code=location.postal_code,
        country=location.country,
        timezone=location.timezone,
        active=location.active,
    )


def practitioner_info(*, practitioner: Practitioner) -> PractitionerInfo:
    """Reads `practitioner.specialties.all()`: prefetch it when building many."""
    return PractitionerInfo(
        id=practitioner.pk,
        display_name=str(practitioner),
        prefix=practitioner.prefix,
        family_name=practitioner.family_name,
        given_name=practitioner.given_name,
        qualifications=practitioner.qualifications,
        specialties=tuple(
            specialty_info(specialty=specialty) for specialty in practitioner.specialties.all()
        ),
        languages=tuple(practitioner.languages),
        bio=practitioner.bio,
        active=practitioner.active,
    )


def appointment_type_info(*, appointment_type: AppointmentType) -> AppointmentTypeInfo:
    return AppointmentTypeInfo(
        id=appointment_type.pk,
        code=appointment_type.code,
        name=appointment_type.name,
        duration_minutes=appointment_type.duration_minutes,
        buffer_before_minutes=appointment_type.buffer_before_minutes,
        buffer_after_minutes=appointment_type.buffer_after_minutes,
        minimum_notice_minutes=appointment_type.minimum_notice_minutes,
        booking_horizon_days=appointment_type.booking_horizon_days,
        online_bookable=appointment_type.online_bookable,
        allergen_triggers=tuple(appointment_type.allergen_triggers),
        active=appointment_type.active,
    )


def availability_rule_info(*, rule: AvailabilityRule) -> AvailabilityRuleInfo:
    return AvailabilityRuleInfo(
        id=rule.pk,
        practitioner_role_id=rule.role_id,
        weekday=rule.weekday,
        start_time=rule.start_time,
        end_time=rule.end_time,
        slot_minutes=rule.slot_minutes,
        capacity=rule.capacity,
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
    )


def availability_exception_info(*, exception: AvailabilityException) -> AvailabilityExceptionInfo:
    return AvailabilityExceptionInfo(
        id=exception.pk,
        practitioner_role_id=exception.role_id,
        kind=ExceptionKind(exception.kind),
        date_from=exception.date_from,
        date_to=exception.date_to,
        start_time=exception.start_time,
        end_time=exception.end_time,
        slot_minutes=exception.slot_minutes,
        capacity=exception.capacity,
        reason=exception.reason,
    )


# Specialties and locations


def specialties() -> list[SpecialtyInfo]:
    return [specialty_info(specialty=specialty) for specialty in Specialty.objects.order_by("name")]


def specialty_id(*, code: str) -> int | None:
    """The id of the specialty with this code (waitlist entries refer to it), or None."""
    return Specialty.objects.filter(code=code).values_list("pk", flat=True).first()


def location_get(*, location_id: int) -> LocationInfo:
    location = Location.objects.filter(pk=location_id).first()
    if location is None:
        raise ProviderNotFound("No such location.")
    return location_info(location=location)


def locations(*, include_inactive: bool = False) -> list[LocationInfo]:
    rows = Location.objects.order_by("name", "pk")
    if not include_inactive:
        rows = rows.filter(active=True)
    return [location_info(location=location) for location in rows]


def locations_by_ids(*, ids: Collection[int]) -> dict[int, LocationInfo]:
    """The given locations whatever their state, by id, in one query."""
    rows = Location.objects.filter(pk__in=list(ids))
    return {location.pk: location_info(location=location) for location in rows}


def location_ids_for_user(*, user_id: int) -> list[int]:
    """The locations a staff user is assigned to (whether or not still active)."""
    return list(
        StaffAssignment.objects.filter(user_id=user_id)
        .order_by("location_id")
        .values_list("location_id", flat=True)
    )


# Practitioners


def _with_specialties(rows: QuerySet[Practitioner]) -> QuerySet[Practitioner]:
    return rows.prefetch_related(
        Prefetch("specialties", queryset=Specialty.objects.order_by("name", "pk"))
    )


def practitioner_get(*, practitioner_id: int) -> PractitionerInfo:
    practitioner = _with_specialties(Practitioner.objects.filter(pk=practitioner_id)).first()
    if practitioner is None:
        raise ProviderNotFound("No such practitioner.")
    return practitioner_info(practitioner=practitioner)


def practitioner_id_for_user(*, user_id: int) -> int | None:
    return Practitioner.objects.filter(user_id=user_id).values_list("pk", flat=True).first()


def practitioner_search(
    *,
    specialty_code: str | None = None,
    location_id: int | None = None,
    language: str | None = None,
    name: str | None = None,
) -> list[PractitionerInfo]:
    """Active practitioners matching every filter given, in two queries whatever the result.

    `location_id` keeps those with an active role at that active location; `name` is a
    case-insensitive prefix of the family or the given name.
    """
    rows = Practitioner.objects.filter(active=True)
    if specialty_code:
        rows = rows.filter(
            Exists(
                Practitioner.specialties.through.objects.filter(
                    practitioner_id=OuterRef("pk"), specialty__code=specialty_code
                )
            )
        )
    if location_id is not None:
        rows = rows.filter(
            Exists(
                PractitionerRole.objects.filter(
                    practitioner_id=OuterRef("pk"),
                    location_id=location_id,
                    active=True,
                    location__active=True,
                )
            )
        )
    if language:
        rows = rows.filter(languages__contains=[language.strip().lower()])
    if name and name.strip():
        prefix = name.strip()
        rows = rows.filter(Q(family_name__istartswith=prefix) | Q(given_name__istartswith=prefix))
    return [
        practitioner_info(practitioner=practitioner)
        for practitioner in _with_specialties(rows.order_by("family_name", "given_name", "pk"))
    ]


def practitioner_display_names(*, ids: Collection[int]) -> dict[int, str]:
    """Display names of the given practitioners whatever their state, in one query."""
    rows = Practitioner.objects.filter(pk__in=list(ids)).only(
        "pk", "prefix", "given_name", "family_name"
    )
    return {practitioner.pk: str(practitioner) for practitioner in rows}


def practitioner_locations(
    *, practitioner_ids: Collection[int]
) -> dict[int, tuple[LocationInfo, ...]]:
    """Where each practitioner works: active locations of active roles, by name, in one query."""
    rows = (
        PractitionerRole.objects.filter(
            practitioner_id__in=list(practitioner_ids), active=True, location__active=True
        )
        .select_related("location")
        .order_by("location__name", "location_id")
    )
    found: dict[int, list[LocationInfo]] = defaultdict(list)
    for role in rows:
        found[role.practitioner_id].append(location_info(location=role.location))
    return {practitioner_id: tuple(found[practitioner_id]) for practitioner_id in practitioner_ids}


def bookable_roles(
    *,
    specialty_code: str | None = None,
    practitioner_id: int | None = None,
    location_id: int | None = None,
) -> dict[int, BookableRole]:
    """Active roles of active practitioners at active locations matching the filters, by id,
    with their practitioner's display name and location's name: one query."""
    rows = PractitionerRole.objects.filter(
        active=True, practitioner__active=True, location__active=True
    )
    if specialty_code:
        rows = rows.filter(practitioner__specialties__code=specialty_code)
    if practitioner_id is not None:
        rows = rows.filter(practitioner_id=practitioner_id)
    if location_id is not None:
        rows = rows.filter(location_id=location_id)
    found = rows.values_list(
        "id",
        "practitioner_id",
        "practitioner__prefix",
        "practitioner__given_name",
        "practitioner__family_name",
        "location_id",
        "location__name",
    )
    return {
        role_id: BookableRole(
            id=role_id,
            practitioner_id=who,
            # str(Practitioner): the display name
            practitioner_name=" ".join(part for part in (prefix, given, family) if part),
            location_id=where,
            location_name=place,
        )
        for role_id, who, prefix, given, family, where, place in found
    }


def practitioner_ids_for_specialty(*, specialty_code: str) -> list[int]:
    return list(
        Practitioner.objects.filter(active=True, specialties__code=specialty_code)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# Appointment types


def appointment_type_get(*, appointment_type_id: int) -> AppointmentTypeInfo:
    appointment_type = AppointmentType.objects.filter(pk=appointment_type_id).first()
    if appointment_type is None:
        raise ProviderNotFound("No such appointment type.")
    return appointment_type_info(appointment_type=appointment_type)


def appointment_types(*, ids: Collection[int] | None = None) -> list[AppointmentTypeInfo]:
    """The given appointment types whatever their state, or every active one when ids is None."""
    rows = AppointmentType.objects.order_by("name", "pk")
    rows = rows.filter(active=True) if ids is None else rows.filter(pk__in=list(ids))
    return [appointment_type_info(appointment_type=row) for row in rows]


def online_bookable_offers() -> list[OnlineBookableOffer]:
    """Active online-bookable appointment types with the active roles offering them, one query.

    Types no active role offers are left out: nothing can be booked online for them.
    """
    active_role = Q(
        roles__active=True, roles__practitioner__active=True, roles__location__active=True
    )
    rows = (
        AppointmentType.objects.filter(active=True, online_bookable=True)
        .annotate(
            active_role_ids=ArrayAgg(
                "roles__id", filter=active_role, order_by="roles__id", distinct=True
            )
        )
        .order_by("name", "pk")
    )
    return [
        OnlineBookableOffer(
            appointment_type=appointment_type_info(appointment_type=row),
            role_ids=tuple(row.active_role_ids),
        )
        for row in rows
        if row.active_role_ids
    ]


# Practitioner roles


def _roles() -> QuerySet[PractitionerRole]:
    return PractitionerRole.objects.select_related("location", "practitioner").annotate(
        offered_type_ids=ArrayAgg(
            "appointment_types__id",
            filter=Q(appointment_types__active=True),
            order_by="appointment_types__id",
        )
    )


def _role_info(role: PractitionerRole) -> PractitionerRoleInfo:
    return PractitionerRoleInfo(
        id=role.pk,
        practitioner_id=role.practitioner_id,
        location_id=role.location_id,
        timezone=role.location.timezone,
        appointment_type_ids=tuple(role.offered_type_ids or ()),
        active=role.active and role.practitioner.active and role.location.active,
    )


def practitioner_role_get(*, role_id: int) -> PractitionerRoleInfo:
    role = _roles().filter(pk=role_id).first()
    if role is None:
        raise ProviderNotFound("No such practitioner role.")
    return _role_info(role)


def practitioner_roles_active() -> list[PractitionerRoleInfo]:
    """Roles whose own, practitioner's and location's active flags are all set, in one query."""
    rows = _roles().filter(active=True, practitioner__active=True, location__active=True)
    return [_role_info(role) for role in rows.order_by("pk")]


def availability_rules(*, role_id: int) -> list[AvailabilityRuleInfo]:
    rows = AvailabilityRule.objects.filter(role_id=role_id).order_by("weekday", "start_time", "pk")
    return [availability_rule_info(rule=rule) for rule in rows]


def availability_exceptions(
    *, role_id: int, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[AvailabilityExceptionInfo]:
    """The role's exceptions touching [date_from, date_to] (either end may be open)."""
    rows = AvailabilityException.objects.filter(role_id=role_id)
    if date_from is not None:
        rows = rows.filter(date_to__gte=date_from)
    if date_to is not None:
        rows = rows.filter(date_from__lte=date_to)
    return [
        availability_exception_info(exception=exception)
        for exception in rows.order_by("date_from", "start_time", "pk")
    ]


# Availability expanded into daily windows


@dataclasses.dataclass(frozen=True, order=True)
class _Piece:
    start: dt.time
    end: dt.time
    slot_minutes: int
    capacity: int


def _cut(pieces: list[_Piece], start: dt.time, end: dt.time) -> list[_Piece]:
    """Remove [start, end) from every piece; a piece straddling it splits in two."""
    kept = []
    for piece in pieces:
        if end <= piece.start or piece.end <= start:
            kept.append(piece)
            continue
        if piece.start < start:
            kept.append(dataclasses.replace(piece, end=start))
        if end < piece.end:
            kept.append(dataclasses.replace(piece, start=end))
    return kept


def _valid_on(rule: AvailabilityRule | AvailabilityRuleSpec, day: dt.date) -> bool:
    return (rule.valid_from is None or rule.valid_from <= day) and (
        rule.valid_until is None or day <= rule.valid_until
    )


def availability_windows(
    *, role_id: int, date_from: dt.date, date_to: dt.date
) -> list[AvailabilityWindow]:
    """Bookable local wall-clock windows of a role for each date in [date_from, date_to].

    Per date: the weekly rules valid that day, minus leave (whole days, or a time range cut out
    of the windows), minus and then plus extra hours, so extra hours replace whatever weekly
    hours they overlap and are offered even during leave. Converting to UTC is scheduling's
    job. Three queries whatever the range; an inactive role, practitioner or location yields
    no windows.
    """
    if date_to < date_from:
        raise ValidationFailed(
            "The date range is empty.", field_errors={"date_to": ["Must not be before date_from."]}
        )
    role = (
        PractitionerRole.objects.select_related("practitioner", "location")
        .filter(pk=role_id)
        .first()
    )
    if role is None:
        raise ProviderNotFound("No such practitioner role.")
    if not (role.active and role.practitioner.active and role.location.active):
        return []
    rules = list(
        AvailabilityRule.objects.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=date_to),
            Q(valid_until__isnull=True) | Q(valid_until__gte=date_from),
            role_id=role_id,
        )
    )
    exceptions = list(
        AvailabilityException.objects.filter(
            role_id=role_id, date_from__lte=date_to, date_to__gte=date_from
        )
    )

    return availability_expand(
        role_id=role.pk,
        practitioner_id=role.practitioner_id,
        location_id=role.location_id,
        rules=rules,
        exceptions=exceptions,
        date_from=date_from,
        date_to=date_to,
    )


def availability_expand(
    *,
    role_id: int,
    practitioner_id: int,
    location_id: int,
    rules: Iterable[AvailabilityRule | AvailabilityRuleSpec],
    exceptions: Iterable[AvailabilityException | AvailabilityExceptionSpec],
    date_from: dt.date,
    date_to: dt.date,
) -> list[AvailabilityWindow]:
    """The windows `rules` and `exceptions` give each date in [date_from, date_to]; no queries.

    The one expansion of availability: slot generation (through availability_windows) and the
    preview of an unsaved change (availability_preview) both go through it.
    """
    rules_by_weekday: dict[int, list[AvailabilityRule | AvailabilityRuleSpec]] = defaultdict(list)
    for rule in rules:
        rules_by_weekday[rule.weekday].append(rule)
    exceptions = list(exceptions)
    windows = []
    day = date_from
    while day <= date_to:
        pieces = [
            _Piece(rule.start_time, rule.end_time, rule.slot_minutes, rule.capacity)
            for rule in rules_by_weekday[day.weekday()]
            if _valid_on(rule, day)
        ]
        todays = [
            exception for exception in exceptions if exception.date_from <= day <= exception.date_to
        ]
        for leave in (e for e in todays if e.kind == ExceptionKind.LEAVE):
            if leave.start_time is None or leave.end_time is None:
                pieces = []
                break
            pieces = _cut(pieces, leave.start_time, leave.end_time)
        extras = [e for e in todays if e.kind == ExceptionKind.EXTRA]
        for extra in extras:
            pieces = _cut(pieces, extra.start_time, extra.end_time)
        pieces.extend(
            _Piece(extra.start_time, extra.end_time, extra.slot_minutes, extra.capacity)
            for extra in extras
        )
        windows.extend(
            AvailabilityWindow(
                practitioner_role_id=role_id,
                practitioner_id=practitioner_id,
                location_id=location_id,
                date=day,
                start=piece.start,
                end=piece.end,
                slot_minutes=piece.slot_minutes,
                capacity=piece.capacity,
            )
            for piece in sorted(pieces)
        )
        day += dt.timedelta(days=1)
    return windows
