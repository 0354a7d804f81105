"""Reads of scheduling: free slots, a patient's appointments, day schedules, care relationships."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from apps.core.changes import RecordChange
from apps.core.history import record_changes
from apps.patients import public as patients
from apps.providers import public as providers
from apps.providers.contracts import AppointmentTypeInfo, OnlineBookableOffer
from apps.scheduling.contracts import (
    ACTIVE_STATUSES,
    AppointmentStatus,
    SlotStatus,
    WaitlistStatus,
)
from apps.scheduling.models import Appointment, Slot, WaitlistEntry

CARE_LOOKBACK = dt.timedelta(days=730)  # 24 months
CARE_LOOKAHEAD = dt.timedelta(days=365)  # 12 months
# A patient the user registered counts for this long, so a walk-in can be booked (ADR 0004).
CARE_REGISTRATION_WINDOW = dt.timedelta(days=30)


def slot_list_available(
    *,
    start: dt.datetime,
    end: dt.datetime,
    practitioner_ids: Iterable[int] | None = None,
    location_id: int | None = None,
    role_ids: Iterable[int] | None = None,
    limit: int = 500,
) -> QuerySet[Slot]:
    """Free slots with room left that start in [start, end), soonest first."""
    slots = Slot.objects.filter(
        status=SlotStatus.FREE,
        start__gte=max(start, timezone.now()),
        start__lt=end,
        booked_count__lt=F("capacity"),
    )
    if practitioner_ids is not None:
        slots = slots.filter(practitioner_id__in=list(practitioner_ids))
    if location_id is not None:
        slots = slots.filter(location_id=location_id)
    if role_ids is not None:
        slots = slots.filter(practitioner_role_id__in=list(role_ids))
    return slots.order_by("start", "id")[:limit]


def _minutes_needed(kind: AppointmentTypeInfo) -> dt.timedelta:
    return dt.timedelta(
        minutes=kind.duration_minutes + kind.buffer_before_minutes + kind.buffer_after_minutes
    )


def slot_fits(
    start: dt.datetime, end: dt.datetime, kind: AppointmentTypeInfo, *, now: dt.datetime
) -> bool:
    """Whether a patient could book this type in a slot of [start, end) online now."""
    earliest = now + dt.timedelta(minutes=kind.minimum_notice_minutes)
    latest = now + dt.timedelta(days=kind.booking_horizon_days)
    return earliest <= start <= latest and end - start >= _minutes_needed(kind)


# The slot columns a bookable-slot page reads (SLOT_ROW_FIELDS, in that order).
_SLOT_COLUMNS = (
    's.id, s.practitioner_id, s.location_id, s.practitioner_role_id, s.start, s."end", '
    "s.timezone, s.capacity, s.booked_count"
)
SLOT_ROW_FIELDS = (
    "id", "practitioner_id", "location_id", "practitioner_role_id", "start", "end", "timezone",
    "capacity", "booked_count",
)  # fmt: skip


def _bookable_condition(
    offers: Iterable[OnlineBookableOffer],
    *,
    start: dt.datetime,
    end: dt.datetime | None,
    now: dt.datetime,
) -> tuple[str, list, list[int]] | None:
    """SQL for "slot s, free with room, starting in [start, end), fits some offered type"
    (notice, horizon, length), its parameters, and the roles the offers name.

    Offers made by the same roles with the same notice and horizon are one branch whose length
    is the shortest of them: a clinic's usual catalogue (every role offers every type) is one
    branch, which the index on bookable slots answers alone. None when nothing is offered.
    Status and room are literals so that Postgres can match that index's predicate.
    """
    shortest: dict[tuple[tuple[int, ...], int, int], dt.timedelta] = {}
    for offer in offers:
        kind = offer.appointment_type
        roles = tuple(sorted(offer.role_ids))
        key = (roles, kind.minimum_notice_minutes, kind.booking_horizon_days)
        needed = _minutes_needed(kind)
        shortest[key] = min(shortest.get(key, needed), needed)
    if not shortest:
        return None
    branches, params, role_ids = [], [], set()
    for (roles, notice, horizon), needed in shortest.items():
        branches.append(
            "(s.practitioner_role_id = ANY(%s) AND s.start >= %s AND s.start <= %s "
            'AND s."end" - s.start >= %s)'
        )
        params += [
            list(roles),
            now + dt.timedelta(minutes=notice),
            now + dt.timedelta(days=horizon),
            needed,
        ]
        role_ids.update(roles)
    window = "s.start >= %s" + (" AND s.start < %s" if end is not None else "")
    condition = (
        f"s.status = '{SlotStatus.FREE.value}' AND s.booked_count < s.capacity AND {window} "
        f"AND ({' OR '.join(branches)})"
    )
    bounds = [max(start, now)] if end is None else [max(start, now), end]
    return condition, [*bounds, *params], sorted(role_ids)


def _dict_rows(cursor) -> list[dict]:
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def bookable_slot_rows(
    *,
    offers: Iterable[OnlineBookableOffer],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime | None = None,
    offset: int = 0,
    limit: int = 20,
) -> list[dict]:
    """One page of the free slots in [start, end) a patient can book online, soonest first
    (start, id), as SLOT_ROW_FIELDS dicts, each with `total`: the count of them all. One query.

    `offers` are the online-bookable types to consider, narrowed to the roles searched. The
    page merges each role's first offset+limit slots (their (role, start) order, start being
    unique per role) instead of sorting every free slot of the range; the count reads the
    partial index of bookable slots alone. A page past the end has no rows and so no total.
    """
    now = now or timezone.now()
    found = _bookable_condition(offers, start=start, end=end, now=now)
    if found is None:
        return []
    condition, params, role_ids = found
    # Only constants and placeholders are formatted in; every value is a parameter.
    sql = (
        f"SELECT p.*, (SELECT count(*) FROM scheduling_slot s "  # noqa: S608
        f"WHERE s.practitioner_role_id = ANY(%s) AND {condition}) AS total "
        f"FROM unnest(%s::bigint[]) AS r(id) CROSS JOIN LATERAL ("
        f"SELECT {_SLOT_COLUMNS} FROM scheduling_slot s "
        f"WHERE s.practitioner_role_id = r.id AND {condition} ORDER BY s.start LIMIT %s) AS p "
        f"ORDER BY p.start, p.id LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [role_ids, *params, role_ids, *params, offset + limit, limit, offset])
        return _dict_rows(cursor)


def bookable_slot_count(
    *,
    offers: Iterable[OnlineBookableOffer],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime | None = None,
) -> int:
    """How many slots bookable_slot_rows finds with the same arguments."""
    found = _bookable_condition(offers, start=start, end=end, now=now or timezone.now())
    if found is None:
        return 0
    condition, params, role_ids = found
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM scheduling_slot s "  # noqa: S608 - placeholders only
            f"WHERE s.practitioner_role_id = ANY(%s) AND {condition}",
            [role_ids, *params],
        )
        return cursor.fetchone()[0]


def next_bookable_slots(
    *,
    offers: Iterable[OnlineBookableOffer],
    practitioner_ids: Iterable[int],
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> dict[int, Slot]:
    """Each practitioner's soonest slot a patient can book online, in one query (DISTINCT ON)."""
    now = now or timezone.now()
    wanted = list(practitioner_ids)
    found = _bookable_condition(offers, start=now, end=until, now=now)
    if found is None or not wanted:
        return {}
    condition, params, _ = found
    rows = Slot.objects.raw(
        "SELECT DISTINCT ON (s.practitioner_id) s.* FROM scheduling_slot s "  # noqa: S608
        f"WHERE s.practitioner_id = ANY(%s) AND {condition} "
        "ORDER BY s.practitioner_id, s.start, s.id",
        [wanted, *params],
    )
    return {slot.practitioner_id: slot for slot in rows}


