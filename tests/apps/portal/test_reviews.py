"""Review queues: pending registrations, unverified patient-reported allergies of my patients,
and bookings flagged by an allergy trigger, each cleared by its action through the service."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.contracts import Role
from apps.allergies.models import AllergyIntolerance, Substance
from apps.patients.models import Patient
from apps.scheduling.models import Appointment
from tests.factories.allergies import AllergyFactory
from tests.factories.patients import PatientFactory
from tests.factories.providers import AppointmentTypeFactory, PractitionerRoleFactory
from tests.factories.scheduling import AppointmentFactory, SlotFactory, next_weekday_at

pytestmark = pytest.mark.django_db

URL = "/staff/reviews/"


@pytest.fixture
def role():
    # A visit type whose amoxicillin trigger reaches a penicillins allergy (same class)
    visit = AppointmentTypeFactory(name="Antibiotic infusion", allergen_triggers=["amoxicillin"])
    return PractitionerRoleFactory(appointment_types=[visit])


def _visit(role, *, hour: int = 14, days_ahead: int = 7, **fields) -> Appointment:
    start = next_weekday_at(hour % 24, days_ahead=days_ahead + hour // 24)
    return AppointmentFactory(slot=SlotFactory(role=role, start=start), **fields)


def _pending_registration() -> Patient:
    return PatientFactory(review_status="pending")


def _reported_allergy(role, hour: int = 9) -> AllergyIntolerance:
    """An unverified patient-reported allergy of a patient seen at the role's location."""
    patient = _visit(role, hour=hour, days_ahead=3).patient
    return AllergyFactory(
        patient=patient,
        asserted_by="patient",
        verification_status="unconfirmed",
        substance=Substance.objects.get(code="ampicillin"),
    )


def _flagged_booking(role, hour: int = 14) -> Appointment:
    """A patient's own booking flagged because the visit's trigger reaches their allergy."""
    appointment = _visit(role, hour=hour, channel="patient", needs_allergy_review=True)
    AllergyFactory(patient=appointment.patient)  # penicillins, confirmed, high
    return appointment


def test_each_queue_lists_its_items(staff_client, role):
    # Given a pending registration, a reported allergy of my patient and of someone else's, and
    # flagged bookings here and at a location I do not work at
    registration = _pending_registration()
    mine = _reported_allergy(role)
    other_role = PractitionerRoleFactory(appointment_types=[role.appointment_types.first()])
    not_mine = _reported_allergy(other_role)
    flagged = _flagged_booking(role)
    elsewhere = _flagged_booking(other_role)
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    # When I open the queues
    response = client.get(URL)

    # Then each lists what is mine to clear, with what deciding needs
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="registration-{registration.id}"' in page
    assert registration.email in page
    assert registration.birth_date.isoformat() in page
    assert f'id="allergy-{mine.id}"' in page
    assert mine.patient.family_name in page
    assert "Ampicillin" in page
    assert f'id="allergy-{not_mine.id}"' not in page
    assert f'id="booking-{flagged.id}"' in page
    assert "Penicillins" in page and "Antibiotic infusion" in page
    assert f'id="booking-{elsewhere.id}"' not in page
    # and a clinician has every action
    assert f"/staff/reviews/registrations/{registration.id}/approve/" in page
    assert f"/staff/reviews/allergies/{mine.id}/confirm/" in page
    assert f"/staff/reviews/allergies/{mine.id}/refute/" in page
    assert f"/staff/reviews/appointments/{flagged.id}/reviewed/" in page


def test_empty_queues_say_so(staff_client, role):
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    page = client.get(URL).content.decode()

    assert "No self-registrations are waiting for approval." in page
    assert "No patient-reported allergies of your patients are waiting" in page
    assert "No bookings at your locations are waiting for an allergy review." in page


def test_approving_a_registration_clears_it(staff_client, role):
    # Given a pending self-registration
    registration = _pending_registration()
    client, user = staff_client(Role.FRONT_DESK, locations=[role.location])

    # When the front desk approves it with a plain form post
    response = client.post(f"/staff/reviews/registrations/{registration.id}/approve/", follow=True)

    # Then the patient is approved by them and the queue no longer lists it
    registration.refresh_from_db()
    assert registration.review_status == "approved"
    assert registration.updated_by_id == user.id
    assert response.redirect_chain[-1][0] == URL
    page = response.content.decode()
    assert "The registration was approved" in page
    assert f'id="registration-{registration.id}"' not in page


