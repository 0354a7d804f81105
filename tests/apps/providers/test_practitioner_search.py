"""practitioner_search by each filter, in a constant number of queries; specialty id lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.providers import public
from tests.factories.providers import (
    LocationFactory,
    PractitionerFactory,
    PractitionerRoleFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    """Three practitioners with distinct specialties, languages, names and locations."""
    north, south = LocationFactory(name="North"), LocationFactory(name="South")
    ada = PractitionerFactory(
        family_name="Okafor", given_name="Ada", specialties=["cardiology"], languages=["en", "fr"]
    )
    ben = PractitionerFactory(
        family_name="Adams", given_name="Ben", specialties=["pediatrics"], languages=["es"]
    )
    cy = PractitionerFactory(
        family_name="Oliveira",
        given_name="Cy",
        specialties=["cardiology", "pediatrics"],
        languages=["pt", "en"],
    )
    PractitionerRoleFactory(practitioner=ada, location=north)
    PractitionerRoleFactory(practitioner=ben, location=south)
    PractitionerRoleFactory(practitioner=cy, location=south, active=False)
    PractitionerFactory(family_name="Oakes", specialties=["cardiology"], active=False)
    return {"ada": ada, "ben": ben, "cy": cy, "north": north, "south": south}


def names(results) -> list[str]:
    return [info.given_name for info in results]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["Ben", "Ada", "Cy"]),
        ({"specialty_code": "cardiology"}, ["Ada", "Cy"]),
        ({"specialty_code": "neurology"}, []),
        ({"language": "en"}, ["Ada", "Cy"]),
        ({"language": "ES"}, ["Ben"]),
        ({"name": "o"}, ["Ada", "Cy"]),  # family names Okafor and Oliveira
        ({"name": "BEN"}, ["Ben"]),  # a given name, whatever the case
        ({"name": "kafor"}, []),  # a prefix, not a substring
        ({"specialty_code": "pediatrics", "language": "pt"}, ["Cy"]),
    ],
)
def test_search_by_specialty_language_and_name(clinic, filters, expected):
    assert names(public.practitioner_search(**filters)) == expected


def test_search_by_location_keeps_those_with_an_active_role_there(clinic):
    assert names(public.practitioner_search(location_id=clinic["north"].pk)) == ["Ada"]
    # Cy's role at South is inactive.
    assert names(public.practitioner_search(location_id=clinic["south"].pk)) == ["Ben"]


def test_search_results_carry_specialties_and_languages(clinic):
    (cy,) = public.practitioner_search(name="oli")

    assert [s.code for s in cy.specialties] == ["cardiology", "pediatrics"]
    assert cy.languages == ("pt", "en")
    assert cy.display_name == "Dr. Cy Oliveira"


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"specialty_code": "cardiology"},
        {"location_id": "north"},
        {"language": "en"},
        {"name": "dr"},
    ],
    ids=["none", "specialty", "location", "language", "name"],
)
def test_search_takes_the_same_queries_for_3_or_30_matches(filters, django_assert_num_queries):
    location = LocationFactory()
    filters = {**filters, "location_id": location.pk} if "location_id" in filters else filters

    def add(count: int) -> None:
        for _ in range(count):
            practitioner = PractitionerFactory(
                family_name="Drake",
                specialties=["cardiology", "neurology"],
                languages=["en", "de"],
            )
            PractitionerRoleFactory(practitioner=practitioner, location=location)

    add(3)
    with CaptureQueriesContext(connection) as few:
        assert len(public.practitioner_search(**filters)) == 3
    add(27)

    with django_assert_num_queries(len(few.captured_queries)):
        assert len(public.practitioner_search(**filters)) == 30
    assert len(few.captured_queries) <= 2


def test_practitioner_ids_for_specialty_lists_active_practitioners(clinic):
    assert public.practitioner_ids_for_specialty(specialty_code="cardiology") == sorted(
        [clinic["ada"].pk, clinic["cy"].pk]
    )