def waitlist_entries_for_patient(*, patient_id: int) -> QuerySet[WaitlistEntry]:
    """The patient's open entries (waiting or offered), oldest first, with their names."""
    return (
        WaitlistEntry.objects.filter(
            patient_id=patient_id, status__in=[WaitlistStatus.WAITING, WaitlistStatus.OFFERED]
        )
        .select_related("appointment_type", "practitioner", "specialty", "location", "offered_slot")
        .order_by("created_at", "id")
    )


def waitlist_entry_get(*, entry_id: int, patient_id: int) -> WaitlistEntry | None:
    return (
        WaitlistEntry.objects.filter(id=entry_id, patient_id=patient_id)
        .select_related("appointment_type", "practitioner", "specialty", "location", "offered_slot")
        .first()
    )


def _patient_appointments_where(
    *, patient_id: int, when: str | None, statuses: Iterable[str] | None
) -> tuple[str, list, str]:
    """WHERE and ORDER BY of a patient's appointments; `when` is "upcoming" (soonest first) or
    "past" (latest first); without it, latest first."""
    conditions, params = ["a.patient_id = %s"], [patient_id]
    order = "a.start DESC, a.id DESC"
    if when == "upcoming":
        conditions.append("a.start >= %s")
        params.append(timezone.now())
        order = "a.start, a.id"
    elif when == "past":
        conditions.append("a.start < %s")
        params.append(timezone.now())
    if statuses:
        conditions.append("a.status = ANY(%s)")
        params.append([str(status) for status in statuses])
    return " AND ".join(conditions), params, order


