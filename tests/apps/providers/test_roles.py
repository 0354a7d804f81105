"""Practitioner roles: one per practitioner and location, offering active appointment types."""

from __future__ import annotations

import pytest

from apps.core.errors import ValidationFailed
from apps.providers import public
from apps.providers.contracts import PractitionerRoleInfo, ProviderConflict, ProviderNotFound
from apps.providers.models import PractitionerRole
from tests.factories.providers import (
    AppointmentTypeFactory,
    LocationFactory,
    PractitionerFactory,
    PractitionerRoleFactory,
)

pytestmark = pytest.mark.django_db


def test_practitioner_role_create_offers_the_types_and_emits(emitted):
    practitioner = PractitionerFactory()
    location = LocationFactory(timezone="Europe/Lisbon")
    types = AppointmentTypeFactory.create_batch(2)

    info = public.practitioner_role_create(
        practitioner_id=practitioner.pk,
        location_id=location.pk,
        appointment_type_ids=[t.pk for t in reversed(types)],
    )

    assert info == PractitionerRoleInfo(
        id=info.id,
        practitioner_id=practitioner.pk,
        location_id=location.pk,
        timezone="Europe/Lisbon",
        appointment_type_ids=tuple(sorted(t.pk for t in types)),
        active=True,
    )
    assert emitted("providers.AvailabilityChanged") == [
        {
            "practitioner_role_id": info.id,
            "practitioner_id": practitioner.pk,
            "location_id": location.pk,
        }
    ]


def test_a_second_role_at_the_same_location_is_a_conflict():
    role = PractitionerRoleFactory()

    with pytest.raises(ProviderConflict):
        public.practitioner_role_create(
            practitioner_id=role.practitioner_id,
            location_id=role.location_id,
            appointment_type_ids=[],
        )

    assert PractitionerRole.objects.count() == 1


@pytest.mark.parametrize("bad", ["practitioner_id", "location_id", "appointment_type_ids"])
def test_unknown_references_are_refused_naming_the_field(bad):
    values = {
        "practitioner_id": PractitionerFactory().pk,
        "location_id": LocationFactory().pk,
        "appointment_type_ids": [AppointmentTypeFactory().pk],
    }
    values[bad] = [999_999] if bad == "appointment_type_ids" else 999_999

    with pytest.raises(ValidationFailed) as error:
        public.practitioner_role_create(**values)

    assert set(error.value.field_errors) == {bad}
    assert PractitionerRole.objects.count() == 0


def test_an_inactive_appointment_type_cannot_be_offered():
    role = PractitionerRoleFactory()
    retired = AppointmentTypeFactory(active=False)

    with pytest.raises(ValidationFailed) as error:
        public.practitioner_role_set_appointment_types(
            role_id=role.pk, appointment_type_ids=[retired.pk]
        )

    assert set(error.value.field_errors) == {"appointment_type_ids"}


def test_setting_the_types_emits_only_when_they_change(emitted):
    first, second = AppointmentTypeFactory.create_batch(2)
    role = PractitionerRoleFactory(appointment_types=[first])

    public.practitioner_role_set_appointment_types(role_id=role.pk, appointment_type_ids=[first.pk])
    unchanged = len(emitted("providers.AvailabilityChanged"))
    info = public.practitioner_role_set_appointment_types(
        role_id=role.pk, appointment_type_ids=[first.pk, second.pk]
    )

    assert unchanged == 0
    assert info.appointment_type_ids == (first.pk, second.pk)
    assert len(emitted("providers.AvailabilityChanged")) == 1


def test_deactivate_and_reactivate_a_role(emitted):
    role = PractitionerRoleFactory()

    deactivated = public.practitioner_role_deactivate(role_id=role.pk)
    again = public.practitioner_role_deactivate(role_id=role.pk)
    reactivated = public.practitioner_role_reactivate(role_id=role.pk)

    assert (deactivated.active, again.active, reactivated.active) == (False, False, True)
    assert len(emitted("providers.AvailabilityChanged")) == 2
    assert [r.id for r in public.practitioner_roles_active()] == [role.pk]


def test_practitioner_roles_active_leaves_out_inactive_roles_practitioners_and_locations(
    django_assert_num_queries,
):
    kept = PractitionerRoleFactory()
    PractitionerRoleFactory(active=False)
    PractitionerRoleFactory(practitioner=PractitionerFactory(active=False))
    PractitionerRoleFactory(location=LocationFactory(active=False))
    retired = AppointmentTypeFactory(active=False)
    kept.appointment_types.add(retired)

    with django_assert_num_queries(1):
        roles = public.practitioner_roles_active()

    assert [r.id for r in roles] == [kept.pk]
    assert retired.pk not in roles[0].appointment_type_ids
    assert len(roles[0].appointment_type_ids) == 1


def test_practitioner_role_get_reports_an_inactive_location_as_inactive():
    role = PractitionerRoleFactory(location=LocationFactory(active=False))

    assert public.practitioner_role_get(role_id=role.pk).active is False


def test_a_role_offering_nothing_has_no_type_ids():
    role = PractitionerRoleFactory()
    role.appointment_types.clear()

    assert public.practitioner_role_get(role_id=role.pk).appointment_type_ids == ()


def test_an_unknown_role_is_not_found():
    with pytest.raises(ProviderNotFound):
        public.practitioner_role_get(role_id=999_999)
