"""Writes of providers: locations, practitioners, appointment types, roles and availability.

Every write runs in one transaction and emits its domain events there. The `*_validate`
functions run the same checks without writing, so forms (the admin) can show errors per field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction

from apps.accounts.contracts import Role
from apps.accounts.public import user_has_role
from apps.core import outbox
from apps.core.errors import ValidationFailed
from apps.providers.catalogue_cache import catalogue_changed
from apps.providers.contracts import (
    LANGUAGE_CODES,
    AvailabilityChange,
    AvailabilityExceptionSpec,
    AvailabilityOverlap,
    AvailabilityRuleSpec,
    ExceptionKind,
    ProviderConflict,
    ProviderNotFound,
)
from apps.providers.events import (
    AppointmentTypeChanged,
    AvailabilityChanged,
    LocationChanged,
    PractitionerChanged,
    SpecialtyChanged,
    StaffAssignmentChanged,
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

# Lowercase words joined by single hyphens: the form of every code in our catalogues.
CODE_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MINUTES_PER_DAY = 24 * 60
MAX_CAPACITY = 100
MAX_BOOKING_HORIZON_DAYS = 730
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class _FieldErrors:
    """Collects every problem of one input, so the caller hears about all its fields at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def raise_if_any(self, detail: str) -> None:
        if self.by_field:
            raise ValidationFailed(detail, field_errors=self.by_field)


def _text(
    errors: _FieldErrors, field: str, value: str | None, *, max_length: int, required: bool = False
) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.add(field, "This field is required.")
    if len(value) > max_length:
        errors.add(field, f"Must be at most {max_length} characters.")
    return value


def _whole_number(
    errors: _FieldErrors, field: str, value: object, *, minimum: int, maximum: int
) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field, "Must be a whole number.")
        return False
    if not minimum <= value <= maximum:
        errors.add(field, f"Must be between {minimum} and {maximum}.")
        return False
    return True


def _code(errors: _FieldErrors, field: str, value: str, *, max_length: int) -> str:
    value = (value or "").strip()
    if not CODE_PATTERN.fullmatch(value):
        errors.add(field, "Must be lowercase letters and digits in words joined by hyphens.")
    elif len(value) > max_length:
        errors.add(field, f"Must be at most {max_length} characters.")
    return value


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def _time_range(
    errors: _FieldErrors, start: dt.time | None, end: dt.time | None, *, required: bool
) -> bool:
    """Checks a local start/end pair on one day; True when both are present and usable."""
    if start is None or end is None:
        if required or (start is None) != (end is None):
            missing = "start_time" if start is None else "end_time"
            errors.add(missing, "Give both a start and an end time.")
        return False
    usable = True
    for field, value in (("start_time", start), ("end_time", end)):
        # Slots are counted in minutes; a second-level time would shift every slot after it.
        if value.second or value.microsecond:
            errors.add(field, "Must be on a whole minute.")
            usable = False
    if end <= start:
        errors.add("end_time", "Must be after the start time.")
        usable = False
    return usable


def _slot_fits(
    errors: _FieldErrors, slot_minutes: int | None, start: dt.time, end: dt.time, *, usable: bool
) -> None:
    fits_day = _whole_number(
        errors, "slot_minutes", slot_minutes, minimum=5, maximum=MINUTES_PER_DAY
    )
    if fits_day and usable and slot_minutes > _minutes(end) - _minutes(start):
        errors.add("slot_minutes", "Must fit at least once between the start and end time.")


def emit(event: Any) -> None:
    """Every providers change is an event; each also replaces the search catalogue's version."""
    outbox.emit(event)
    catalogue_changed()


def emit_many(events: Iterable[Any]) -> None:
    outbox.emit_many(events)
    catalogue_changed()


@functools.cache
def _iana_timezones() -> frozenset[str]:
    # available_timezones() walks the tz database on every call; the set never changes at runtime.
    return frozenset(zoneinfo.available_timezones())


def _emit_availability_changed(roles: Iterable[PractitionerRole]) -> None:
    emit_many(
        AvailabilityChanged(
            practitioner_role_id=role.pk,
            practitioner_id=role.practitioner_id,
            location_id=role.location_id,
        )
        for role in roles
    )


# Locations


def _location_fields(
    *,
    name: str,
    timezone: str,
    address_line: str,
    city: str,
    postal_code: str,
    country: str,
) -> dict[str, Any]:
    errors = _FieldErrors()
    fields = {
        "name": _text(errors, "name", name, max_length=120, required=True),
        "address_line": _text(errors, "address_line", address_line, max_length=200),
        "city": _text(errors, "city", city, max_length=100),
        "postal_code": _text(errors, "postal_code", postal_code, max_length=20),
        "country": (country or "").strip().upper(),
        "timezone": (timezone or "").strip(),
    }
    if fields["country"] and not re.fullmatch(r"[A-Z]{2}", fields["country"]):
        errors.add("country", "Must be a two-letter ISO 3166 country code.")
    if fields["timezone"] not in _iana_timezones():
        errors.add("timezone", "Must be an IANA time zone name, e.g. America/New_York.")
    errors.raise_if_any("The location has invalid fields.")
    return fields


