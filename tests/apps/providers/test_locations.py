"""Locations: a valid IANA time zone, and events when they change."""

from __future__ import annotations

import pytest

from apps.core.errors import ValidationFailed
from apps.providers import public
from apps.providers.contracts import ProviderNotFound
from apps.providers.models import Location
from tests.factories.providers import LocationFactory, PractitionerRoleFactory

pytestmark = pytest.mark.django_db


def test_location_create_stores_it_and_emits_location_changed(emitted):
    info = public.location_create(
        name=" North Clinic ", timezone="Europe/Berlin", city="Berlin", country="de"
    )

    location = Location.objects.get(pk=info.id)
    assert (location.name, location.timezone, location.country) == (
        "North Clinic",
        "Europe/Berlin",
        "DE",
    )
    assert public.location_get(location_id=info.id) == info
    assert emitted("providers.LocationChanged") == [
        {
            "location_id": info.id,
            "timezone": "Europe/Berlin",
            "active": True,
            "name": "North Clinic",
        }
    ]


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "europe/berlin"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"name": "  "}, "name"),
        ({"country": "Germany"}, "country"),
        ({"postal_code": "1" * 21}, "postal_code"),
    ],
)
def test_an_invalid_location_is_refused_naming_the_field(fields, bad_field, emitted):
    values = {"name": "North", "timezone": "Europe/Berlin", **fields}

    with pytest.raises(ValidationFailed) as error:
        public.location_create(**values)

    assert set(error.value.field_errors) == {bad_field}
    assert Location.objects.count() == 0
    assert emitted("providers.LocationChanged") == []


def test_a_bad_time_zone_on_update_leaves_the_location_as_it_was():
    location = LocationFactory(timezone="America/Chicago")

    with pytest.raises(ValidationFailed) as error:
        public.location_update(
            location_id=location.pk,
            name=location.name,
            timezone="Central Time",
            address_line="",
            city="",
            postal_code="",
            country="US",
            active=True,
        )

    assert set(error.value.field_errors) == {"timezone"}
    location.refresh_from_db()
    assert location.timezone == "America/Chicago"


def test_moving_a_location_to_another_zone_regenerates_its_active_roles(emitted):
    location = LocationFactory(timezone="America/New_York")
    active_role = PractitionerRoleFactory(location=location)
    PractitionerRoleFactory(location=location, active=False)
    PractitionerRoleFactory()  # elsewhere

    public.location_update(
        location_id=location.pk,
        name="Renamed",
        timezone="America/Los_Angeles",
        address_line="1 Main St",
        city="Springfield",
        postal_code="12345",
        country="US",
        active=True,
    )

    assert emitted("providers.LocationChanged")[-1] == {
        "location_id": location.pk,
        "timezone": "America/Los_Angeles",
        "active": True,
        "name": "Renamed",
    }
    assert emitted("providers.AvailabilityChanged") == [
        {
            "practitioner_role_id": active_role.pk,
            "practitioner_id": active_role.practitioner_id,
            "location_id": location.pk,
        }
    ]


def test_renaming_a_location_does_not_touch_availability(emitted):
    location = LocationFactory()
    PractitionerRoleFactory(location=location)

    info = public.location_update(
        location_id=location.pk,
        name="Renamed",
        timezone=location.timezone,
        address_line="",
        city="",
        postal_code="",
        country="US",
        active=True,
    )

    assert info.name == "Renamed"
    assert len(emitted("providers.LocationChanged")) == 1
    assert emitted("providers.AvailabilityChanged") == []


def test_locations_lists_active_ones_unless_asked_for_all():
    open_ = LocationFactory(name="A")
    closed = LocationFactory(name="B", active=False)

    assert [info.id for info in public.locations()] == [open_.pk]
    assert [info.id for info in public.locations(include_inactive=True)] == [open_.pk, closed.pk]


def test_an_unknown_location_is_not_found():
    with pytest.raises(ProviderNotFound):
        public.location_get(location_id=999_999)
