"""Appointment types: durations, buffers, slug codes and allergen triggers."""

from __future__ import annotations

import pytest

from apps.core.errors import ValidationFailed
from apps.providers import public
from apps.providers.contracts import ProviderConflict, ProviderNotFound
from apps.providers.models import AppointmentType
from tests.factories.providers import AppointmentTypeFactory, PractitionerRoleFactory

pytestmark = pytest.mark.django_db

BASE = {"code": "ct-contrast", "name": "CT with contrast", "duration_minutes": 30}


def test_appointment_type_create_stores_it_and_emits(emitted):
    info = public.appointment_type_create(
        **BASE,
        buffer_after_minutes=10,
        allergen_triggers=["iodinated-contrast", "latex", "latex"],
    )

    assert info.allergen_triggers == ("iodinated-contrast", "latex")
    assert info.buffer_after_minutes == 10
    assert public.appointment_type_get(appointment_type_id=info.id) == info
    assert emitted("providers.AppointmentTypeChanged") == [
        {
            "appointment_type_id": info.id,
            "code": "ct-contrast",
            "active": True,
            "online_bookable": True,
            "duration_minutes": 30,
        }
    ]


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"buffer_before_minutes": -1}, "buffer_before_minutes"),
        ({"buffer_after_minutes": -5}, "buffer_after_minutes"),
        ({"allergen_triggers": ["Latex"]}, "allergen_triggers"),
        ({"allergen_triggers": ["iodinated contrast"]}, "allergen_triggers"),
        ({"allergen_triggers": ["-latex"]}, "allergen_triggers"),
        ({"code": "CT_Contrast"}, "code"),
        ({"name": ""}, "name"),
        ({"booking_horizon_days": 0}, "booking_horizon_days"),
        ({"booking_horizon_days": 1, "minimum_notice_minutes": 1440}, "minimum_notice_minutes"),
    ],
)
def test_an_invalid_appointment_type_is_refused_naming_the_field(fields, bad_field):
    with pytest.raises(ValidationFailed) as error:
        public.appointment_type_create(**{**BASE, **fields})

    assert set(error.value.field_errors) == {bad_field}
    assert AppointmentType.objects.count() == 0


def test_a_code_is_taken_once():
    AppointmentTypeFactory(code="ct-contrast")

    with pytest.raises(ProviderConflict) as error:
        public.appointment_type_create(**BASE)

    assert set(error.value.field_errors) == {"code"}


def _update(appointment_type_id: int, **fields: object):
    values = {
        "name": "CT",
        "duration_minutes": 20,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
        "minimum_notice_minutes": 60,
        "booking_horizon_days": 90,
        "online_bookable": True,
        "allergen_triggers": [],
        "active": True,
        **fields,
    }
    return public.appointment_type_update(appointment_type_id=appointment_type_id, **values)


def test_a_change_of_length_regenerates_the_roles_that_offer_it(emitted):
    appointment_type = AppointmentTypeFactory(duration_minutes=20)
    offering = PractitionerRoleFactory(appointment_types=[appointment_type])
    PractitionerRoleFactory()

    info = _update(appointment_type.pk, duration_minutes=40)

    assert info.duration_minutes == 40
    assert [p["practitioner_role_id"] for p in emitted("providers.AvailabilityChanged")] == [
        offering.pk
    ]


def test_a_rename_only_emits_appointment_type_changed(emitted):
    appointment_type = AppointmentTypeFactory(duration_minutes=20, minimum_notice_minutes=60)
    PractitionerRoleFactory(appointment_types=[appointment_type])

    _update(appointment_type.pk, name="Renamed")

    assert len(emitted("providers.AppointmentTypeChanged")) == 1
    assert emitted("providers.AvailabilityChanged") == []


def test_appointment_types_lists_active_ones_or_the_ids_asked_for():
    first = AppointmentTypeFactory(name="A")
    retired = AppointmentTypeFactory(name="B", active=False)

    assert [t.id for t in public.appointment_types()] == [first.pk]
    assert [t.id for t in public.appointment_types(ids=[retired.pk])] == [retired.pk]
    assert public.appointment_types(ids=[retired.pk])[0].active is False


def test_an_unknown_appointment_type_is_not_found():
    with pytest.raises(ProviderNotFound):
        public.appointment_type_get(appointment_type_id=999_999)