def location_validate(
    *,
    name: str,
    timezone: str,
    address_line: str = "",
    city: str = "",
    postal_code: str = "",
    country: str = "",
) -> None:
    _location_fields(
        name=name,
        timezone=timezone,
        address_line=address_line,
        city=city,
        postal_code=postal_code,
        country=country,
    )


def _location_changed(location: Location) -> LocationChanged:
    return LocationChanged(
        location_id=location.pk,
        timezone=location.timezone,
        active=location.active,
        name=location.name,
    )


@transaction.atomic
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
) -> Location:
    fields = _location_fields(
        name=name,
        timezone=timezone,
        address_line=address_line,
        city=city,
        postal_code=postal_code,
        country=country,
    )
    location = Location.objects.create(
        **fields, active=active, created_by_id=actor_id, updated_by_id=actor_id
    )
    emit(_location_changed(location))
    return location


@transaction.atomic
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
) -> Location:
    """Replace a location's fields; its roles' slots are regenerated if its zone or state moved."""
    fields = _location_fields(
        name=name,
        timezone=timezone,
        address_line=address_line,
        city=city,
        postal_code=postal_code,
        country=country,
    )
    location = Location.objects.select_for_update().filter(pk=location_id).first()
    if location is None:
        raise ProviderNotFound("No such location.")
    moves_slots = (location.timezone, location.active) != (fields["timezone"], active)
    for field, value in fields.items():
        setattr(location, field, value)
    location.active = active
    location.updated_by_id = actor_id
    location.save()
    emit(_location_changed(location))
    if moves_slots:
        _emit_availability_changed(location.roles.filter(active=True).order_by("pk"))
    return location


# Specialties


def specialty_validate(
    *, name: str, code: str | None = None, specialty_id: int | None = None
) -> None:
    """Checks a specialty; `code` is given only when creating (codes never change)."""
    errors = _FieldErrors()
    _text(errors, "name", name, max_length=100, required=True)
    if code is not None:
        code = _code(errors, "code", code, max_length=50)
    errors.raise_if_any("The specialty has invalid fields.")
    if code is not None and Specialty.objects.filter(code=code).exclude(pk=specialty_id).exists():
        raise ProviderConflict(
            "A specialty with this code exists.",
            field_errors={"code": ["A specialty with this code exists."]},
        )


@transaction.atomic
def specialty_create(*, code: str, name: str) -> Specialty:
    specialty_validate(code=code, name=name)
    specialty = Specialty.objects.create(code=code.strip(), name=name.strip())
    emit(SpecialtyChanged(specialty_id=specialty.pk, code=specialty.code))
    return specialty


@transaction.atomic
def specialty_update(*, specialty_id: int, name: str) -> Specialty:
    specialty_validate(name=name, specialty_id=specialty_id)
    specialty = Specialty.objects.select_for_update().filter(pk=specialty_id).first()
    if specialty is None:
        raise ProviderNotFound("No such specialty.")
    specialty.name = name.strip()
    specialty.save(update_fields=["name"])
    emit(SpecialtyChanged(specialty_id=specialty.pk, code=specialty.code))
    return specialty


# Practitioners


@dataclasses.dataclass(frozen=True)
class _PractitionerFields:
    values: dict[str, Any]
    specialties: list[Specialty]


