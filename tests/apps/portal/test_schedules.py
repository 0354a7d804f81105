"""Schedules: administrators see each practitioner's availability per location and change it
only after a preview of the next week's slots; nothing is written until they confirm."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.contracts import Role
from apps.providers.models import AvailabilityException, AvailabilityRule
from apps.scheduling.models import Slot
from tests.factories.providers import (
    AvailabilityExceptionFactory,
    AvailabilityRuleFactory,
    PractitionerRoleFactory,
)

pytestmark = pytest.mark.django_db

MONDAY_MORNING = {
    "weekday": "0",
    "start_time": "09:00",
    "end_time": "11:00",
    "slot_minutes": "30",
    "capacity": "1",
}


@pytest.fixture
def role():
    role = PractitionerRoleFactory(practitioner__family_name="Okafor")
    role.location.timezone = "America/New_York"
    role.location.save()
    return role


@pytest.fixture
def admin(staff_client, role):
    client, _ = staff_client(Role.ADMIN, locations=[role.location])
    return client


def _day_block(page: str, weekday: str) -> str:
    """The preview's slots of the one day named `weekday` (the part up to the next day)."""
    start = page.index(f"<h3>{weekday},")
    end = page.find("<h3>", start + 1)
    return page[start : end if end != -1 else len(page)]


def _next_local(weekday: int) -> dt.date:
    today = timezone.now().astimezone(ZoneInfo("America/New_York")).date()
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7)


@pytest.mark.parametrize("staff_role", [Role.CLINICIAN, Role.FRONT_DESK])
def test_schedules_are_for_administrators_only(staff_client, role, staff_role):
    # Given a clinician or front desk user at the role's location
    client, _ = staff_client(staff_role, locations=[role.location])

    # When they open the schedules or try to add hours
    pages = [
        client.get("/staff/schedules/"),
        client.get(f"/staff/schedules/{role.id}/"),
        client.post(f"/staff/schedules/{role.id}/rules/new/", {**MONDAY_MORNING, "confirm": "1"}),
    ]

    # Then each is refused with who may, nothing is written, and the nav hides the link
    for response in pages:
        assert response.status_code == 403
        assert "administrator may manage practitioners&#x27; schedules" in (
            response.content.decode()
        )
    assert not AvailabilityRule.objects.exists()
    assert 'href="/staff/schedules/"' not in client.get("/staff/").content.decode()


def test_the_list_shows_practitioners_at_locations(admin, role):
    page = admin.get("/staff/schedules/").content.decode()

    assert "Okafor" in page and role.location.name in page
    assert f'href="/staff/schedules/{role.id}/"' in page
    assert 'href="/staff/schedules/" aria-current="page"' in page


def test_the_role_page_lists_rules_and_exceptions_in_local_time(admin, role):
    rule = AvailabilityRuleFactory(
        role=role, weekday=2, start_time=dt.time(8, 15), end_time=dt.time(12, 45)
    )
    leave = AvailabilityExceptionFactory(
        role=role, date_from=dt.date(2031, 3, 3), reason="Conference"
    )

    page = admin.get(f"/staff/schedules/{role.id}/").content.decode()

    assert f'id="rule-{rule.id}"' in page
    assert "Wednesday" in page and "08:15\u201312:45" in page
    assert f'id="exception-{leave.id}"' in page and "Conference" in page
    assert "America/New_York" in page


def test_the_preview_shows_the_new_slots_in_local_time_and_writes_nothing(admin, role):
    # Given no hours yet
    # When I preview Monday 09:00-11:00 in 30-minute slots
    response = admin.post(
        f"/staff/schedules/{role.id}/rules/new/", {**MONDAY_MORNING, "preview": "1"}
    )

    # Then Monday shows four new slots at local times, and no other day any
    assert response.status_code == 200
    page = response.content.decode()
    monday = _day_block(page, "Monday")
    assert re.findall(r">(\d\d:\d\d) <span class=\"badge badge-ok\">new", monday) == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
    ]
    assert page.count("badge-ok") == 4
    # and nothing was saved: the form comes back hidden, with Save and Change
    assert not AvailabilityRule.objects.exists()
    assert not Slot.objects.exists()
    assert 'name="confirm"' in page and 'name="change"' in page
    assert 'type="hidden" name="start_time" value="09:00"' in page


def test_confirming_saves_the_rule_through_the_service(admin, role):
    response = admin.post(
        f"/staff/schedules/{role.id}/rules/new/", {**MONDAY_MORNING, "confirm": "1"}, follow=True
    )

    rule = AvailabilityRule.objects.get(role=role)
    assert (rule.weekday, rule.start_time, rule.end_time) == (0, dt.time(9), dt.time(11))
    assert (rule.slot_minutes, rule.capacity) == (30, 1)
    assert response.redirect_chain[-1][0] == f"/staff/schedules/{role.id}/"
    assert "The weekly hours were saved" in response.content.decode()


