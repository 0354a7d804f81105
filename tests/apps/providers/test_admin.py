"""The providers admin: constant changelist queries, and saves that go through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.contracts import Role
from apps.providers.models import (
    AvailabilityException,
    AvailabilityRule,
    Location,
    Practitioner,
    PractitionerRole,
    Specialty,
    StaffAssignment,
)
from tests.factories.accounts import user_in_role
from tests.factories.providers import (
    AppointmentTypeFactory,
    AvailabilityRuleFactory,
    LocationFactory,
    PractitionerFactory,
    PractitionerRoleFactory,
)

pytestmark = pytest.mark.django_db


def _field_value(value: Any) -> Any:
    if value is None or value is False:
        return None
    if value is True:
        return "on"
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value)


def form_data(response) -> dict[str, Any]:
    """What the browser would post back unchanged: the change form and every inline."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for bound in form:
            value = _field_value(bound.value())
            if value is not None:
                data[bound.html_name] = value
    return data


def add_rule_row(data: dict[str, Any], **fields: str) -> None:
    index = int(data["rules-TOTAL_FORMS"])
    data["rules-TOTAL_FORMS"] = str(index + 1)
    for name, value in fields.items():
        data[f"rules-{index}-{name}"] = value


@pytest.mark.parametrize(
    ("url", "make_rows"),
    [
        (
            "/admin/providers/practitioner/",
            lambda n: PractitionerFactory.create_batch(
                n, specialties=["cardiology", "neurology"], user=None
            ),
        ),
        (
            "/admin/providers/practitionerrole/",
            PractitionerRoleFactory.create_batch,
        ),
    ],
    ids=["practitioner", "practitionerrole"],
)
def test_a_changelist_takes_the_same_queries_for_3_or_30_rows(
    admin_client, url, make_rows, django_assert_num_queries
):
    make_rows(3)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    make_rows(27)

    with django_assert_num_queries(len(few.captured_queries)):
        response = admin_client.get(url)

    assert response.context["cl"].result_count == 30


