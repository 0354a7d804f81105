"""What other apps may call in providers: reads and writes that speak only in DTOs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from apps.providers import catalogue_cache, selectors, services
from apps.providers.contracts import (
    AppointmentTypeInfo,
    AvailabilityChange,
    AvailabilityExceptionInfo,
    AvailabilityRuleInfo,
    AvailabilityWindow,
    BookableRole,
    ExceptionKind,
    LocationInfo,
    OnlineBookableOffer,
    PractitionerInfo,
    PractitionerRoleInfo,
    SpecialtyInfo,
)
from apps.providers.selectors import (
    appointment_type_get,
    appointment_types,
    availability_exceptions,
    availability_rules,
    availability_windows,
    location_get,
    location_ids_for_user,
    locations,
    locations_by_ids,
    practitioner_display_names,
    practitioner_get,
    practitioner_id_for_user,
    practitioner_ids_for_specialty,
    practitioner_locations,
    practitioner_role_get,
    practitioner_roles_active,
    practitioner_search,
    specialties,
    specialty_id,
)

__all__ = [
    "appointment_type_create",
    "appointment_type_get",
    "appointment_type_update",
    "appointment_types",
    "availability_exception_create",
    "availability_exception_delete",
    "availability_exception_update",
    "availability_exceptions",
    "availability_preview",
    "availability_rule_create",
    "availability_rule_delete",
    "availability_rule_update",
    "availability_rules",
    "availability_windows",
    "bookable_roles",
    "location_create",
    "location_get",
    "location_ids_for_user",
    "location_update",
    "locations",
    "locations_by_ids",
    "online_bookable_offers",
    "practitioner_create",
    "practitioner_display_names",
    "practitioner_get",
    "practitioner_id_for_user",
    "practitioner_ids_for_specialty",
    "practitioner_locations",
    "practitioner_role_create",
    "practitioner_role_deactivate",
    "practitioner_role_get",
    "practitioner_role_reactivate",
    "practitioner_role_set_appointment_types",
    "practitioner_roles_active",
    "practitioner_search",
    "practitioner_update",
    "specialties",
    "specialty_create",
    "specialty_id",
    "staff_assign_location",
    "staff_unassign_location",
]


def online_bookable_offers() -> list[OnlineBookableOffer]:
    """Which roles offer each online-bookable type (for search; booking checks live rows)."""
    return catalogue_cache.cached(("offers",), selectors.online_bookable_offers)


def bookable_roles(
    *,
    specialty_code: str | None = None,
    practitioner_id: int | None = None,
    location_id: int | None = None,
) -> dict[int, BookableRole]:
    """The active roles matching the filters, with names, by id (for search)."""
    return catalogue_cache.cached(
        ("roles", specialty_code, practitioner_id, location_id),
        lambda: selectors.bookable_roles(
            specialty_code=specialty_code,
            practitioner_id=practitioner_id,
            location_id=location_id,
        ),
    )


def specialty_create(*, code: str, name: str) -> SpecialtyInfo:
    return selectors.specialty_info(specialty=services.specialty_create(code=code, name=name))


def location_create(
    *,
    name: str,
    timezone: str,
    address_line: str = "",
    city: str = "",
    postal_code: str = "",
    country: str = "",
    active: bool = True,
    actor_id: int | None = None,
) -> LocationInfo:
    location = services.location_create(
        name=name,
        timezone=timezone,
        address_line=address_line,
        city=city,
        postal_code=postal_code,
        country=country,
        active=active,
        actor_id=actor_id,
    )
    return selectors.location_info(location=location)


def location_update(
    *,
    location_id: int,
    name: str,
    timezone: str,
    address_line: str,
    city: str,
    postal_code: str,
    country: str,
    active: bool,
    actor_id: int | None = None,
) -> LocationInfo:
    location = services.location_update(
        location_id=location_id,
        name=name,
        timezone=timezone,
        address_line=address_line,
        city=city,
        postal_code=postal_code,
        country=country,
        active=active,
        actor_id=actor_id,
    )
    return selectors.location_info(location=location)


def practitioner_create(
    *,
    family_name: str,
    given_name: str,
    prefix: str = "",
    qualifications: str = "",
    specialty_codes: Sequence[str] = (),
    languages: Sequence[str] = (),
    bio: str = "",
    active: bool = True,
    user_id: int | None = None,
    actor_id: int | None = None,
) -> PractitionerInfo:
    practitioner = services.practitioner_create(
        prefix=prefix,
        family_name=family_name,
        given_name=given_name,
        qualifications=qualifications,
        specialty_codes=specialty_codes,
        languages=languages,
        bio=bio,
        active=active,
        user_id=user_id,
        actor_id=actor_id,
    )
    return selectors.practitioner_get(practitioner_id=practitioner.pk)


def practitioner_update(
    *,
    practitioner_id: int,
    prefix: str,
    family_name: str,
    given_name: str,
    qualifications: str,
    specialty_codes: Sequence[str],
    languages: Sequence[str],
    bio: str,
    active: bool,
    user_id: int | None,
    actor_id: int | None = None,
) -> PractitionerInfo:
    services.practitioner_update(
        practitioner_id=practitioner_id,
        prefix=prefix,
        family_name=family_name,
        given_name=given_name,
        qualifications=qualifications,
        specialty_codes=specialty_codes,
        languages=languages,
        bio=bio,
        active=active,
        user_id=user_id,
        actor_id=actor_id,
    )
    return selectors.practitioner_get(practitioner_id=practitioner_id)


def appointment_type_create(
    *,
    code: str,
    name: str,
    duration_minutes: int,
    buffer_before_minutes: int = 0,
    buffer_after_minutes: int = 0,
    minimum_notice_minutes: int = 120,
    booking_horizon_days: int = 90,
    online_bookable: bool = True,
    allergen_triggers: Sequence[str] = (),
    active: bool = True,
) -> AppointmentTypeInfo:
    appointment_type = services.appointment_type_create(
        code=code,
        name=name,
        duration_minutes=duration_minutes,
        buffer_before_minutes=buffer_before_minutes,
        buffer_after_minutes=buffer_after_minutes,
        minimum_notice_minutes=minimum_notice_minutes,
        booking_horizon_days=booking_horizon_days,
        online_bookable=online_bookable,
        allergen_triggers=allergen_triggers,
        active=active,
    )
    return selectors.appointment_type_info(appointment_type=appointment_type)


def appointment_type_update(
    *,
    appointment_type_id: int,
    name: str,
    duration_minutes: int,
    buffer_before_minutes: int,
    buffer_after_minutes: int,
    minimum_notice_minutes: int,
    booking_horizon_days: int,
    online_bookable: bool,
    allergen_triggers: Sequence[str],
    active: bool,
) -> AppointmentTypeInfo:
    appointment_type = services.appointment_type_update(
        appointment_type_id=appointment_type_id,
        name=name,
        duration_minutes=duration_minutes,
        buffer_before_minutes=buffer_before_minutes,
        buffer_after_minutes=buffer_after_minutes,
        minimum_notice_minutes=minimum_notice_minutes,
        booking_horizon_days=booking_horizon_days,
        online_bookable=online_bookable,
        allergen_triggers=allergen_triggers,
        active=active,
    )
    return selectors.appointment_type_info(appointment_type=appointment_type)


def practitioner_role_create(
    *,
    practitioner_id: int,
    location_id: int,
    appointment_type_ids: Collection[int],
    actor_id: int | None = None,
) -> PractitionerRoleInfo:
    role = services.practitioner_role_create(
        practitioner_id=practitioner_id,
        location_id=location_id,
        appointment_type_ids=appointment_type_ids,
        actor_id=actor_id,
    )
    return selectors.practitioner_role_get(role_id=role.pk)


def practitioner_role_set_appointment_types(
    *, role_id: int, appointment_type_ids: Collection[int], actor_id: int | None = None
) -> PractitionerRoleInfo:
    services.practitioner_role_set_appointment_types(
        role_id=role_id, appointment_type_ids=appointment_type_ids, actor_id=actor_id
    )
    return selectors.practitioner_role_get(role_id=role_id)


def practitioner_role_deactivate(
    *, role_id: int, actor_id: int | None = None
) -> PractitionerRoleInfo:
    services.practitioner_role_deactivate(role_id=role_id, actor_id=actor_id)
    return selectors.practitioner_role_get(role_id=role_id)


def practitioner_role_reactivate(
    *, role_id: int, actor_id: int | None = None
) -> PractitionerRoleInfo:
    services.practitioner_role_reactivate(role_id=role_id, actor_id=actor_id)
    return selectors.practitioner_role_get(role_id=role_id)


def availability_rule_create(
    *,
    role_id: int,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    slot_minutes: int,
    capacity: int,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    actor_id: int | None = None,
) -> AvailabilityRuleInfo:
    rule = services.availability_rule_create(
        role_id=role_id,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        capacity=capacity,
        valid_from=valid_from,
        valid_until=valid_until,
        actor_id=actor_id,
    )
    return selectors.availability_rule_info(rule=rule)


def availability_rule_update(
    *,
    rule_id: int,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    slot_minutes: int,
    capacity: int,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    actor_id: int | None = None,
) -> AvailabilityRuleInfo:
    rule = services.availability_rule_update(
        rule_id=rule_id,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        capacity=capacity,
        valid_from=valid_from,
        valid_until=valid_until,
        actor_id=actor_id,
    )
    return selectors.availability_rule_info(rule=rule)


def availability_rule_delete(*, rule_id: int) -> None:
    services.availability_rule_delete(rule_id=rule_id)


def availability_exception_create(
    *,
    role_id: int,
    kind: ExceptionKind | str,
    date_from: dt.date,
    date_to: dt.date,
    start_time: dt.time | None = None,
    end_time: dt.time | None = None,
    slot_minutes: int | None = None,
    capacity: int | None = None,
    reason: str = "",
    actor_id: int | None = None,
) -> AvailabilityExceptionInfo:
    exception = services.availability_exception_create(
        role_id=role_id,
        kind=kind,
        date_from=date_from,
        date_to=date_to,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        capacity=capacity,
        reason=reason,
        actor_id=actor_id,
    )
    return selectors.availability_exception_info(exception=exception)


def availability_exception_update(
    *,
    exception_id: int,
    kind: ExceptionKind | str,
    date_from: dt.date,
    date_to: dt.date,
    start_time: dt.time | None = None,
    end_time: dt.time | None = None,
    slot_minutes: int | None = None,
    capacity: int | None = None,
    reason: str = "",
    actor_id: int | None = None,
) -> AvailabilityExceptionInfo:
    exception = services.availability_exception_update(
        exception_id=exception_id,
        kind=kind,
        date_from=date_from,
        date_to=date_to,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        capacity=capacity,
        reason=reason,
        actor_id=actor_id,
    )
    return selectors.availability_exception_info(exception=exception)


def availability_exception_delete(*, exception_id: int) -> None:
    services.availability_exception_delete(exception_id=exception_id)


def staff_assign_location(*, user_id: int, location_id: int) -> None:
    services.staff_assign_location(user_id=user_id, location_id=location_id)


def staff_unassign_location(*, user_id: int, location_id: int) -> None:
    services.staff_unassign_location(user_id=user_id, location_id=location_id)


def availability_preview(
    *, role_id: int, change: AvailabilityChange, date_from: dt.date, date_to: dt.date
) -> list[AvailabilityWindow]:
    """The windows the role would offer in [date_from, date_to] once `change` is saved, without
    saving it: checked as saving checks it (raises ValidationFailed, AvailabilityOverlap,
    ProviderNotFound) and expanded by the same code slot generation uses. Three queries."""
    role = selectors.practitioner_role_get(role_id=role_id)
    rules, exceptions = services.availability_change_check(role_id=role_id, change=change)
    if not role.active:
        return []  # as availability_windows: an inactive role offers nothing
    return selectors.availability_expand(
        role_id=role.id,
        practitioner_id=role.practitioner_id,
        location_id=role.location_id,
        rules=rules,
        exceptions=exceptions,
        date_from=date_from,
        date_to=date_to,
    )
