"""Today: the day's schedule at the user's locations, and the actions that update a row."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts.contracts import Role
from apps.scheduling.models import Appointment
from tests.factories.accounts import user_in_role
from tests.factories.allergies import AllergyFactory
from tests.factories.providers import AppointmentTypeFactory, PractitionerRoleFactory
from tests.factories.scheduling import AppointmentFactory, SlotFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2030, 1, 7)  # a Monday
NEW_YORK = ZoneInfo("America/New_York")


def _appointment(role, hour: int, *, day: dt.date = DAY, **fields) -> Appointment:
    zone = ZoneInfo(role.location.timezone)
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
    slot = SlotFactory(role=role, start=start, end=start + dt.timedelta(minutes=30))
    return AppointmentFactory(slot=slot, **fields)


@pytest.fixture
def role():
    visit = AppointmentTypeFactory(code="visit", name="Consultation", duration_minutes=20)
    role = PractitionerRoleFactory(appointment_types=[visit])
    role.location.timezone = "America/New_York"
    role.location.save()
    return role


def test_today_lists_the_days_appointments_at_my_locations_in_local_time(staff_client, role):
    # Given a 09:00 New York visit of a patient with a high-criticality allergy, a 23:30 visit
    # (the next day in UTC, still today in New York), and a visit at a location I do not work at
    early = _appointment(role, 9)
    AllergyFactory(patient=early.patient, criticality="high")
    late = _appointment(role, 23)
    elsewhere = _appointment(
        PractitionerRoleFactory(appointment_types=[role.appointment_types.first()]), 10
    )
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    # When I open the day
    page = client.get(f"/staff/?date={DAY.isoformat()}").content.decode()

    # Then both of my location's visits are there, at local times, with the allergy flag
    assert f'id="appointment-{early.id}"' in page
    assert f'id="appointment-{late.id}"' in page
    assert f'id="appointment-{elsewhere.id}"' not in page
    assert ">09:00<" in page and ">23:00<" in page
    assert "Allergy: high" in page
    assert early.patient.family_name in page


def test_checking_in_updates_the_row_in_place(staff_client, role):
    appointment = _appointment(role, 10)
    client, user = staff_client(Role.FRONT_DESK, locations=[role.location])

    response = client.post(
        f"/staff/appointments/{appointment.id}/check-in/", headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="appointment-{appointment.id}"')
    assert "checked-in" in body
    appointment.refresh_from_db()
    assert appointment.status == "checked-in"
    assert appointment.updated_by_id == user.id


def test_cancelling_takes_the_prompted_reason(staff_client, role):
    appointment = _appointment(role, 11)
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    client.post(
        f"/staff/appointments/{appointment.id}/cancel/",
        headers={"HX-Request": "true", "HX-Prompt": "Patient called in sick"},
    )

    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancellation_reason == "Patient called in sick"


def test_a_refused_transition_is_explained_in_the_row(staff_client, role):
    # A no-show before the visit has started is refused by the service
    appointment = _appointment(role, 12, day=dt.date.today() + dt.timedelta(days=3))
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    response = client.post(
        f"/staff/appointments/{appointment.id}/no-show/", headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "cannot be a no-show before it starts" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_without_htmx_an_action_redirects_back_with_a_message(staff_client, role):
    appointment = _appointment(role, 10)
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.post(f"/staff/appointments/{appointment.id}/arrive/", follow=True)

    assert response.redirect_chain[-1][0] == "/staff/"
    assert "The appointment was updated." in response.content.decode()


def test_an_appointment_at_another_location_cannot_be_changed(staff_client, role):
    appointment = _appointment(role, 10)
    client, _ = staff_client(Role.FRONT_DESK, locations=[])

    response = client.post(f"/staff/appointments/{appointment.id}/check-in/")

    assert response.status_code == 403
    assert "not assigned to" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_a_patient_login_is_not_let_into_the_portal():
    client = Client()
    client.force_login(user_in_role(Role.PATIENT))

    response = client.get("/staff/")

    assert response.status_code == 403
    assert "not a staff account" in response.content.decode()


def test_the_day_renders_with_the_same_number_of_queries_for_2_and_12_visits(staff_client, role):
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])
    url = f"/staff/?date={DAY.isoformat()}"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for hour in (8, 9):
        AllergyFactory(patient=_appointment(role, hour).patient)
    small = count()
    for hour in range(10, 20):
        _appointment(role, hour)
    assert count() == small