def test_approving_twice_says_why_it_is_refused(staff_client, role):
    registration = PatientFactory(review_status="approved")
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    response = client.post(
        f"/staff/reviews/registrations/{registration.id}/approve/",
        headers={"HX-Request": "true"},
    )

    assert response["HX-Reswap"] == "none"
    assert "not waiting for review" in response.content.decode()


@pytest.mark.parametrize(("action", "status"), [("confirm", "confirmed"), ("refute", "refuted")])
def test_a_clinician_verifies_a_reported_allergy_in_place(staff_client, role, action, status):
    # Given a reported allergy of my patient
    allergy = _reported_allergy(role)
    client, user = staff_client(Role.CLINICIAN, locations=[role.location])

    # When I confirm or refute it from the queue with htmx
    response = client.post(
        f"/staff/reviews/allergies/{allergy.id}/{action}/", headers={"HX-Request": "true"}
    )

    # Then the service recorded it, the row goes (no row in the answer) and the outcome is said
    assert response.status_code == 200
    body = response.content.decode()
    assert "<tr" not in body
    assert 'hx-swap-oob="true"' in body and "message-success" in body
    allergy.refresh_from_db()
    assert allergy.verification_status == status
    assert allergy.updated_by_id == user.id
    assert f'id="allergy-{allergy.id}"' not in client.get(URL).content.decode()


def test_the_front_desk_sees_reported_allergies_but_cannot_verify_them(staff_client, role):
    # Given a reported allergy and a flagged booking at my location
    allergy = _reported_allergy(role)
    flagged = _flagged_booking(role)
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    # When the front desk opens the queues
    page = client.get(URL).content.decode()

    # Then both are listed without the clinicians' buttons, the booking with a way to its day
    assert f'id="allergy-{allergy.id}"' in page
    assert f"/staff/reviews/allergies/{allergy.id}/confirm/" not in page
    assert f"/staff/reviews/allergies/{allergy.id}/refute/" not in page
    assert f'id="booking-{flagged.id}"' in page
    assert f"/staff/reviews/appointments/{flagged.id}/reviewed/" not in page
    assert f"#appointment-{flagged.id}" in page

    # And posting the actions anyway is refused, changing nothing
    for url in (
        f"/staff/reviews/allergies/{allergy.id}/confirm/",
        f"/staff/reviews/allergies/{allergy.id}/refute/",
        f"/staff/reviews/appointments/{flagged.id}/reviewed/",
    ):
        response = client.post(url)
        assert response.status_code == 403
        assert "clinician" in response.content.decode()
    allergy.refresh_from_db()
    flagged.refresh_from_db()
    assert allergy.verification_status == "unconfirmed"
    assert flagged.needs_allergy_review is True


def test_a_clinician_cannot_verify_an_allergy_outside_their_care(staff_client, role):
    # Given a reported allergy of a patient seen only at another location
    allergy = _reported_allergy(PractitionerRoleFactory())
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.post(f"/staff/reviews/allergies/{allergy.id}/confirm/")

    assert response.status_code == 403
    assert "no care relationship with this patient" in response.content.decode()
    allergy.refresh_from_db()
    assert allergy.verification_status == "unconfirmed"


def test_marking_a_flagged_booking_reviewed_clears_the_flag(staff_client, role):
    flagged = _flagged_booking(role)
    client, user = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.post(f"/staff/reviews/appointments/{flagged.id}/reviewed/", follow=True)

    flagged.refresh_from_db()
    assert flagged.needs_allergy_review is False
    assert flagged.allergy_reviewed_by_id == user.id
    page = response.content.decode()
    assert "The booking was marked as reviewed." in page
    assert f'id="booking-{flagged.id}"' not in page


def test_a_booking_at_another_location_cannot_be_marked_reviewed(staff_client, role):
    flagged = _flagged_booking(PractitionerRoleFactory())
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.post(f"/staff/reviews/appointments/{flagged.id}/reviewed/")

    assert response.status_code == 403
    flagged.refresh_from_db()
    assert flagged.needs_allergy_review is True


@pytest.mark.parametrize("queue", ["registrations", "allergies", "bookings"])
def test_the_queues_render_with_the_same_number_of_queries_for_2_and_8_items(
    staff_client, role, queue
):
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])
    add = {
        "registrations": lambda index: _pending_registration(),
        "allergies": lambda index: _reported_allergy(role, hour=8 + index),
        "bookings": lambda index: _flagged_booking(role, hour=8 + index),
    }[queue]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(URL).content.decode()
        return len(queries), page

    items = [add(index) for index in range(2)]
    small, _ = count()
    items += [add(index) for index in range(2, 8)]
    large, page = count()
    assert large == small
    assert page.count('<tr id="') == len(items)
