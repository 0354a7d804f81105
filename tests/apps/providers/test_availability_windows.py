"""availability_windows: weekly rules per local date, minus leave, plus extra hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.errors import ValidationFailed
from apps.providers import public
from apps.providers.contracts import AvailabilityWindow, ExceptionKind, ProviderNotFound
from tests.factories.providers import (
    AvailabilityExceptionFactory,
    AvailabilityRuleFactory,
    PractitionerRoleFactory,
)

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2030, 1, 7)
WEDNESDAY = MONDAY + dt.timedelta(days=2)


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def spans(windows: list[AvailabilityWindow]) -> list[tuple[dt.date, str, str]]:
    return [(w.date, f"{w.start:%H:%M}", f"{w.end:%H:%M}") for w in windows]


@pytest.fixture
def role():
    return PractitionerRoleFactory()


def test_a_weekly_rule_opens_a_window_on_its_weekday_only(role):
    AvailabilityRuleFactory(
        role=role,
        weekday=2,
        start_time=t("09:00"),
        end_time=t("12:00"),
        slot_minutes=15,
        capacity=2,
    )

    windows = public.availability_windows(
        role_id=role.pk, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=13)
    )

    assert windows == [
        AvailabilityWindow(
            practitioner_role_id=role.pk,
            practitioner_id=role.practitioner_id,
            location_id=role.location_id,
            date=day,
            start=t("09:00"),
            end=t("12:00"),
            slot_minutes=15,
            capacity=2,
        )
        for day in (WEDNESDAY, WEDNESDAY + dt.timedelta(days=7))
    ]


def test_windows_of_a_day_come_in_time_order(role):
    AvailabilityRuleFactory(role=role, weekday=0, start_time=t("14:00"), end_time=t("17:00"))
    AvailabilityRuleFactory(role=role, weekday=0, start_time=t("08:00"), end_time=t("12:00"))

    windows = public.availability_windows(role_id=role.pk, date_from=MONDAY, date_to=MONDAY)

    assert spans(windows) == [(MONDAY, "08:00", "12:00"), (MONDAY, "14:00", "17:00")]


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "expected_mondays"),
    [
        (None, None, [0, 1, 2, 3]),
        (MONDAY + dt.timedelta(days=7), None, [1, 2, 3]),
        (None, MONDAY + dt.timedelta(days=14), [0, 1, 2]),
        # Both bounds are inclusive: a period of exactly one Monday still opens it.
        (MONDAY + dt.timedelta(days=14), MONDAY + dt.timedelta(days=14), [2]),
        (MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=6), []),
    ],
)
def test_a_rule_opens_windows_only_within_its_validity(
    role, valid_from, valid_until, expected_mondays
):
    AvailabilityRuleFactory(role=role, weekday=0, valid_from=valid_from, valid_until=valid_until)

    windows = public.availability_windows(
        role_id=role.pk, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=27)
    )

    assert [w.date for w in windows] == [MONDAY + dt.timedelta(weeks=n) for n in expected_mondays]


def test_a_whole_day_leave_removes_every_window_of_its_days(role):
    for weekday in range(5):
        AvailabilityRuleFactory(role=role, weekday=weekday)
    AvailabilityExceptionFactory(
        role=role,
        kind=ExceptionKind.LEAVE,
        date_from=MONDAY + dt.timedelta(days=1),
        date_to=WEDNESDAY,
    )

    windows = public.availability_windows(
        role_id=role.pk, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=4)
    )

    assert [w.date.weekday() for w in windows] == [0, 3, 4]


def test_a_leave_with_times_splits_a_window_in_two(role):
    AvailabilityRuleFactory(role=role, weekday=0, start_time=t("09:00"), end_time=t("17:00"))
    AvailabilityExceptionFactory(
        role=role, date_from=MONDAY, date_to=MONDAY, start_time=t("12:00"), end_time=t("13:30")
    )

    windows = public.availability_windows(
        role_id=role.pk, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=7)
    )

    assert spans(windows) == [
        (MONDAY, "09:00", "12:00"),
        (MONDAY, "13:30", "17:00"),
        (MONDAY + dt.timedelta(days=7), "09:00", "17:00"),
    ]


@pytest.mark.parametrize(
    ("leave_start", "leave_end", "expected"),
    [
        ("08:00", "10:00", [("10:00", "12:00")]),  # cuts the start
        ("11:00", "13:00", [("09:00", "11:00")]),  # cuts the end
        ("08:00", "13:00", []),  # covers it all
        ("12:00", "13:00", [("09:00", "12:00")]),  # touches it only
    ],
)
def test_a_leave_with_times_trims_what_it_overlaps(role, leave_start, leave_end, expected):
    AvailabilityRuleFactory(role=role, weekday=0, start_time=t("09:00"), end_time=t("12:00"))
    AvailabilityExceptionFactory(
        role=role, date_from=MONDAY, start_time=t(leave_start), end_time=t(leave_end)
    )

    windows = public.availability_windows(role_id=role.pk, date_from=MONDAY, date_to=MONDAY)

    assert [(f"{w.start:%H:%M}", f"{w.end:%H:%M}") for w in windows] == expected


def test_extra_hours_add_their_own_window_with_their_slots_and_capacity(role):
    AvailabilityRuleFactory(role=role, weekday=0, start_time=t("09:00"), end_time=t("12:00"))
    AvailabilityExceptionFactory(
        role=role,
        kind=ExceptionKind.EXTRA,
        date_from=WEDNESDAY - dt.timedelta(days=1),
        date_to=WEDNESDAY,
        start_time=t("17:00"),
        end_time=t("19:00"),
        slot_minutes=30,
        capacity=3,
    )

    windows = public.availability_windows(role_id=role.pk, date_from=MONDAY, date_to=WEDNESDAY)

    assert [(w.date, w.start, w.end, w.slot_minutes, w.capacity) for w in windows] == [
        (MONDAY, t("09:00"), t("12:00"), 20, 1),
        (MONDAY + dt.timedelta(days=1), t("17:00"), t("19:00"), 30, 3),
        (WEDNESDAY, t("17:00"), t("19:00"), 30, 3),
    ]


def test_extra_hours_replace_the_weekly_hours_they_overlap_and_outlast_leave(role):
    AvailabilityRuleFactory(role=role, weekday=0, start_time=t("09:00"), end_time=t("12:00"))
    AvailabilityExceptionFactory(role=role, date_from=MONDAY)  # whole-day leave
    AvailabilityExceptionFactory(
        role=role,
        kind=ExceptionKind.EXTRA,
        date_from=MONDAY,
        start_time=t("10:00"),
        end_time=t("11:00"),
        slot_minutes=10,
        capacity=1,
    )
    AvailabilityExceptionFactory(
        role=role,
        kind=ExceptionKind.EXTRA,
        date_from=MONDAY + dt.timedelta(days=7),
        start_time=t("11:00"),
        end_time=t("13:00"),
        slot_minutes=30,
        capacity=2,
    )

    windows = public.availability_windows(
        role_id=role.pk, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=7)
    )

    next_monday = MONDAY + dt.timedelta(days=7)
    assert [(w.date, w.start, w.end, w.slot_minutes) for w in windows] == [
        (MONDAY, t("10:00"), t("11:00"), 10),
        (next_monday, t("09:00"), t("11:00"), 20),
        (next_monday, t("11:00"), t("13:00"), 30),
    ]


@pytest.mark.parametrize(
    "inactive", ["role", "practitioner", "location"], ids=lambda name: f"inactive-{name}"
)
def test_an_inactive_role_practitioner_or_location_has_no_windows(role, inactive):
    AvailabilityRuleFactory(role=role, weekday=0)
    target = {"role": role, "practitioner": role.practitioner, "location": role.location}[inactive]
    target.active = False
    target.save()

    windows = public.availability_windows(
        role_id=role.pk, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=13)
    )

    assert windows == []


def test_other_roles_rules_and_exceptions_do_not_leak_in(role):
    other = PractitionerRoleFactory()
    AvailabilityRuleFactory(role=other, weekday=0)
    AvailabilityExceptionFactory(
        role=other,
        kind=ExceptionKind.EXTRA,
        date_from=MONDAY,
        start_time=t("15:00"),
        end_time=t("16:00"),
        slot_minutes=20,
        capacity=1,
    )
    AvailabilityRuleFactory(role=role, weekday=0, start_time=t("13:00"), end_time=t("14:00"))

    windows = public.availability_windows(role_id=role.pk, date_from=MONDAY, date_to=MONDAY)

    assert spans(windows) == [(MONDAY, "13:00", "14:00")]


def test_the_query_count_does_not_grow_with_the_range(role, django_assert_num_queries):
    for weekday in range(6):
        AvailabilityRuleFactory(role=role, weekday=weekday, start_time=t("08:00"))
        AvailabilityRuleFactory(
            role=role, weekday=weekday, start_time=t("13:00"), end_time=t("17:00")
        )
    for week in range(9):
        AvailabilityExceptionFactory(
            role=role,
            date_from=MONDAY + dt.timedelta(weeks=week, days=1),
            start_time=t("10:00"),
            end_time=t("11:00"),
        )
    with CaptureQueriesContext(connection) as week:
        short = public.availability_windows(
            role_id=role.pk, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=6)
        )

    with django_assert_num_queries(len(week.captured_queries)):
        long = public.availability_windows(
            role_id=role.pk, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=59)
        )

    assert len(week.captured_queries) <= 3
    assert len(short) == 13  # six days of two windows, one of them split by leave
    assert len(long) > 8 * len(short)


def test_an_unknown_role_is_not_found():
    with pytest.raises(ProviderNotFound):
        public.availability_windows(role_id=999_999, date_from=MONDAY, date_to=MONDAY)


def test_a_range_ending_before_it_starts_is_refused(role):
    with pytest.raises(ValidationFailed) as error:
        public.availability_windows(
            role_id=role.pk, date_from=MONDAY, date_to=MONDAY - dt.timedelta(days=1)
        )

    assert set(error.value.field_errors) == {"date_to"}