def _practitioner_fields(
    *,
    practitioner_id: int | None,
    prefix: str,
    family_name: str,
    given_name: str,
    qualifications: str,
    specialty_codes: Sequence[str],
    languages: Sequence[str],
    bio: str,
    user_id: int | None,
) -> _PractitionerFields:
    errors = _FieldErrors()
    values: dict[str, Any] = {
        "prefix": _text(errors, "prefix", prefix, max_length=20),
        "family_name": _text(errors, "family_name", family_name, max_length=100, required=True),
        "given_name": _text(errors, "given_name", given_name, max_length=100, required=True),
        "qualifications": _text(errors, "qualifications", qualifications, max_length=200),
        "bio": _text(errors, "bio", bio, max_length=2000),
        "user_id": user_id,
    }
    codes = list(dict.fromkeys(code.strip() for code in specialty_codes))
    specialties = list(Specialty.objects.filter(code__in=codes).order_by("code"))
    unknown = sorted(set(codes) - {specialty.code for specialty in specialties})
    if unknown:
        errors.add("specialty_codes", f"Unknown specialty codes: {', '.join(unknown)}.")
    values["languages"] = list(dict.fromkeys(code.strip().lower() for code in languages))
    not_iso = [code for code in values["languages"] if code not in LANGUAGE_CODES]
    if not_iso:
        errors.add("languages", f"Not ISO 639-1 two-letter language codes: {', '.join(not_iso)}.")
    if user_id is not None and not user_has_role(user_id=user_id, role=Role.CLINICIAN):
        errors.add("user_id", "Must be an active user in the clinician role.")
    errors.raise_if_any("The practitioner has invalid fields.")
    if (
        user_id is not None
        and Practitioner.objects.filter(user_id=user_id).exclude(pk=practitioner_id).exists()
    ):
        raise ProviderConflict(
            "This user is already linked to another practitioner.",
            field_errors={"user_id": ["Already linked to another practitioner."]},
        )
    return _PractitionerFields(values=values, specialties=specialties)


def practitioner_validate(
    *,
    family_name: str,
    given_name: str,
    prefix: str = "",
    qualifications: str = "",
    specialty_codes: Sequence[str] = (),
    languages: Sequence[str] = (),
    bio: str = "",
    user_id: int | None = None,
    practitioner_id: int | None = None,
) -> None:
    _practitioner_fields(
        practitioner_id=practitioner_id,
        prefix=prefix,
        family_name=family_name,
        given_name=given_name,
        qualifications=qualifications,
        specialty_codes=specialty_codes,
        languages=languages,
        bio=bio,
        user_id=user_id,
    )


def _practitioner_changed(practitioner: Practitioner, specialties: list[Specialty]) -> None:
    emit(
        PractitionerChanged(
            practitioner_id=practitioner.pk,
            active=practitioner.active,
            specialty_codes=tuple(sorted(specialty.code for specialty in specialties)),
            languages=tuple(practitioner.languages),
        )
    )


@transaction.atomic
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
) -> Practitioner:
    fields = _practitioner_fields(
        practitioner_id=None,
        prefix=prefix,
        family_name=family_name,
        given_name=given_name,
        qualifications=qualifications,
        specialty_codes=specialty_codes,
        languages=languages,
        bio=bio,
        user_id=user_id,
    )
    practitioner = Practitioner.objects.create(
        **fields.values, active=active, created_by_id=actor_id, updated_by_id=actor_id
    )
    practitioner.specialties.set(fields.specialties)
    _practitioner_changed(practitioner, fields.specialties)
    return practitioner


@transaction.atomic
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
) -> Practitioner:
    """Replace a practitioner's fields (user_id=None unlinks the login)."""
    fields = _practitioner_fields(
        practitioner_id=practitioner_id,
        prefix=prefix,
        family_name=family_name,
        given_name=given_name,
        qualifications=qualifications,
        specialty_codes=specialty_codes,
        languages=languages,
        bio=bio,
        user_id=user_id,
    )
    practitioner = Practitioner.objects.select_for_update().filter(pk=practitioner_id).first()
    if practitioner is None:
        raise ProviderNotFound("No such practitioner.")
    activity_changes = practitioner.active != active
    for field, value in fields.values.items():
        setattr(practitioner, field, value)
    practitioner.active = active
    practitioner.updated_by_id = actor_id
    practitioner.save()
    practitioner.specialties.set(fields.specialties)
    _practitioner_changed(practitioner, fields.specialties)
    if activity_changes:
        _emit_availability_changed(practitioner.roles.filter(active=True).order_by("pk"))
    return practitioner


# Appointment types


def _appointment_type_fields(
    *,
    name: str,
    duration_minutes: int,
    buffer_before_minutes: int,
    buffer_after_minutes: int,
    minimum_notice_minutes: int,
    booking_horizon_days: int,
    allergen_triggers: Sequence[str],
) -> dict[str, Any]:
    errors = _FieldErrors()
    fields: dict[str, Any] = {
        "name": _text(errors, "name", name, max_length=120, required=True),
        "duration_minutes": duration_minutes,
        "buffer_before_minutes": buffer_before_minutes,
        "buffer_after_minutes": buffer_after_minutes,
        "minimum_notice_minutes": minimum_notice_minutes,
        "booking_horizon_days": booking_horizon_days,
    }
    _whole_number(errors, "duration_minutes", duration_minutes, minimum=5, maximum=MINUTES_PER_DAY)
    for field in ("buffer_before_minutes", "buffer_after_minutes"):
        _whole_number(errors, field, fields[field], minimum=0, maximum=MINUTES_PER_DAY)
    horizon_ok = _whole_number(
        errors,
        "booking_horizon_days",
        booking_horizon_days,
        minimum=1,
        maximum=MAX_BOOKING_HORIZON_DAYS,
    )
    if (
        _whole_number(
            errors,
            "minimum_notice_minutes",
            minimum_notice_minutes,
            minimum=0,
            maximum=MAX_BOOKING_HORIZON_DAYS * MINUTES_PER_DAY,
        )
        and horizon_ok
        and minimum_notice_minutes >= booking_horizon_days * MINUTES_PER_DAY
    ):
        # Otherwise no time would ever be both far enough ahead and near enough to book.
        errors.add("minimum_notice_minutes", "Must be shorter than the booking horizon.")
    triggers = []
    for trigger in dict.fromkeys(allergen_triggers):
        triggers.append(_code(errors, "allergen_triggers", trigger, max_length=64))
    fields["allergen_triggers"] = triggers
    errors.raise_if_any("The appointment type has invalid fields.")
    return fields


