"""The change history page of a patient: who changed what and when across the record, allergies
and appointments, newest first, paginated, for staff caring for the patient only."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.contracts import Role
from apps.allergies import public as allergies
from apps.allergies.contracts import AllergyType, AssertedBy, Criticality
from apps.patients import public as patients
from apps.patients.models import Patient
from apps.portal.views.changes import CHANGES_PER_PAGE, NO_ONE
from apps.scheduling import public as scheduling
from apps.scheduling.contracts import BookingChannel
from tests.factories.accounts import user_in_role
from tests.factories.patients import PatientFactory, registered_patient
from tests.factories.providers import AppointmentTypeFactory, PractitionerRoleFactory
from tests.factories.scheduling import SlotFactory

pytestmark = pytest.mark.django_db

_HOURS = itertools.count()


@pytest.fixture
def role():
    visit = AppointmentTypeFactory(code="visit", name="Consultation", duration_minutes=20)
    return PractitionerRoleFactory(appointment_types=[visit])


def _book(role, patient: Patient, *, by_id: int | None) -> int:
    """A booking through the service at the role's location: it puts the patient in the care
    of staff working there, and it is a change of its own."""
    start = (timezone.now() + dt.timedelta(days=3)).replace(
        minute=0, second=0, microsecond=0
    ) + dt.timedelta(hours=next(_HOURS))
    slot = SlotFactory(role=role, start=start, end=start + dt.timedelta(minutes=30))
    return scheduling.appointment_book(
        patient_id=patient.id,
        slot_id=slot.id,
        appointment_type_id=role.appointment_types.first().id,
        channel=BookingChannel.STAFF,
        booked_by_id=by_id,
    ).appointment.id


def _url(patient: Patient) -> str:
    return f"/staff/patients/{patient.id}/changes/"


def _rows(page: str) -> list[str]:
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return re.findall(r"<tr>.*?</tr>", body, re.S)


@pytest.mark.parametrize("viewer", [Role.CLINICIAN, Role.FRONT_DESK])
def test_staff_in_care_see_who_changed_what_newest_first(staff_client, role, viewer):
    client, _ = staff_client(viewer, locations=[role.location])
    editor = user_in_role(Role.FRONT_DESK, display_name="Frank Frontdesk")
    clinician = user_in_role(Role.CLINICIAN, display_name="Dr. Cleo Clinician")
    patient = registered_patient(given_name="Eve", city="Boston")
    _book(role, patient, by_id=editor.id)
    patients.patient_update(patient_id=patient.id, updated_by_id=editor.id, given_name="Evelyn")
    allergies.allergy_record(
        patient_id=patient.id,
        substance_code="latex",
        type=AllergyType.ALLERGY,
        criticality=Criticality.HIGH,
        asserted_by=AssertedBy.STAFF,
        recorder_id=clinician.id,
    )

    response = client.get(_url(patient))

    assert response.status_code == 200
    page = response.content.decode()
    rows = _rows(page)
    assert len(rows) == 4  # registered, booked, renamed, allergy recorded
    assert "Allergy entry: Natural rubber latex" in rows[0] and "Dr. Cleo Clinician" in rows[0]
    assert "Patient record" in rows[1] and "Frank Frontdesk" in rows[1]
    assert re.search(r"Given name:</strong>\s*<del>Eve</del> &rarr; <ins>Evelyn</ins>", rows[1])
    assert "Consultation on" in rows[2] and "created" in rows[2]
    assert NO_ONE in rows[3]  # registered by no one: the factory's service call named no user
    assert "<script>" not in page and "style=" not in page


def test_a_patient_outside_my_care_is_refused_without_a_word_of_their_record(staff_client, role):
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])
    patient = registered_patient(family_name="Hidden-Name", city="Secretville")
    _book(PractitionerRoleFactory(), patient, by_id=None)  # seen elsewhere

    response = client.get(_url(patient))

    assert response.status_code == 403
    page = response.content.decode()
    assert "no care relationship with this patient" in page
    assert "Hidden-Name" not in page and "Secretville" not in page


def test_an_unknown_patient_is_refused_like_one_outside_my_care(staff_client, role):
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    assert client.get("/staff/patients/999999/changes/").status_code == 403


def test_signing_in_is_required(client, role):
    patient = PatientFactory()

    response = client.get(_url(patient))

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")


def test_the_chart_links_to_the_changes(staff_client, role):
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])
    patient = PatientFactory()
    _book(role, patient, by_id=None)

    chart = client.get(f"/staff/patients/{patient.id}/").content.decode()

    assert f'href="{_url(patient)}"' in chart


def test_long_histories_are_paginated_newest_first(staff_client, role):
    client, user = staff_client(Role.FRONT_DESK, locations=[role.location])
    patient = PatientFactory()
    _book(role, patient, by_id=user.id)
    for index in range(CHANGES_PER_PAGE + 2):
        patients.patient_update(patient_id=patient.id, updated_by_id=user.id, city=f"C{index}")
    total = 1 + 1 + CHANGES_PER_PAGE + 2  # the factory's creation, the booking, the edits

    first = client.get(_url(patient)).content.decode()
    second = client.get(_url(patient) + "?page=2").content.decode()

    assert len(_rows(first)) == CHANGES_PER_PAGE
    assert f"<ins>C{CHANGES_PER_PAGE + 1}</ins>" in _rows(first)[0]
    assert 'href="?page=2"' in first
    assert len(_rows(second)) == total - CHANGES_PER_PAGE
    assert "Consultation on" in second and 'href="?page=1"' in second


def test_the_page_takes_the_same_number_of_queries_for_few_and_many_changes(staff_client, role):
    client, user = staff_client(Role.CLINICIAN, locations=[role.location])
    others = [user_in_role(Role.CLINICIAN) for _ in range(4)]
    patient = PatientFactory()
    _book(role, patient, by_id=user.id)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(patient)).status_code == 200
        return len(queries)

    def add(n: int, first: int) -> None:
        for index in range(first, first + n):
            actor = others[index % len(others)]
            patients.patient_update(patient_id=patient.id, updated_by_id=actor.id, city=f"C{index}")
            entry = allergies.allergy_record(
                patient_id=patient.id,
                substance_code=None,
                substance_text=f"Thing {index}",
                type=AllergyType.ALLERGY,
                criticality=Criticality.LOW,
                asserted_by=AssertedBy.STAFF,
                recorder_id=actor.id,
            )
            allergies.allergy_refute(allergy_id=entry.id, by_id=actor.id)
            _book(role, patient, by_id=actor.id)

    add(1, 0)
    small = count()
    add(6, 1)
    assert count() == small
