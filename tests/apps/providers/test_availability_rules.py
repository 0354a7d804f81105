"""Weekly availability rules: valid hours, no overlaps within a role, AvailabilityChanged."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.core.errors import ValidationFailed
from apps.providers import public, services
from apps.providers.contracts import AvailabilityOverlap, AvailabilityRuleSpec, ProviderNotFound
from apps.providers.models import AvailabilityRule
from tests.factories.providers import AvailabilityRuleFactory, PractitionerRoleFactory

pytestmark = pytest.mark.django_db

JAN = dt.date(2030, 1, 1)
FEB = dt.date(2030, 2, 1)
MAR = dt.date(2030, 3, 1)


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def rule_values(**fields: object) -> dict:
    return {
        "weekday": 0,
        "start_time": t("09:00"),
        "end_time": t("12:00"),
        "slot_minutes": 20,
        "capacity": 1,
        **fields,
    }


@pytest.fixture
def role():
    return PractitionerRoleFactory()


def test_availability_rule_create_stores_it_and_emits(role, emitted):
    info = public.availability_rule_create(role_id=role.pk, **rule_values(valid_from=JAN))

    assert public.availability_rules(role_id=role.pk) == [info]
    assert info.valid_from == JAN
    assert emitted("providers.AvailabilityChanged") == [
        {
            "practitioner_role_id": role.pk,
            "practitioner_id": role.practitioner_id,
            "location_id": role.location_id,
        }
    ]


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"weekday": 7}, "weekday"),
        ({"weekday": -1}, "weekday"),
        ({"end_time": t("09:00")}, "end_time"),
        ({"end_time": t("08:00")}, "end_time"),
        ({"start_time": t("09:00:30")}, "start_time"),
        ({"slot_minutes": 4}, "slot_minutes"),
        ({"slot_minutes": 181}, "slot_minutes"),  # longer than the 3-hour window
        ({"capacity": 0}, "capacity"),
        ({"valid_from": FEB, "valid_until": JAN}, "valid_until"),
    ],
)
def test_an_invalid_rule_is_refused_naming_the_field(role, fields, bad_field, emitted):
    with pytest.raises(ValidationFailed) as error:
        public.availability_rule_create(role_id=role.pk, **rule_values(**fields))

    assert set(error.value.field_errors) == {bad_field}
    assert AvailabilityRule.objects.count() == 0
    assert emitted("providers.AvailabilityChanged") == []


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ({}, {"start_time": t("11:00"), "end_time": t("13:00")}),
        ({}, {"start_time": t("10:00"), "end_time": t("11:00")}),  # inside
        ({}, {"start_time": t("08:00"), "end_time": t("13:00")}),  # around
        ({"valid_from": FEB}, {"valid_until": FEB}),  # the periods share one day
        ({"valid_until": MAR}, {"valid_from": JAN, "valid_until": FEB}),
        ({"valid_from": JAN, "valid_until": MAR}, {}),  # open-ended on both sides
    ],
)
def test_a_rule_overlapping_another_of_the_role_is_refused(role, existing, new, emitted):
    AvailabilityRuleFactory(role=role, **rule_values(**existing))

    with pytest.raises(AvailabilityOverlap) as error:
        public.availability_rule_create(role_id=role.pk, **rule_values(**new))

    assert error.value.status == 409
    assert "start_time" in error.value.field_errors
    assert AvailabilityRule.objects.count() == 1
    assert emitted("providers.AvailabilityChanged") == []


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ({}, {"start_time": t("12:00"), "end_time": t("14:00")}),  # adjacent
        ({}, {"weekday": 1}),
        ({"valid_until": JAN}, {"valid_from": FEB}),
        ({"valid_from": FEB, "valid_until": FEB}, {"valid_from": MAR}),
    ],
)
def test_rules_on_other_hours_days_or_periods_may_coexist(role, existing, new):
    AvailabilityRuleFactory(role=role, **rule_values(**existing))

    public.availability_rule_create(role_id=role.pk, **rule_values(**new))

    assert AvailabilityRule.objects.filter(role=role).count() == 2


def test_the_same_hours_may_be_offered_by_another_role(role):
    AvailabilityRuleFactory(role=role, **rule_values())
    other = PractitionerRoleFactory()

    public.availability_rule_create(role_id=other.pk, **rule_values())

    assert AvailabilityRule.objects.count() == 2


def test_a_rule_may_be_moved_over_its_own_hours_but_not_onto_anothers(role, emitted):
    rule = AvailabilityRuleFactory(role=role, **rule_values())
    AvailabilityRuleFactory(role=role, **rule_values(start_time=t("13:00"), end_time=t("16:00")))

    moved = public.availability_rule_update(
        rule_id=rule.pk, **rule_values(start_time=t("10:00"), end_time=t("12:30"))
    )
    with pytest.raises(AvailabilityOverlap):
        public.availability_rule_update(rule_id=rule.pk, **rule_values(end_time=t("14:00")))

    assert (moved.start_time, moved.end_time) == (t("10:00"), t("12:30"))
    rule.refresh_from_db()
    assert rule.end_time == t("12:30")
    assert len(emitted("providers.AvailabilityChanged")) == 1


def test_swapping_hours_in_one_save_is_checked_on_the_result(role, emitted):
    morning = AvailabilityRuleFactory(role=role, **rule_values())
    afternoon = AvailabilityRuleFactory(
        role=role, **rule_values(start_time=t("13:00"), end_time=t("16:00"))
    )

    services.availability_rules_save(
        role_id=role.pk,
        update={
            morning.pk: AvailabilityRuleSpec(
                **rule_values(start_time=t("13:00"), end_time=t("16:00"))
            ),
            afternoon.pk: AvailabilityRuleSpec(**rule_values()),
        },
    )

    morning.refresh_from_db()
    afternoon.refresh_from_db()
    assert (morning.start_time, afternoon.start_time) == (t("13:00"), t("09:00"))
    assert len(emitted("providers.AvailabilityChanged")) == 1


def test_two_new_rules_overlapping_each_other_are_refused_together(role):
    with pytest.raises(AvailabilityOverlap):
        services.availability_rules_save(
            role_id=role.pk,
            create=[
                AvailabilityRuleSpec(**rule_values()),
                AvailabilityRuleSpec(**rule_values(start_time=t("11:00"), end_time=t("14:00"))),
            ],
        )

    assert AvailabilityRule.objects.count() == 0


def test_deleting_a_rule_removes_it_and_emits(role, emitted):
    rule = AvailabilityRuleFactory(role=role)

    public.availability_rule_delete(rule_id=rule.pk)

    assert not AvailabilityRule.objects.exists()
    assert [p["practitioner_role_id"] for p in emitted("providers.AvailabilityChanged")] == [
        role.pk
    ]


def test_a_rule_of_another_role_cannot_be_changed_through_this_one(role):
    foreign = AvailabilityRuleFactory()

    with pytest.raises(ProviderNotFound):
        services.availability_rules_save(role_id=role.pk, delete=[foreign.pk])

    assert AvailabilityRule.objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize(
    "call",
    [
        lambda: public.availability_rule_delete(rule_id=999_999),
        lambda: public.availability_rule_update(rule_id=999_999, **rule_values()),
        lambda: public.availability_rule_create(role_id=999_999, **rule_values()),
    ],
    ids=["delete", "update", "create"],
)
def test_unknown_rules_and_roles_are_not_found(call):
    with pytest.raises(ProviderNotFound):
        call()
