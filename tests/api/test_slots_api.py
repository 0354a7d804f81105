"""/api/v1/slots/: free slots a patient can book online, with their location's offset."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.apps.scheduling.conftest import clinic  # noqa: F401  (fixture)
from tests.factories.providers import AppointmentTypeFactory, PractitionerRoleFactory
from tests.factories.scheduling import AppointmentFactory, SlotFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/slots/"


def _ids(api, query: str = "") -> list[int]:
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_free_slots_are_listed_with_offset_names_and_types(api_a, clinic):  # noqa: F811
    slot = clinic.slot(hour=18)

    response = api_a.get(URL)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == slot.id
    assert row["start"] == slot.start.astimezone(ZoneInfo("America/New_York")).isoformat()
    assert row["timezone"] == "America/New_York"
    assert row["practitioner"] == {
        "id": clinic.role.practitioner_id,
        "name": str(clinic.role.practitioner),
    }
    assert row["location"] == {"id": clinic.location.id, "name": clinic.location.name}
    assert {kind["code"] for kind in row["appointment_types"]} == {"follow-up", "ct-contrast"}
    assert row["remaining"] == 1


def test_full_and_phone_only_slots_are_left_out(api_a, patient_b, clinic):  # noqa: F811
    AppointmentFactory(patient=patient_b, slot=clinic.slot(hour=14))
    phone_only = PractitionerRoleFactory(
        location=clinic.location,
        appointment_types=[AppointmentTypeFactory(online_bookable=False)],
    )
    clinic.slot(hour=15, role=phone_only)
    free = clinic.slot(hour=16)

    assert _ids(api_a) == [free.id]


def test_the_appointment_type_filter_respects_notice_and_horizon(api_a, clinic):  # noqa: F811
    clinic.visit.minimum_notice_minutes = 3 * 24 * 60
    clinic.visit.booking_horizon_days = 10
    clinic.visit.save()
    too_soon = clinic.slot(days_ahead=1)
    fine = clinic.slot(days_ahead=5)
    start = timezone.now() + dt.timedelta(days=12)
    too_far = SlotFactory(role=clinic.role, start=start, end=start + dt.timedelta(minutes=30))

    visits = _ids(api_a, f"appointment_type={clinic.visit.id}")

    assert visits == [fine.id]
    assert {too_soon.id, fine.id, too_far.id} <= set(_ids(api_a))


def test_filters_by_practitioner_and_location(api_a, clinic):  # noqa: F811
    mine = clinic.slot(hour=14)
    elsewhere = PractitionerRoleFactory(appointment_types=[clinic.visit])
    theirs = clinic.slot(hour=15, role=elsewhere)

    assert _ids(api_a, f"practitioner={clinic.role.practitioner_id}") == [mine.id]
    assert _ids(api_a, f"location={elsewhere.location_id}") == [theirs.id]


def test_filters_by_specialty_and_leaves_out_inactive_practitioners(api_a, clinic):  # noqa: F811
    family = clinic.slot(hour=14)
    cardiology = PractitionerRoleFactory(
        appointment_types=[clinic.visit], practitioner__specialties=["cardiology"]
    )
    heart = clinic.slot(hour=15, role=cardiology)

    assert _ids(api_a, "specialty=cardiology") == [heart.id]
    assert _ids(api_a, "specialty=family-medicine") == [family.id]
    assert _ids(api_a, "specialty=no-such-thing") == []

    cardiology.practitioner.active = False
    cardiology.practitioner.save()

    assert _ids(api_a, "specialty=cardiology") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2030-01-01T00:00:00Z&end=2030-03-01T00:00:00Z", "end"),
        ("start=2030-01-02T00:00:00Z&end=2030-01-01T00:00:00Z", "end"),
        ("start=tomorrow", "start"),
        ("appointment_type=999999", "appointment_type"),
    ],
)
def test_bad_queries_are_400_naming_the_field(api_a, query, field):
    response = api_a.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in {error["field"] for error in response.json()["errors"]}


# user; offers; the roles the filters leave, with their names; the page with its count.
# A page of 20 reads the same whatever the number of slots behind it.
@pytest.mark.parametrize("search", [("", 4), ("specialty=family-medicine", 4)])
@pytest.mark.parametrize("rows", [1, 50])
def test_the_list_costs_the_same_queries_at_any_size(
    api_a,
    clinic,  # noqa: F811
    django_assert_num_queries,
    rows,
    search,
):
    query, queries = search
    for index in range(rows):
        clinic.slot(hour=8 + index % 12, days_ahead=1 + index // 12)

    with django_assert_num_queries(queries):
        response = api_a.get(f"{URL}?page_size=20&{query}")

    assert len(response.json()["results"]) == min(rows, 20)
    assert response.json()["count"] == rows


def test_the_search_answers_what_the_slot_serializer_would(api_a, clinic):  # noqa: F811
    from apps.scheduling import public
    from apps.scheduling.api.search import SlotSerializer

    for index in range(3):
        clinic.slot(hour=9 + index, days_ahead=2)
    start = timezone.now()
    end = start + dt.timedelta(days=14)

    listed = api_a.get(URL).json()["results"]

    expected = SlotSerializer(public.bookable_slots(start=start, end=end), many=True).data
    assert listed == [dict(row) for row in expected]


def test_pages_merge_the_roles_in_start_order_with_one_count(api_a, clinic):  # noqa: F811
    # Each role's slots are read in start order and merged: equal starts across roles are
    # ordered by id, and every page follows on from the last without gaps or repeats.
    roles = [clinic.role, clinic.other_role(), clinic.other_role()]
    made = [
        clinic.slot(hour=hour, days_ahead=days, role=role)
        for days in (2, 3)
        for hour in (9, 11, 10)
        for role in roles
    ]
    expected = [slot.id for slot in sorted(made, key=lambda slot: (slot.start, slot.id))]

    seen, page = [], 1
    while True:
        response = api_a.get(f"{URL}?page_size=4&page={page}")
        if response.status_code == 404:
            break
        assert response.status_code == 200, response.content
        assert response.json()["count"] == len(made)
        seen += [row["id"] for row in response.json()["results"]]
        page += 1

    assert seen == expected
    assert page == 6  # 18 slots in pages of 4, then "invalid page"


def test_a_slot_lists_only_the_types_its_length_holds(api_a, clinic):  # noqa: F811
    # follow-up needs 20 minutes and CT 30: a 25-minute slot holds the visit alone, and a
    # 15-minute slot holds neither, so no search shows it.
    short = clinic.slot(hour=9, minutes=25)
    clinic.slot(hour=10, minutes=15)

    [row] = api_a.get(URL).json()["results"]

    assert row["id"] == short.id
    assert [kind["code"] for kind in row["appointment_types"]] == ["follow-up"]
    assert _ids(api_a, f"appointment_type={clinic.ct_with_contrast.id}") == []
    assert api_a.get(f"{URL}?appointment_type={clinic.ct_with_contrast.id}").json()["count"] == 0


def test_types_with_different_notice_are_searched_apart(api_a, clinic):  # noqa: F811
    # Offers of the same roles but with other notice are separate conditions: the CT needs two
    # days' notice, so tomorrow's slot holds the visit alone.
    clinic.ct_with_contrast.minimum_notice_minutes = 2 * 24 * 60
    clinic.ct_with_contrast.save()
    tomorrow = clinic.slot(hour=14, days_ahead=1)
    later = clinic.slot(hour=14, days_ahead=4)

    rows = {row["id"]: row for row in api_a.get(URL).json()["results"]}

    assert [kind["code"] for kind in rows[tomorrow.id]["appointment_types"]] == ["follow-up"]
    assert {kind["code"] for kind in rows[later.id]["appointment_types"]} == {
        "follow-up",
        "ct-contrast",
    }
    assert _ids(api_a, f"appointment_type={clinic.ct_with_contrast.id}") == [later.id]