def test_change_goes_back_to_the_filled_form(admin, role):
    response = admin.post(
        f"/staff/schedules/{role.id}/rules/new/", {**MONDAY_MORNING, "change": "1"}
    )

    page = response.content.decode()
    assert 'name="end_time" value="11:00"' in page
    assert "Preview the week" in page
    assert not AvailabilityRule.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("end_time", "08:00", "The end time must be after the start time."),
        ("slot_minutes", "3", "greater than or equal to 5"),
        ("capacity", "0", "greater than or equal to 1"),
    ],
)
def test_an_invalid_rule_is_refused_beside_its_field(admin, role, field, value, message):
    response = admin.post(
        f"/staff/schedules/{role.id}/rules/new/",
        {**MONDAY_MORNING, field: value, "preview": "1"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    errors = re.search(rf'id="id_{field}_error">(.*?)</ul>', page)
    assert errors and message in errors.group(1)
    assert not AvailabilityRule.objects.exists()


def test_overlapping_hours_are_refused_by_the_service_at_preview(admin, role):
    # Given Monday 09:00-12:00
    AvailabilityRuleFactory(role=role, weekday=0, start_time=dt.time(9), end_time=dt.time(12))

    # When I preview Monday 10:00-11:00 (the same hours, partly)
    response = admin.post(
        f"/staff/schedules/{role.id}/rules/new/",
        {**MONDAY_MORNING, "start_time": "10:00", "preview": "1"},
    )

    # Then the service's refusal is shown beside the start time
    assert response.status_code == 400
    errors = re.search(r'id="id_start_time_error">(.*?)</ul>', response.content.decode())
    assert errors and "Overlaps the Monday hours 09:00-12:00" in errors.group(1)
    assert AvailabilityRule.objects.count() == 1


def test_changing_a_rule_previews_added_and_removed_slots_then_saves(admin, role):
    rule = AvailabilityRuleFactory(
        role=role, weekday=0, start_time=dt.time(9), end_time=dt.time(10), slot_minutes=30
    )
    url = f"/staff/schedules/{role.id}/rules/{rule.id}/"
    assert 'value="09:00"' in admin.get(url).content.decode()
    moved = {**MONDAY_MORNING, "start_time": "10:00", "end_time": "11:00"}

    monday = _day_block(admin.post(url, {**moved, "preview": "1"}).content.decode(), "Monday")

    assert monday.count("badge-danger") == 2 and monday.count("badge-ok") == 2
    rule.refresh_from_db()
    assert rule.start_time == dt.time(9)

    admin.post(url, {**moved, "confirm": "1"})

    rule.refresh_from_db()
    assert (rule.start_time, rule.end_time) == (dt.time(10), dt.time(11))


def test_removing_a_rule_is_previewed_then_confirmed(admin, role):
    rule = AvailabilityRuleFactory(role=role, weekday=0, start_time=dt.time(9))
    url = f"/staff/schedules/{role.id}/rules/{rule.id}/delete/"

    preview = admin.post(url, {"preview": "1"}).content.decode()

    assert "removed" in _day_block(preview, "Monday")
    assert AvailabilityRule.objects.filter(pk=rule.pk).exists()
    admin.post(url, {"confirm": "1"})
    assert not AvailabilityRule.objects.filter(pk=rule.pk).exists()


def test_leave_is_previewed_against_the_weekly_hours_then_saved(admin, role):
    # Given Monday hours
    AvailabilityRuleFactory(role=role, weekday=0, start_time=dt.time(9), end_time=dt.time(10))
    monday = _next_local(0).isoformat()
    leave = {"kind": "leave", "date_from": monday, "date_to": monday, "reason": "Course"}
    url = f"/staff/schedules/{role.id}/exceptions/new/"

    # When I preview a day's leave on the coming Monday
    page = admin.post(url, {**leave, "preview": "1"}).content.decode()

    # Then Monday's slots show as removed, and confirming saves the leave
    assert _day_block(page, "Monday").count("badge-danger") == 3
    assert not AvailabilityException.objects.exists()
    admin.post(url, {**leave, "confirm": "1"})
    saved = AvailabilityException.objects.get(role=role)
    assert (saved.kind, saved.reason) == ("leave", "Course")


def test_extra_hours_without_a_slot_length_are_refused_beside_the_field(admin, role):
    day = _next_local(5).isoformat()
    response = admin.post(
        f"/staff/schedules/{role.id}/exceptions/new/",
        {
            "kind": "extra",
            "date_from": day,
            "date_to": day,
            "start_time": "09:00",
            "end_time": "10:00",
            "capacity": "1",
            "preview": "1",
        },
    )

    assert response.status_code == 400
    errors = re.search(r'id="id_slot_minutes_error">(.*?)</ul>', response.content.decode())
    assert errors and "whole number" in errors.group(1)


def test_the_schedule_pages_render_with_the_same_number_of_queries(admin, role):
    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin.get(url).status_code == 200
        return len(queries)

    # Two roles, a rule and an exception; then eight roles, seven rules, four exceptions
    roles = [role, PractitionerRoleFactory()]
    AvailabilityRuleFactory(role=role, weekday=0)
    AvailabilityExceptionFactory(role=role, date_from=dt.date(2031, 1, 6))
    small = (count("/staff/schedules/"), count(f"/staff/schedules/{role.id}/"))
    roles += [PractitionerRoleFactory() for _ in range(6)]
    for weekday in range(1, 7):
        AvailabilityRuleFactory(role=role, weekday=weekday)
    for week in range(1, 4):
        AvailabilityExceptionFactory(role=role, date_from=dt.date(2031, 1, 6 + 7 * week))
    large = (count("/staff/schedules/"), count(f"/staff/schedules/{role.id}/"))

    assert large == small
    assert admin.get("/staff/schedules/").content.decode().count("Open schedule") == len(roles)