def appointment_type_validate(
    *,
    name: str,
    duration_minutes: int,
    code: str | None = None,
    buffer_before_minutes: int = 0,
    buffer_after_minutes: int = 0,
    minimum_notice_minutes: int = 120,
    booking_horizon_days: int = 90,
    allergen_triggers: Sequence[str] = (),
) -> None:
    """Checks an appointment type; `code` is given only when creating (codes never change)."""
    if code is not None:
        _appointment_type_code(code)
    _appointment_type_fields(
        name=name,
        duration_minutes=duration_minutes,
        buffer_before_minutes=buffer_before_minutes,
        buffer_after_minutes=buffer_after_minutes,
        minimum_notice_minutes=minimum_notice_minutes,
        booking_horizon_days=booking_horizon_days,
        allergen_triggers=allergen_triggers,
    )


def _appointment_type_code(code: str) -> str:
    errors = _FieldErrors()
    code = _code(errors, "code", code, max_length=50)
    errors.raise_if_any("The appointment type has invalid fields.")
    if AppointmentType.objects.filter(code=code).exists():
        raise ProviderConflict(
            "An appointment type with this code exists.",
            field_errors={"code": ["An appointment type with this code exists."]},
        )
    return code


def _appointment_type_changed(appointment_type: AppointmentType) -> AppointmentTypeChanged:
    return AppointmentTypeChanged(
        appointment_type_id=appointment_type.pk,
        code=appointment_type.code,
        active=appointment_type.active,
        online_bookable=appointment_type.online_bookable,
        duration_minutes=appointment_type.duration_minutes,
    )


@transaction.atomic
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
) -> AppointmentType:
    code = _appointment_type_code(code)
    fields = _appointment_type_fields(
        name=name,
        duration_minutes=duration_minutes,
        buffer_before_minutes=buffer_before_minutes,
        buffer_after_minutes=buffer_after_minutes,
        minimum_notice_minutes=minimum_notice_minutes,
        booking_horizon_days=booking_horizon_days,
        allergen_triggers=allergen_triggers,
    )
    appointment_type = AppointmentType.objects.create(
        code=code, online_bookable=online_bookable, active=active, **fields
    )
    emit(_appointment_type_changed(appointment_type))
    return appointment_type


@transaction.atomic
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
) -> AppointmentType:
    """Replace an appointment type's fields; its code is its stable identity and stays."""
    fields = _appointment_type_fields(
        name=name,
        duration_minutes=duration_minutes,
        buffer_before_minutes=buffer_before_minutes,
        buffer_after_minutes=buffer_after_minutes,
        minimum_notice_minutes=minimum_notice_minutes,
        booking_horizon_days=booking_horizon_days,
        allergen_triggers=allergen_triggers,
    )
    appointment_type = (
        AppointmentType.objects.select_for_update().filter(pk=appointment_type_id).first()
    )
    if appointment_type is None:
        raise ProviderNotFound("No such appointment type.")
    slot_fields = ("duration_minutes", "buffer_before_minutes", "buffer_after_minutes")
    before = [getattr(appointment_type, field) for field in slot_fields]
    moves_slots = appointment_type.active != active or before != [fields[f] for f in slot_fields]
    for field, value in fields.items():
        setattr(appointment_type, field, value)
    appointment_type.online_bookable = online_bookable
    appointment_type.active = active
    appointment_type.save()
    emit(_appointment_type_changed(appointment_type))
    if moves_slots:
        _emit_availability_changed(appointment_type.roles.filter(active=True).order_by("pk"))
    return appointment_type


# Practitioner roles


