"""Reads of scheduling: free slots, a patient's appointments, day schedules, care relationships."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.contrib.postgres.fields import ArrayField
from django.db.models import BigIntegerField, Count, F, Lookup, Q, QuerySet, Value, Window
from django.db.models.functions import RowNumber
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


class _EqualsAny(Lookup):
    """`lhs = ANY(rhs)` where rhs is one array (not registered on any field: used directly)."""

    lookup_name = "equals_any"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def any_of(column: str, ids: Iterable[int]) -> Lookup:
    """`column = ANY(%s)` with the ids as one array parameter.

    The same plan as `column__in`, without a placeholder per id: a clinic's hundreds of roles
    made compiling and binding the slot search's IN lists cost more than running it.
    """
    return _EqualsAny(F(column), Value(list(ids), output_field=ArrayField(BigIntegerField())))


def _bookable_online(offers: Iterable[OnlineBookableOffer], *, now: dt.datetime) -> Q | None:
    """Slots some offered type fits: one OR branch per type (tens), so one query in all."""
    condition = None
    for offer in offers:
        kind = offer.appointment_type
        branch = Q(
            any_of("practitioner_role_id", offer.role_ids),
            start__gte=now + dt.timedelta(minutes=kind.minimum_notice_minutes),
            start__lte=now + dt.timedelta(days=kind.booking_horizon_days),
            end__gte=F("start") + _minutes_needed(kind),
        )
        condition = branch if condition is None else condition | branch
    return condition


def slot_list_bookable(
    *,
    offers: Iterable[OnlineBookableOffer],
    start: dt.datetime,
    end: dt.datetime,
    practitioner_ids: Iterable[int] | None = None,
    location_id: int | None = None,
    role_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Slot]:
    """Free slots with room left in [start, end) that a patient can book online, soonest first.

    `offers` are the online-bookable types to consider (one type, or all of them).
    """
    now = now or timezone.now()
    bookable = _bookable_online(offers, now=now)
    if bookable is None:
        return Slot.objects.none()
    slots = Slot.objects.filter(
        bookable,
        status=SlotStatus.FREE,
        start__gte=max(start, now),
        start__lt=end,
        booked_count__lt=F("capacity"),
    )
    if practitioner_ids is not None:
        slots = slots.filter(any_of("practitioner_id", practitioner_ids))
    if location_id is not None:
        slots = slots.filter(location_id=location_id)
    if role_ids is not None:
        slots = slots.filter(any_of("practitioner_role_id", role_ids))
    return slots.order_by("start", "id")


SLOT_ROW_FIELDS = (
    "id", "practitioner_id", "location_id", "practitioner_role_id", "start", "end", "timezone",
    "capacity", "booked_count",
)  # fmt: skip


def rows_with_total(
    rows: QuerySet,
    *,
    fields: tuple[str, ...],
    offset: int,
    limit: int,
    by_row_number: bool = False,
) -> list[dict]:
    """One page of `rows` (in their order) as dicts, each with `total`: the count of all pages.

    One query: the count is a window over the filtered rows, computed before LIMIT/OFFSET.
    `by_row_number` orders the page by ROW_NUMBER() instead of the columns: ordered by the
    columns with a LIMIT, Postgres may prefer walking an index in that order hoping to stop
    early, which the count prevents (for slots it walked every practitioner's free slots of
    the range); ordered by row number, the filters' own indexes are used.
    A page past the end has no rows and so no total.
    """
    page = rows.values(*fields).annotate(total=Window(Count("id")))
    if by_row_number:
        order = [
            F(field[1:]).desc() if field.startswith("-") else F(field).asc()
            for field in rows.query.order_by
        ]
        page = page.annotate(row=Window(RowNumber(), order_by=order)).order_by("row")
    return list(page[offset : offset + limit])


def next_bookable_slots(
    *,
    offers: Iterable[OnlineBookableOffer],
    practitioner_ids: Iterable[int],
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> dict[int, Slot]:
    """Each practitioner's soonest slot a patient can book online, in one query (DISTINCT ON)."""
    now = now or timezone.now()
    bookable = _bookable_online(offers, now=now)
    wanted = list(practitioner_ids)
    if bookable is None or not wanted:
        return {}
    slots = Slot.objects.filter(
        bookable,
        practitioner_id__in=wanted,
        status=SlotStatus.FREE,
        start__gte=now,
        booked_count__lt=F("capacity"),
    )
    if until is not None:
        slots = slots.filter(start__lt=until)
    rows = slots.order_by("practitioner_id", "start", "id").distinct("practitioner_id")
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


def appointment_list_for_patient(
    *,
    patient_id: int,
    when: str | None = None,
    statuses: Iterable[str] | None = None,
) -> QuerySet[Appointment]:
    """A patient's appointments; `when` is "upcoming" or "past"."""
    appointments = Appointment.objects.filter(patient_id=patient_id).select_related(
        "practitioner", "location", "appointment_type"
    )
    now = timezone.now()
    if when == "upcoming":
        appointments = appointments.filter(start__gte=now).order_by("start", "id")
    elif when == "past":
        appointments = appointments.filter(start__lt=now).order_by("-start", "-id")
    else:
        appointments = appointments.order_by("-start", "-id")
    if statuses:
        appointments = appointments.filter(status__in=list(statuses))
    return appointments


# What a patient sees of an appointment, read as plain rows (no model instances: the hot path).
APPOINTMENT_ROW_FIELDS = (
    "id", "patient_id", "practitioner_id", "location_id", "appointment_type_id", "slot_id",
    "start", "end", "timezone", "status", "channel", "reason", "needs_allergy_review",
    "rescheduled_from_id", "practitioner__prefix", "practitioner__given_name",
    "practitioner__family_name", "location__name", "appointment_type__name",
)  # fmt: skip


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