# What a patient sees of an appointment, read as plain rows (no model instances: the hot path).
APPOINTMENT_ROW_FIELDS = (
    "id", "patient_id", "practitioner_id", "location_id", "appointment_type_id", "slot_id",
    "start", "end", "timezone", "status", "channel", "reason", "needs_allergy_review",
    "rescheduled_from_id", "practitioner__prefix", "practitioner__given_name",
    "practitioner__family_name", "location__name", "appointment_type__name",
)  # fmt: skip
_APPOINTMENT_COLUMNS = (
    "a.id, a.patient_id, a.practitioner_id, a.location_id, a.appointment_type_id, a.slot_id, "
    'a.start, a."end", a.timezone, a.status, a.channel, a.reason, a.needs_allergy_review, '
    "a.rescheduled_from_id, p.prefix AS practitioner__prefix, "
    "p.given_name AS practitioner__given_name, p.family_name AS practitioner__family_name, "
    "l.name AS location__name, t.name AS appointment_type__name"
)


def appointment_rows_for_patient(
    *,
    patient_id: int,
    when: str | None = None,
    statuses: Iterable[str] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[dict]:
    """A page of the patient's appointments as APPOINTMENT_ROW_FIELDS dicts, each with `total`
    (the count of all: a window over the filtered rows, computed before LIMIT/OFFSET). One
    query; a page past the end has no rows and so no total. Without a limit, all from `offset`.

    Plain SQL: on the patient API's busiest read, building and compiling the ORM query cost
    more than running it.
    """
    where, params, order = _patient_appointments_where(
        patient_id=patient_id, when=when, statuses=statuses
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_APPOINTMENT_COLUMNS}, count(*) OVER () AS total "  # noqa: S608 - constants
            "FROM scheduling_appointment a "
            "JOIN providers_practitioner p ON p.id = a.practitioner_id "
            "JOIN providers_location l ON l.id = a.location_id "
            "JOIN providers_appointmenttype t ON t.id = a.appointment_type_id "
            f"WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return _dict_rows(cursor)


def appointment_count_for_patient(
    *, patient_id: int, when: str | None = None, statuses: Iterable[str] | None = None
) -> int:
    where, params, _ = _patient_appointments_where(
        patient_id=patient_id, when=when, statuses=statuses
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM scheduling_appointment a WHERE {where}", params)  # noqa: S608
        return cursor.fetchone()[0]


def appointment_get(*, appointment_id: int, patient_id: int | None = None) -> Appointment | None:
    appointments = Appointment.objects.select_related(
        "practitioner", "location", "appointment_type"
    ).filter(id=appointment_id)
    if patient_id is not None:
        appointments = appointments.filter(patient_id=patient_id)
    return appointments.first()


def appointment_list_for_day(
    *, locations: Iterable[tuple[int, str]], day: dt.date
) -> QuerySet[Appointment]:
    """Appointments starting on `day` in each location's own time zone: (location id, zone)."""
    window = Q(pk__in=[])
    for location_id, zone in locations:
        tz = ZoneInfo(zone)
        start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        window |= Q(location_id=location_id, start__gte=start, start__lt=end)
    return (
        Appointment.objects.filter(window)
        .exclude(status=AppointmentStatus.ENTERED_IN_ERROR)
        .select_related("practitioner", "location", "appointment_type")
        .order_by("location__name", "practitioner__family_name", "practitioner_id", "start", "id")
    )


def appointments_awaiting_allergy_review() -> QuerySet[Appointment]:
    return Appointment.objects.filter(
        needs_allergy_review=True, status__in=[s.value for s in ACTIVE_STATUSES]
    ).order_by("start", "id")


def care_patient_ids(*, user_id: int, now: dt.datetime | None = None) -> QuerySet:
    """Patients with an appointment at one of the user's locations, 24 months back to 12 ahead."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            location_id__in=providers.location_ids_for_user(user_id=user_id),
            start__gte=now - CARE_LOOKBACK,
            start__lte=now + CARE_LOOKAHEAD,
        )
        .exclude(status=AppointmentStatus.ENTERED_IN_ERROR)
        .values_list("patient_id", flat=True)
        .distinct()
    )


def has_care_relationship(*, user_id: int, patient_id: int, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            patient_id=patient_id,
            location_id__in=providers.location_ids_for_user(user_id=user_id),
            start__gte=now - CARE_LOOKBACK,
            start__lte=now + CARE_LOOKAHEAD,
        )
        .exclude(status=AppointmentStatus.ENTERED_IN_ERROR)
        .exists()
    ) or bool(
        patients.patient_ids_registered_by(
            user_id=user_id, since=now - CARE_REGISTRATION_WINDOW, patient_ids=[patient_id]
        )
    )


def care_related_patient_ids(
    *, user_id: int, patient_ids: Iterable[int], now: dt.datetime | None = None
) -> set[int]:
    """Those of `patient_ids` the user has a care relationship with (see has_care_relationship):
    three queries (the user's locations, appointments, registrations), whatever their number."""
    ids = list(set(patient_ids))
    if not ids:
        return set()
    now = now or timezone.now()
    seen = set(
        Appointment.objects.filter(
            patient_id__in=ids,
            location_id__in=providers.location_ids_for_user(user_id=user_id),
            start__gte=now - CARE_LOOKBACK,
            start__lte=now + CARE_LOOKAHEAD,
        )
        .exclude(status=AppointmentStatus.ENTERED_IN_ERROR)
        .values_list("patient_id", flat=True)
        .distinct()
    )
    return seen | patients.patient_ids_registered_by(
        user_id=user_id, since=now - CARE_REGISTRATION_WINDOW, patient_ids=ids
    )


def allergy_review_appointments(*, location_ids: Iterable[int]) -> QuerySet[Appointment]:
    """Flagged active bookings at these locations, soonest first, with their names."""
    return (
        appointments_awaiting_allergy_review()
        .filter(location_id__in=list(location_ids))
        .select_related("practitioner", "location", "appointment_type")
    )


def slot_list_for_roles(
    *,
    role_ids: Iterable[int],
    kind: AppointmentTypeInfo,
    start: dt.datetime,
    end: dt.datetime,
    practitioner_ids: Iterable[int] | None = None,
    location_ids: Iterable[int] | None = None,
    limit: int = 500,
) -> QuerySet[Slot]:
    """Free slots with room left in [start, end) of these roles, long enough for `kind` with its
    buffers, soonest first. Staff book by phone or at the desk, so no online notice or horizon."""
    slots = Slot.objects.filter(
        practitioner_role_id__in=list(role_ids),
        status=SlotStatus.FREE,
        start__gte=max(start, timezone.now()),
        start__lt=end,
        booked_count__lt=F("capacity"),
        end__gte=F("start") + _minutes_needed(kind),
    )
    if practitioner_ids is not None:
        slots = slots.filter(practitioner_id__in=list(practitioner_ids))
    if location_ids is not None:
        slots = slots.filter(location_id__in=list(location_ids))
    return slots.order_by("start", "id")[:limit]


def waitlist_open_entries(*, location_ids: Iterable[int]) -> QuerySet[WaitlistEntry]:
    """Open entries (waiting or offered) at these locations or at any location, oldest first."""
    return (
        WaitlistEntry.objects.filter(
            Q(location_id__isnull=True) | Q(location_id__in=list(location_ids)),
            status__in=[WaitlistStatus.WAITING, WaitlistStatus.OFFERED],
        )
        .select_related("appointment_type", "practitioner", "specialty", "location", "offered_slot")
        .order_by("created_at", "id")
    )


def waitlist_entry_by_id(*, entry_id: int) -> WaitlistEntry | None:
    """Any patient's entry (staff views check its location first)."""
    return (
        WaitlistEntry.objects.filter(id=entry_id)
        .select_related("appointment_type", "practitioner", "specialty", "location", "offered_slot")
        .first()
    )


def slot_get(*, slot_id: int) -> Slot | None:
    return Slot.objects.filter(id=slot_id).first()


# References the change history shows by name rather than by id.
_NAMED_IN_HISTORY = ("practitioner", "location", "appointment_type")


def _appointment_label(row: Appointment) -> str:
    start = row.start.astimezone(ZoneInfo(row.timezone))
    return f"{row.appointment_type} on {start:%Y-%m-%d %H:%M} ({row.timezone})"


def appointment_changes(*, patient_id: int) -> list[RecordChange]:
    """The saved versions of the patient's appointments as changes, oldest first, one query
    (joined with the practitioners, locations and types they name)."""
    rows = (
        Appointment.history.filter(patient_id=patient_id)
        .select_related(*_NAMED_IN_HISTORY)
        .order_by("history_id")
    )
    return record_changes(
        rows,
        model=Appointment,
        record_type="appointment",
        label=_appointment_label,
        named=_NAMED_IN_HISTORY,
    )