def _appointment_types_offerable(appointment_type_ids: Collection[int]) -> list[AppointmentType]:
    wanted = set(appointment_type_ids)
    found = list(AppointmentType.objects.filter(pk__in=wanted, active=True))
    missing = sorted(wanted - {appointment_type.pk for appointment_type in found})
    if missing:
        raise ValidationFailed(
            "Some appointment types cannot be offered.",
            field_errors={
                "appointment_type_ids": [
                    f"No active appointment types with ids {', '.join(map(str, missing))}."
                ]
            },
        )
    return found


def practitioner_role_validate(
    *, practitioner_id: int, location_id: int, appointment_type_ids: Collection[int]
) -> None:
    """Checks a new role: its practitioner, location and appointment types exist, and no twin."""
    errors = _FieldErrors()
    if not Practitioner.objects.filter(pk=practitioner_id).exists():
        errors.add("practitioner_id", "No such practitioner.")
    if not Location.objects.filter(pk=location_id).exists():
        errors.add("location_id", "No such location.")
    errors.raise_if_any("The practitioner role has invalid fields.")
    _appointment_types_offerable(appointment_type_ids)
    if PractitionerRole.objects.filter(
        practitioner_id=practitioner_id, location_id=location_id
    ).exists():
        raise ProviderConflict(
            "The practitioner already has a role at this location.",
            field_errors={"location_id": ["The practitioner already has a role here."]},
        )


@transaction.atomic
def practitioner_role_create(
    *,
    practitioner_id: int,
    location_id: int,
    appointment_type_ids: Collection[int],
    actor_id: int | None = None,
) -> PractitionerRole:
    # Locking the practitioner serialises role creation, so two requests cannot both pass the
    # duplicate check and leave one of them to fail on the unique constraint.
    Practitioner.objects.select_for_update().filter(pk=practitioner_id).first()
    practitioner_role_validate(
        practitioner_id=practitioner_id,
        location_id=location_id,
        appointment_type_ids=appointment_type_ids,
    )
    role = PractitionerRole.objects.create(
        practitioner_id=practitioner_id,
        location_id=location_id,
        created_by_id=actor_id,
        updated_by_id=actor_id,
    )
    role.appointment_types.set(_appointment_types_offerable(appointment_type_ids))
    _emit_availability_changed([role])
    return role


def _role_locked(role_id: int) -> PractitionerRole:
    # Every write to a role's availability locks the role first, so overlap checks see a
    # settled set of rules and exceptions.
    role = PractitionerRole.objects.select_for_update().filter(pk=role_id).first()
    if role is None:
        raise ProviderNotFound("No such practitioner role.")
    return role


@transaction.atomic
def practitioner_role_set_appointment_types(
    *, role_id: int, appointment_type_ids: Collection[int], actor_id: int | None = None
) -> PractitionerRole:
    role = _role_locked(role_id)
    offered = _appointment_types_offerable(appointment_type_ids)
    current = set(role.appointment_types.values_list("pk", flat=True))
    if current != {appointment_type.pk for appointment_type in offered}:
        role.appointment_types.set(offered)
        role.updated_by_id = actor_id
        role.save(update_fields=["updated_by", "updated_at"])
        _emit_availability_changed([role])
    return role


def _role_set_active(*, role_id: int, active: bool, actor_id: int | None) -> PractitionerRole:
    role = _role_locked(role_id)
    if role.active != active:
        role.active = active
        role.updated_by_id = actor_id
        role.save(update_fields=["active", "updated_by", "updated_at"])
        _emit_availability_changed([role])
    return role


@transaction.atomic
def practitioner_role_deactivate(*, role_id: int, actor_id: int | None = None) -> PractitionerRole:
    """Stop offering the role's hours; its rules stay, so it can be reactivated as it was."""
    return _role_set_active(role_id=role_id, active=False, actor_id=actor_id)


@transaction.atomic
def practitioner_role_reactivate(*, role_id: int, actor_id: int | None = None) -> PractitionerRole:
    return _role_set_active(role_id=role_id, active=True, actor_id=actor_id)


# Weekly availability rules


def availability_rule_validate(*, rule: AvailabilityRuleSpec) -> None:
    """Checks one rule on its own; overlaps with the role's other rules are checked on save."""
    errors = _FieldErrors()
    _whole_number(errors, "weekday", rule.weekday, minimum=0, maximum=6)
    usable = _time_range(errors, rule.start_time, rule.end_time, required=True)
    _slot_fits(errors, rule.slot_minutes, rule.start_time, rule.end_time, usable=usable)
    _whole_number(errors, "capacity", rule.capacity, minimum=1, maximum=MAX_CAPACITY)
    if (
        rule.valid_from is not None
        and rule.valid_until is not None
        and rule.valid_until < rule.valid_from
    ):
        errors.add("valid_until", "Must not be before valid_from.")
    errors.raise_if_any("The availability rule has invalid fields.")