def test_adding_an_inline_rule_goes_through_the_service_and_emits(
    admin_client, admin_user, emitted
):
    role = PractitionerRoleFactory()
    url = f"/admin/providers/practitionerrole/{role.pk}/change/"
    data = form_data(admin_client.get(url))
    add_rule_row(
        data,
        weekday="2",
        start_time="09:00",
        end_time="12:00",
        slot_minutes="15",
        capacity="1",
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["inline_admin_formsets"]
    rule = AvailabilityRule.objects.get(role=role)
    assert (rule.weekday, rule.start_time, rule.slot_minutes) == (2, dt.time(9), 15)
    assert rule.created_by == admin_user
    assert emitted("providers.AvailabilityChanged") == [
        {
            "practitioner_role_id": role.pk,
            "practitioner_id": role.practitioner_id,
            "location_id": role.location_id,
        }
    ]


def test_editing_and_deleting_inline_rules_emit_availability_changed(admin_client, emitted):
    role = PractitionerRoleFactory()
    kept = AvailabilityRuleFactory(role=role, weekday=0)
    gone = AvailabilityRuleFactory(role=role, weekday=1)
    url = f"/admin/providers/practitionerrole/{role.pk}/change/"
    data = form_data(admin_client.get(url))
    data["rules-0-end_time"] = "11:00"
    data["rules-1-DELETE"] = "on"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.end_time == dt.time(11)
    assert not AvailabilityRule.objects.filter(pk=gone.pk).exists()
    assert len(emitted("providers.AvailabilityChanged")) == 1


def test_overlapping_inline_rules_are_shown_as_errors_and_nothing_is_saved(admin_client, emitted):
    role = PractitionerRoleFactory()
    AvailabilityRuleFactory(role=role, weekday=0, start_time=dt.time(9), end_time=dt.time(12))
    url = f"/admin/providers/practitionerrole/{role.pk}/change/"
    data = form_data(admin_client.get(url))
    add_rule_row(
        data, weekday="0", start_time="11:00", end_time="13:00", slot_minutes="20", capacity="1"
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    rule_forms = response.context["inline_admin_formsets"][0].formset.forms
    assert "start_time" in rule_forms[1].errors
    assert AvailabilityRule.objects.filter(role=role).count() == 1
    assert emitted("providers.AvailabilityChanged") == []


def test_an_inline_rule_breaking_a_service_rule_is_shown_on_its_field(admin_client):
    role = PractitionerRoleFactory()
    url = f"/admin/providers/practitionerrole/{role.pk}/change/"
    data = form_data(admin_client.get(url))
    add_rule_row(
        data, weekday="0", start_time="09:00", end_time="09:30", slot_minutes="45", capacity="1"
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "slot_minutes" in response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert not AvailabilityRule.objects.exists()


def test_adding_extra_hours_inline_emits_availability_changed(admin_client, emitted):
    role = PractitionerRoleFactory()
    url = f"/admin/providers/practitionerrole/{role.pk}/change/"
    data = form_data(admin_client.get(url))
    data["exceptions-TOTAL_FORMS"] = "1"
    data.update(
        {
            "exceptions-0-kind": "extra",
            "exceptions-0-date_from": "2030-01-07",
            "exceptions-0-date_to": "2030-01-07",
            "exceptions-0-start_time": "17:00",
            "exceptions-0-end_time": "19:00",
            "exceptions-0-slot_minutes": "30",
            "exceptions-0-capacity": "2",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert AvailabilityException.objects.get(role=role).capacity == 2
    assert len(emitted("providers.AvailabilityChanged")) == 1


def test_adding_a_role_with_a_rule_creates_both_through_the_services(admin_client, emitted):
    practitioner, location = PractitionerFactory(), LocationFactory()
    visit = AppointmentTypeFactory()
    data = form_data(admin_client.get("/admin/providers/practitionerrole/add/"))
    data.update(
        {
            "practitioner": str(practitioner.pk),
            "location": str(location.pk),
            "appointment_types": [str(visit.pk)],
            "active": "on",
        }
    )
    add_rule_row(
        data, weekday="4", start_time="08:00", end_time="10:00", slot_minutes="20", capacity="1"
    )

    response = admin_client.post("/admin/providers/practitionerrole/add/", data)

    assert response.status_code == 302
    role = PractitionerRole.objects.get()
    assert list(role.appointment_types.all()) == [visit]
    assert role.rules.get().weekday == 4
    # One for the new role, one for its rules.
    assert len(emitted("providers.AvailabilityChanged")) == 2


def test_unticking_active_deactivates_the_role(admin_client, emitted):
    role = PractitionerRoleFactory()
    url = f"/admin/providers/practitionerrole/{role.pk}/change/"
    data = form_data(admin_client.get(url))
    del data["active"]

    response = admin_client.post(url, data)

    assert response.status_code == 302
    role.refresh_from_db()
    assert not role.active
    assert len(emitted("providers.AvailabilityChanged")) == 1


def test_a_location_with_a_bad_time_zone_is_refused_on_its_field(admin_client):
    data = {"name": "East", "timezone": "Eastern", "country": "US", "active": "on"}

    response = admin_client.post("/admin/providers/location/add/", data)

    assert response.status_code == 200
    assert "timezone" in response.context["adminform"].form.errors
    assert not Location.objects.exists()


def test_adding_a_location_emits_location_changed(admin_client, admin_user, emitted):
    data = {"name": "East", "timezone": "America/New_York", "country": "us", "active": "on"}

    response = admin_client.post("/admin/providers/location/add/", data)

    assert response.status_code == 302
    location = Location.objects.get()
    assert (location.country, location.created_by) == ("US", admin_user)
    assert emitted("providers.LocationChanged")[0]["location_id"] == location.pk


def practitioner_post(**fields: Any) -> dict[str, Any]:
    return {
        "prefix": "Dr.",
        "given_name": "Ada",
        "family_name": "Okafor",
        "qualifications": "MD",
        "languages": "en,fr",
        "bio": "",
        "active": "on",
        **fields,
    }


def test_adding_a_practitioner_sets_specialties_through_the_service(admin_client, emitted):
    cardiology = Specialty.objects.get(code="cardiology")

    response = admin_client.post(
        "/admin/providers/practitioner/add/", practitioner_post(specialties=[str(cardiology.pk)])
    )

    assert response.status_code == 302
    practitioner = Practitioner.objects.get()
    assert list(practitioner.specialties.all()) == [cardiology]
    assert practitioner.languages == ["en", "fr"]
    assert emitted("providers.PractitionerChanged")[0]["specialty_codes"] == ["cardiology"]


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"languages": "en,english"}, "languages"),
        ({"user": "front_desk"}, "user"),
    ],
)
def test_a_practitioner_refused_by_the_service_shows_the_field(admin_client, fields, bad_field):
    if fields.get("user") == "front_desk":
        fields = {"user": str(user_in_role(Role.FRONT_DESK).pk)}

    response = admin_client.post("/admin/providers/practitioner/add/", practitioner_post(**fields))

    assert response.status_code == 200
    assert bad_field in response.context["adminform"].form.errors
    assert not Practitioner.objects.exists()


def test_staff_assignments_are_added_and_removed_through_the_services(admin_client, emitted):
    desk, location = user_in_role(Role.FRONT_DESK), LocationFactory()

    added = admin_client.post(
        "/admin/providers/staffassignment/add/",
        {"user": str(desk.pk), "location": str(location.pk)},
    )
    assignment = StaffAssignment.objects.get()
    removed = admin_client.post(
        f"/admin/providers/staffassignment/{assignment.pk}/delete/", {"post": "yes"}
    )

    assert (added.status_code, removed.status_code) == (302, 302)
    assert not StaffAssignment.objects.exists()
    assert [p["assigned"] for p in emitted("providers.StaffAssignmentChanged")] == [True, False]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/providers/location/",
        "/admin/providers/practitioner/",
        "/admin/providers/specialty/",
        "/admin/providers/appointmenttype/",
        "/admin/providers/practitionerrole/",
        "/admin/providers/staffassignment/",
        "/admin/providers/location/add/",
        "/admin/providers/practitioner/add/",
        "/admin/providers/specialty/add/",
        "/admin/providers/appointmenttype/add/",
        "/admin/providers/practitionerrole/add/",
        "/admin/providers/staffassignment/add/",
    ],
)
def test_every_page_renders(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_a_rule_added_by_someone_else_meanwhile_is_reported_not_a_server_error(
    admin_client, emitted
):
    role = PractitionerRoleFactory()
    url = f"/admin/providers/practitionerrole/{role.pk}/change/"
    data = form_data(admin_client.get(url))
    # Another admin saves Monday 09:00-12:00 after this form was loaded.
    AvailabilityRuleFactory(role=role, weekday=0, start_time=dt.time(9), end_time=dt.time(12))
    add_rule_row(
        data, weekday="0", start_time="10:00", end_time="11:00", slot_minutes="20", capacity="1"
    )

    response = admin_client.post(url, data, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert "Overlaps the Monday hours 09:00-12:00" in response.content.decode()
    assert AvailabilityRule.objects.filter(role=role).count() == 1
    assert emitted("providers.AvailabilityChanged") == []
