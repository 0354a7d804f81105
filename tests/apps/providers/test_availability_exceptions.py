"""Leave and extra hours: complete and ordered, extra hours never doubled, AvailabilityChanged."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.core.errors import ValidationFailed
from apps.providers import public
from apps.providers.contracts import AvailabilityOverlap, ExceptionKind, ProviderNotFound
from apps.providers.models import AvailabilityException
from tests.factories.providers import AvailabilityExceptionFactory, PractitionerRoleFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2030, 1, 7)


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def extra(**fields: object) -> dict:
    return {
        "kind": ExceptionKind.EXTRA,
        "date_from": DAY,
        "date_to": DAY,
        "start_time": t("17:00"),
        "end_time": t("19:00"),
        "slot_minutes": 30,
        "capacity": 1,
        **fields,
    }


@pytest.fixture
def role():
    return PractitionerRoleFactory()


def test_a_whole_day_leave_is_stored_and_emits(role, emitted):
    info = public.availability_exception_create(
        role_id=role.pk,
        kind="leave",
        date_from=DAY,
        date_to=DAY + dt.timedelta(days=4),
        reason=" Conference ",
    )

    assert info.kind is ExceptionKind.LEAVE
    assert (info.start_time, info.slot_minutes, info.reason) == (None, None, "Conference")
    assert public.availability_exceptions(role_id=role.pk, date_from=DAY, date_to=DAY) == [info]
    assert [p["practitioner_role_id"] for p in emitted("providers.AvailabilityChanged")] == [
        role.pk
    ]


def test_extra_hours_are_stored_with_their_slots(role):
    info = public.availability_exception_create(role_id=role.pk, **extra())

    assert (info.kind, info.start_time, info.slot_minutes, info.capacity) == (
        ExceptionKind.EXTRA,
        t("17:00"),
        30,
        1,
    )


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"kind": "holiday"}, "kind"),
        ({"date_to": DAY - dt.timedelta(days=1)}, "date_to"),
        ({"start_time": None, "end_time": None}, "start_time"),  # extra hours need times
        ({"end_time": None}, "end_time"),
        ({"end_time": t("16:00")}, "end_time"),
        ({"slot_minutes": None}, "slot_minutes"),
        ({"slot_minutes": 121}, "slot_minutes"),
        ({"capacity": 0}, "capacity"),
        ({"kind": "leave", "slot_minutes": 20, "capacity": None}, "slot_minutes"),
        (
            {
                "kind": "leave",
                "start_time": t("10:00"),
                "end_time": None,
                "slot_minutes": None,
                "capacity": None,
            },
            "end_time",
        ),
        ({"reason": "x" * 201}, "reason"),
    ],
)
def test_an_invalid_exception_is_refused_naming_the_field(role, fields, bad_field, emitted):
    with pytest.raises(ValidationFailed) as error:
        public.availability_exception_create(role_id=role.pk, **extra(**fields))

    assert set(error.value.field_errors) == {bad_field}
    assert AvailabilityException.objects.count() == 0
    assert emitted("providers.AvailabilityChanged") == []


def test_extra_hours_overlapping_other_extra_hours_are_refused(role):
    AvailabilityExceptionFactory(role=role, **extra(date_to=DAY + dt.timedelta(days=2)))

    with pytest.raises(AvailabilityOverlap):
        public.availability_exception_create(
            role_id=role.pk,
            **extra(
                date_from=DAY + dt.timedelta(days=2),
                date_to=DAY + dt.timedelta(days=3),
                start_time=t("18:00"),
                end_time=t("20:00"),
            ),
        )

    assert AvailabilityException.objects.count() == 1


@pytest.mark.parametrize(
    "other",
    [
        {"kind": "leave", "slot_minutes": None, "capacity": None},
        {"start_time": t("19:00"), "end_time": t("20:00")},
        {"date_from": DAY + dt.timedelta(days=1), "date_to": DAY + dt.timedelta(days=1)},
    ],
)
def test_leave_and_separate_extra_hours_may_overlap_or_sit_beside_extra_hours(role, other):
    AvailabilityExceptionFactory(role=role, **extra())

    public.availability_exception_create(role_id=role.pk, **extra(**other))

    assert AvailabilityException.objects.count() == 2


def test_an_exception_can_be_changed_and_deleted(role, emitted):
    exception = AvailabilityExceptionFactory(role=role, **extra())

    changed = public.availability_exception_update(
        exception_id=exception.pk, **extra(start_time=t("18:00"))
    )
    public.availability_exception_delete(exception_id=exception.pk)

    assert changed.start_time == t("18:00")
    assert not AvailabilityException.objects.exists()
    assert len(emitted("providers.AvailabilityChanged")) == 2


def test_availability_exceptions_lists_those_touching_the_range(role):
    AvailabilityExceptionFactory(role=role, date_from=DAY - dt.timedelta(days=3), date_to=DAY)
    AvailabilityExceptionFactory(role=role, date_from=DAY + dt.timedelta(days=1))

    touching = public.availability_exceptions(role_id=role.pk, date_from=DAY, date_to=DAY)

    assert [e.date_to for e in touching] == [DAY]
    assert len(public.availability_exceptions(role_id=role.pk)) == 2


def test_deleting_an_unknown_exception_is_not_found():
    with pytest.raises(ProviderNotFound):
        public.availability_exception_delete(exception_id=999_999)
