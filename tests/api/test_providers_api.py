"""/api/v1/providers/ search and detail; specialties, locations and appointment types."""

from __future__ import annotations

import pytest

from tests.apps.scheduling.conftest import clinic  # noqa: F401  (fixture)
from tests.factories.providers import (
    AppointmentTypeFactory,
    LocationFactory,
    PractitionerFactory,
    PractitionerRoleFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/providers/"


def _names(api, query: str = "") -> list[str]:
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 200, response.content
    return [row["display_name"] for row in response.json()["results"]]


def test_search_shows_practitioners_with_their_next_online_time(api_a, clinic):  # noqa: F811
    later, sooner = clinic.slot(hour=16, days_ahead=9), clinic.slot(hour=15, days_ahead=8)

    response = api_a.get(URL)

    [row] = response.json()["results"]
    assert row["id"] == clinic.role.practitioner_id
    assert row["specialties"] == [{"code": "family-medicine", "name": "Family medicine"}]
    assert row["languages"] == ["en"]
    assert [location["id"] for location in row["locations"]] == [clinic.location.id]
    assert row["locations"][0]["timezone"] == "America/New_York"
    assert row["next_available"].startswith(sooner.start.astimezone().date().isoformat()[:4])
    assert row["next_available_timezone"] == "America/New_York"
    assert later.start > sooner.start


def test_soonest_ordering_puts_practitioners_without_slots_last(api_a, clinic):  # noqa: F811
    other = clinic.other_role()
    PractitionerRoleFactory(practitioner=PractitionerFactory(family_name="Aaron"))
    clinic.slot(days_ahead=9)
    clinic.slot(days_ahead=3, role=other)

    ids = [row["id"] for row in api_a.get(f"{URL}?ordering=soonest").json()["results"]]

    assert ids[:2] == [other.practitioner_id, clinic.role.practitioner_id]
    assert len(ids) == 3


def test_filters_by_specialty_language_name_location_and_availability(api_a, clinic):  # noqa: F811
    spanish = PractitionerFactory(
        given_name="Lucia", family_name="Zamora", languages=["es"], specialties=["dermatology"]
    )
    role = PractitionerRoleFactory(practitioner=spanish, location=LocationFactory())
    clinic.slot(days_ahead=40)
    clinic.slot(days_ahead=5, role=role)

    assert _names(api_a, "language=es") == [str(spanish)]
    assert _names(api_a, "specialty=dermatology") == [str(spanish)]
    assert _names(api_a, "name=zam") == [str(spanish)]
    assert _names(api_a, f"location={role.location_id}") == [str(spanish)]
    assert _names(api_a, "available_within=10") == [str(spanish)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("available_within=0", "available_within"),
        ("available_within=91", "available_within"),
        ("ordering=random", "ordering"),
        ("location=x", "location"),
    ],
)
def test_bad_search_queries_are_400_naming_the_field(api_a, query, field):
    response = api_a.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_a_practitioner_is_read_by_id_and_an_unknown_one_is_404(api_a, clinic):  # noqa: F811
    found = api_a.get(f"{URL}{clinic.role.practitioner_id}/")
    inactive = PractitionerFactory(active=False)
    missing = api_a.get(f"{URL}{inactive.id}/")

    assert found.status_code == 200
    assert found.json()["next_available"] is None
    assert missing.status_code == 404
    assert missing.json()["code"] == "provider_not_found"


@pytest.mark.parametrize("rows", [1, 50])
def test_search_costs_the_same_queries_at_any_size(api_a, django_assert_num_queries, rows):
    kind = AppointmentTypeFactory()
    location = LocationFactory()
    for _ in range(rows):
        PractitionerRoleFactory(location=location, appointment_types=[kind])

    # user, practitioners, specialties, offers, next slots, locations
    with django_assert_num_queries(6):
        response = api_a.get(f"{URL}?ordering=soonest&page_size=50")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize(
    ("path", "key"),
    [("specialties", "code"), ("locations", "timezone"), ("appointment-types", "online_bookable")],
)
def test_reference_lists(api_a, clinic, path, key):  # noqa: F811
    response = api_a.get(f"/api/v1/{path}/")

    assert response.status_code == 200
    assert response.json()["count"] >= 1
    assert key in response.json()["results"][0]


@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize("path", ["locations", "appointment-types"])
def test_reference_lists_cost_the_same_queries_at_any_size(
    api_a, django_assert_num_queries, rows, path
):
    for _ in range(rows):
        LocationFactory()
        AppointmentTypeFactory()

    with django_assert_num_queries(2):  # user, rows
        response = api_a.get(f"/api/v1/{path}/?page_size=50")

    assert len(response.json()["results"]) == rows


def test_reference_lists_need_a_token(client):
    response = client.get("/api/v1/locations/")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