def _periods_overlap(
    first: tuple[dt.date | None, dt.date | None], second: tuple[dt.date | None, dt.date | None]
) -> bool:
    """Inclusive date periods where None is an open end."""
    return (first[0] is None or second[1] is None or first[0] <= second[1]) and (
        second[0] is None or first[1] is None or second[0] <= first[1]
    )


def availability_rule_overlap(
    *, rule: AvailabilityRuleSpec, others: Iterable[AvailabilityRuleSpec]
) -> AvailabilityRuleSpec | None:
    """The first of `others` that covers some of the same hours as `rule`, or None."""
    for other in others:
        if (
            other.weekday == rule.weekday
            and other.start_time < rule.end_time
            and rule.start_time < other.end_time
            and _periods_overlap(
                (rule.valid_from, rule.valid_until), (other.valid_from, other.valid_until)
            )
        ):
            return other
    return None


def _rule_overlap_error(other: AvailabilityRuleSpec) -> AvailabilityOverlap:
    message = (
        f"Overlaps the {WEEKDAY_NAMES[other.weekday]} hours "
        f"{other.start_time:%H:%M}-{other.end_time:%H:%M} of this role."
    )
    return AvailabilityOverlap(message, field_errors={"start_time": [message]})


def _rule_spec(rule: AvailabilityRule) -> AvailabilityRuleSpec:
    return AvailabilityRuleSpec(
        weekday=rule.weekday,
        start_time=rule.start_time,
        end_time=rule.end_time,
        slot_minutes=rule.slot_minutes,
        capacity=rule.capacity,
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
    )


def _rules_after_change(
    *,
    existing: Mapping[int, AvailabilityRule],
    create: Sequence[AvailabilityRuleSpec],
    update: Mapping[int, AvailabilityRuleSpec],
    delete: Collection[int],
) -> list[AvailabilityRuleSpec]:
    """The role's rules once the change is made, checked as saving checks them (each rule on
    its own, then overlaps in the result as a whole); raises as saving would."""
    if (set(update) | set(delete)) - set(existing):
        raise ProviderNotFound("No such availability rule of this role.")
    changed = [*update.values(), *create]
    for spec in changed:
        availability_rule_validate(rule=spec)
    kept = [
        _rule_spec(rule) for pk, rule in existing.items() if pk not in update and pk not in delete
    ]
    for index, spec in enumerate(changed):
        other = availability_rule_overlap(rule=spec, others=[*kept, *changed[index + 1 :]])
        if other is not None:
            raise _rule_overlap_error(other)
    return [*kept, *changed]


@transaction.atomic
def availability_rules_save(
    *,
    role_id: int,
    create: Sequence[AvailabilityRuleSpec] = (),
    update: Mapping[int, AvailabilityRuleSpec] | None = None,
    delete: Collection[int] = (),
    actor_id: int | None = None,
) -> list[AvailabilityRule]:
    """Change several rules of one role at once, checking overlaps on the result as a whole.

    So that swapping or shifting hours in one edit is possible. Returns the updated rules (in
    `update`'s order) then the created ones (in `create`'s order).
    """
    update = dict(update or {})
    role = _role_locked(role_id)
    existing = {rule.pk: rule for rule in role.rules.all()}
    changed = [*update.values(), *create]
    _rules_after_change(existing=existing, create=create, update=update, delete=delete)
    AvailabilityRule.objects.filter(pk__in=delete).delete()
    saved = []
    for pk, spec in update.items():
        rule = existing[pk]
        for field, value in dataclasses.asdict(spec).items():
            setattr(rule, field, value)
        rule.updated_by_id = actor_id
        rule.save()
        saved.append(rule)
    for spec in create:
        saved.append(
            AvailabilityRule.objects.create(
                role=role,
                **dataclasses.asdict(spec),
                created_by_id=actor_id,
                updated_by_id=actor_id,
            )
        )
    if changed or delete:
        _emit_availability_changed([role])
    return saved


