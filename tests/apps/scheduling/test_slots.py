"""Slots are materialised from weekly local-time rules, correctly across daylight saving."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.scheduling import services
from apps.scheduling.contracts import BookingChannel
from apps.scheduling.models import Slot
from tests.factories.providers import AvailabilityRuleFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SUNDAY = 6
MONDAY = 0


def _starts(role_id: int) -> list[dt.datetime]:
    return list(
        Slot.objects.filter(practitioner_role_id=role_id)
        .order_by("start")
        .values_list("start", flat=True)
    )


def _rule(clinic, weekday: int, start_hour: int, end_hour: int, *, minutes: int):
    return AvailabilityRuleFactory(
        role=clinic.role,
        weekday=weekday,
        start_time=dt.time(start_hour),
        end_time=dt.time(end_hour),
        slot_minutes=minutes,
    )


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_a_weekly_rule_gives_slots_on_its_weekday_in_local_time(clinic):
    _rule(clinic, MONDAY, 9, 10, minutes=20)
    # Monday 2027-01-11 (EST, UTC-5) and Monday 2027-07-12 (EDT, UTC-4).
    services.slots_generate_for_role(
        role_id=clinic.role.id, date_from=dt.date(2027, 1, 10), date_to=dt.date(2027, 1, 16)
    )
    services.slots_generate_for_role(
        role_id=clinic.role.id, date_from=dt.date(2027, 7, 11), date_to=dt.date(2027, 7, 17)
    )

    assert _starts(clinic.role.id) == [
        _utc(2027, 1, 11, 14, 0), _utc(2027, 1, 11, 14, 20), _utc(2027, 1, 11, 14, 40),
        _utc(2027, 7, 12, 13, 0), _utc(2027, 7, 12, 13, 20), _utc(2027, 7, 12, 13, 40),
    ]  # fmt: skip
    assert set(Slot.objects.values_list("timezone", flat=True)) == {"America/New_York"}


def test_the_spring_forward_gap_has_no_slots(clinic):
    # 2027-03-14: at 02:00 New York clocks jump to 03:00.
    _rule(clinic, SUNDAY, 1, 4, minutes=30)

    services.slots_generate_for_role(
        role_id=clinic.role.id, date_from=dt.date(2027, 3, 14), date_to=dt.date(2027, 3, 14)
    )

    assert _starts(clinic.role.id) == [
        _utc(2027, 3, 14, 6, 0),  # 01:00 EST
        _utc(2027, 3, 14, 6, 30),  # 01:30 EST
        _utc(2027, 3, 14, 7, 0),  # 03:00 EDT
        _utc(2027, 3, 14, 7, 30),  # 03:30 EDT
    ]


def test_the_repeated_fall_back_hour_has_one_slot_per_wall_clock_time(clinic):
    # 2027-11-07: at 02:00 New York clocks go back to 01:00.
    _rule(clinic, SUNDAY, 0, 3, minutes=30)

    services.slots_generate_for_role(
        role_id=clinic.role.id, date_from=dt.date(2027, 11, 7), date_to=dt.date(2027, 11, 7)
    )

    assert _starts(clinic.role.id) == [
        _utc(2027, 11, 7, 4, 0),  # 00:00 EDT
        _utc(2027, 11, 7, 4, 30),  # 00:30 EDT
        _utc(2027, 11, 7, 5, 0),  # 01:00 EDT, the first of the two
        _utc(2027, 11, 7, 5, 30),  # 01:30 EDT
        _utc(2027, 11, 7, 7, 0),  # 02:00 EST
        _utc(2027, 11, 7, 7, 30),  # 02:30 EST
    ]


def test_generation_is_idempotent(clinic):
    AvailabilityRuleFactory(role=clinic.role, weekday=MONDAY)
    week = {
        "role_id": clinic.role.id,
        "date_from": dt.date(2027, 1, 10),
        "date_to": dt.date(2027, 1, 16),
    }

    first = services.slots_generate_for_role(**week)
    second = services.slots_generate_for_role(**week)

    assert first.created == 9
    assert second.created == 0
    assert Slot.objects.count() == 9


def test_regeneration_after_a_rule_change_leaves_booked_slots_alone(clinic, patient):
    rule = _rule(clinic, MONDAY, 9, 12, minutes=20)
    week = {
        "role_id": clinic.role.id,
        "date_from": dt.date(2027, 1, 10),
        "date_to": dt.date(2027, 1, 16),
    }
    services.slots_generate_for_role(**week)
    eleven = Slot.objects.get(start=_utc(2027, 1, 11, 16, 0))  # 11:00 EST
    services.appointment_book(
        patient_id=patient.id, slot_id=eleven.id, appointment_type_id=clinic.visit.id,
        channel=BookingChannel.STAFF, booked_by_id=clinic.staff_id,
    )  # fmt: skip
    rule.end_time = dt.time(10)
    rule.save()

    result = services.slots_generate_for_role(**week)

    assert result.kept_booked == 1
    assert result.removed == 5
    assert _starts(clinic.role.id) == [
        _utc(2027, 1, 11, 14, 0), _utc(2027, 1, 11, 14, 20), _utc(2027, 1, 11, 14, 40),
        _utc(2027, 1, 11, 16, 0),
    ]  # fmt: skip
    eleven.refresh_from_db()
    assert eleven.booked_count == 1


def test_past_slots_are_never_generated(clinic):
    AvailabilityRuleFactory(role=clinic.role, weekday=MONDAY)

    result = services.slots_generate_for_role(
        role_id=clinic.role.id, date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 31)
    )

    assert result.created == 0


def test_the_horizon_job_covers_every_active_role(clinic, settings):
    settings.SLOT_HORIZON_DAYS = 14
    for weekday in range(7):
        AvailabilityRuleFactory(role=clinic.role, weekday=weekday, start_time=dt.time(9),
                                end_time=dt.time(10), slot_minutes=30)  # fmt: skip

    created = services.slots_extend_horizon(today=dt.date(2027, 1, 4))

    assert created == 15 * 2