@transaction.atomic
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
) -> AvailabilityRule:
    spec = AvailabilityRuleSpec(
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        capacity=capacity,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    return availability_rules_save(role_id=role_id, create=[spec], actor_id=actor_id)[0]


def _rule_role_id(rule_id: int) -> int:
    role_id = AvailabilityRule.objects.filter(pk=rule_id).values_list("role_id", flat=True).first()
    if role_id is None:
        raise ProviderNotFound("No such availability rule.")
    return role_id


@transaction.atomic
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
) -> AvailabilityRule:
    spec = AvailabilityRuleSpec(
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        capacity=capacity,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    return availability_rules_save(
        role_id=_rule_role_id(rule_id), update={rule_id: spec}, actor_id=actor_id
    )[0]


@transaction.atomic
def availability_rule_delete(*, rule_id: int) -> None:
    """Rules are configuration, not clinical data: deleting one is allowed."""
    availability_rules_save(role_id=_rule_role_id(rule_id), delete=[rule_id])


# Availability exceptions (leave and extra hours)


def availability_exception_validate(*, exception: AvailabilityExceptionSpec) -> None:
    """Checks one exception on its own; overlapping extra hours are checked on save."""
    errors = _FieldErrors()
    try:
        kind = ExceptionKind(exception.kind)
    except ValueError:
        errors.add("kind", f"Must be one of: {', '.join(ExceptionKind)}.")
        kind = None
    if exception.date_to < exception.date_from:
        errors.add("date_to", "Must not be before date_from.")
    usable = _time_range(
        errors, exception.start_time, exception.end_time, required=kind is ExceptionKind.EXTRA
    )
    if kind is ExceptionKind.LEAVE:
        for field in ("slot_minutes", "capacity"):
            if getattr(exception, field) is not None:
                errors.add(field, "Only extra hours have a slot length and capacity.")
    elif kind is ExceptionKind.EXTRA:
        if exception.start_time is not None and exception.end_time is not None:
            _slot_fits(
                errors,
                exception.slot_minutes,
                exception.start_time,
                exception.end_time,
                usable=usable,
            )
        _whole_number(errors, "capacity", exception.capacity, minimum=1, maximum=MAX_CAPACITY)
    _text(errors, "reason", exception.reason, max_length=200)
    errors.raise_if_any("The availability exception has invalid fields.")


def availability_exception_overlap(
    *, exception: AvailabilityExceptionSpec, others: Iterable[AvailabilityExceptionSpec]
) -> AvailabilityExceptionSpec | None:
    """The first of `others` whose extra hours cover some of `exception`'s, or None.

    Leave may overlap anything; two extra windows at the same time would offer one hour twice.
    """
    start, end = exception.start_time, exception.end_time
    if exception.kind != ExceptionKind.EXTRA or start is None or end is None:
        return None
    for other in others:
        if (
            other.kind == ExceptionKind.EXTRA
            and other.start_time is not None
            and other.end_time is not None
            and other.start_time < end
            and start < other.end_time
            and _periods_overlap(
                (exception.date_from, exception.date_to), (other.date_from, other.date_to)
            )
        ):
            return other
    return None


def _exception_overlap_error(other: AvailabilityExceptionSpec) -> AvailabilityOverlap:
    message = (
        f"Overlaps extra hours {other.start_time:%H:%M}-{other.end_time:%H:%M} "
        f"from {other.date_from} to {other.date_to}."
    )
    return AvailabilityOverlap(message, field_errors={"start_time": [message]})


def _exception_spec(exception: AvailabilityException) -> AvailabilityExceptionSpec:
    return AvailabilityExceptionSpec(
        kind=ExceptionKind(exception.kind),
        date_from=exception.date_from,
        date_to=exception.date_to,
        start_time=exception.start_time,
        end_time=exception.end_time,
        slot_minutes=exception.slot_minutes,
        capacity=exception.capacity,
        reason=exception.reason,
    )


def _exception_fields(spec: AvailabilityExceptionSpec) -> dict[str, Any]:
    return {
        **dataclasses.asdict(spec),
        "kind": ExceptionKind(spec.kind).value,
        "reason": spec.reason.strip(),
    }


def _exceptions_after_change(
    *,
    existing: Mapping[int, AvailabilityException],
    create: Sequence[AvailabilityExceptionSpec],
    update: Mapping[int, AvailabilityExceptionSpec],
    delete: Collection[int],
) -> list[AvailabilityExceptionSpec]:
    """The role's exceptions once the change is made, checked as saving checks them; raises as
    saving would."""
    if (set(update) | set(delete)) - set(existing):
        raise ProviderNotFound("No such availability exception of this role.")
    changed = [*update.values(), *create]
    for spec in changed:
        availability_exception_validate(exception=spec)
    kept = [
        _exception_spec(exception)
        for pk, exception in existing.items()
        if pk not in update and pk not in delete
    ]
    for index, spec in enumerate(changed):
        other = availability_exception_overlap(
            exception=spec, others=[*kept, *changed[index + 1 :]]
        )
        if other is not None:
            raise _exception_overlap_error(other)
    return [*kept, *changed]


@transaction.atomic
def availability_exceptions_save(
    *,
    role_id: int,
    create: Sequence[AvailabilityExceptionSpec] = (),
    update: Mapping[int, AvailabilityExceptionSpec] | None = None,
    delete: Collection[int] = (),
    actor_id: int | None = None,
) -> list[AvailabilityException]:
    """Change several exceptions of one role at once, checking overlaps on the result.

    Returns the updated exceptions (in `update`'s order) then the created ones.
    """
    update = dict(update or {})
    role = _role_locked(role_id)
    existing = {exception.pk: exception for exception in role.exceptions.all()}
    changed = [*update.values(), *create]
    _exceptions_after_change(existing=existing, create=create, update=update, delete=delete)
    AvailabilityException.objects.filter(pk__in=delete).delete()
    saved = []
    for pk, spec in update.items():
        exception = existing[pk]
        for field, value in _exception_fields(spec).items():
            setattr(exception, field, value)
        exception.updated_by_id = actor_id
        exception.save()
        saved.append(exception)
    for spec in create:
        saved.append(
            AvailabilityException.objects.create(
                role=role, **_exception_fields(spec), created_by_id=actor_id, updated_by_id=actor_id
            )
        )
    if changed or delete:
        _emit_availability_changed([role])
    return saved


def _exception_kind(kind: ExceptionKind | str) -> ExceptionKind:
    try:
        return ExceptionKind(kind)
    except ValueError:
        raise ValidationFailed(
            "The availability exception has invalid fields.",
            field_errors={"kind": [f"Must be one of: {', '.join(ExceptionKind)}."]},
        ) from None


@transaction.atomic
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
) -> AvailabilityException:
    spec = AvailabilityExceptionSpec(
        kind=_exception_kind(kind),
        date_from=date_from,
        date_to=date_to,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        capacity=capacity,
        reason=reason,
    )
    return availability_exceptions_save(role_id=role_id, create=[spec], actor_id=actor_id)[0]


def _exception_role_id(exception_id: int) -> int:
    role_id = (
        AvailabilityException.objects.filter(pk=exception_id)
        .values_list("role_id", flat=True)
        .first()
    )
    if role_id is None:
        raise ProviderNotFound("No such availability exception.")
    return role_id


@transaction.atomic
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
) -> AvailabilityException:
    spec = AvailabilityExceptionSpec(
        kind=_exception_kind(kind),
        date_from=date_from,
        date_to=date_to,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        capacity=capacity,
        reason=reason,
    )
    return availability_exceptions_save(
        role_id=_exception_role_id(exception_id), update={exception_id: spec}, actor_id=actor_id
    )[0]


@transaction.atomic
def availability_exception_delete(*, exception_id: int) -> None:
    availability_exceptions_save(role_id=_exception_role_id(exception_id), delete=[exception_id])


# Staff at locations


def staff_assignment_validate(*, user_id: int, location_id: int) -> None:
    errors = _FieldErrors()
    if not any(user_has_role(user_id=user_id, role=role) for role in Role if role.is_staff_role):
        errors.add("user_id", "Must be an active user in a staff role.")
    if not Location.objects.filter(pk=location_id).exists():
        errors.add("location_id", "No such location.")
    errors.raise_if_any("The staff assignment has invalid fields.")


@transaction.atomic
def staff_assign_location(*, user_id: int, location_id: int) -> StaffAssignment:
    """Assign a staff user to a location; assigning them again changes nothing."""
    staff_assignment_validate(user_id=user_id, location_id=location_id)
    assignment, created = StaffAssignment.objects.get_or_create(
        user_id=user_id, location_id=location_id
    )
    if created:
        emit(StaffAssignmentChanged(user_id=user_id, location_id=location_id, assigned=True))
    return assignment


@transaction.atomic
def staff_unassign_location(*, user_id: int, location_id: int) -> None:
    """Remove a staff user from a location; removing an absent assignment changes nothing."""
    deleted, _ = StaffAssignment.objects.filter(user_id=user_id, location_id=location_id).delete()
    if deleted:
        emit(StaffAssignmentChanged(user_id=user_id, location_id=location_id, assigned=False))


def availability_change_check(
    *, role_id: int, change: AvailabilityChange
) -> tuple[list[AvailabilityRuleSpec], list[AvailabilityExceptionSpec]]:
    """The role's rules and exceptions as they would be after `change`, checked exactly as
    availability_rules_save / availability_exceptions_save check it; writes nothing (two
    queries). Raises ValidationFailed, AvailabilityOverlap or ProviderNotFound."""
    rules = _rules_after_change(
        existing={rule.pk: rule for rule in AvailabilityRule.objects.filter(role_id=role_id)},
        create=change.rule_create,
        update=dict(change.rule_update),
        delete=change.rule_delete,
    )
    exceptions = _exceptions_after_change(
        existing={
            exception.pk: exception
            for exception in AvailabilityException.objects.filter(role_id=role_id)
        },
        create=change.exception_create,
        update=dict(change.exception_update),
        delete=change.exception_delete,
    )
    return rules, exceptions
