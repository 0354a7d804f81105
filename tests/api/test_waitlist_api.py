"""/api/v1/me/waitlist/: join, list, leave, and accept an offered place."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.scheduling import services
from apps.scheduling.contracts import BookingChannel
from apps.scheduling.models import Appointment, WaitlistEntry
from tests.apps.scheduling.conftest import clinic  # noqa: F401  (fixture)
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/waitlist/"


def _join_body(clinic, **overrides) -> dict:  # noqa: F811
    today = timezone.localdate()
    return {
        "appointment_type": clinic.visit.id,
        "practitioner": clinic.role.practitioner_id,
        "date_from": today.isoformat(),
        "date_to": (today + dt.timedelta(days=30)).isoformat(),
        **overrides,
    }


def _entry(clinic, patient) -> WaitlistEntry:  # noqa: F811
    today = timezone.localdate()
    return services.waitlist_join(
        patient_id=patient.id,
        appointment_type_id=clinic.visit.id,
        practitioner_id=clinic.role.practitioner_id,
        date_from=today,
        date_to=today + dt.timedelta(days=30),
    )


def _offered(clinic, patient) -> WaitlistEntry:  # noqa: F811
    """The patient waits; someone else's booking in a slot is cancelled, so it is offered."""
    entry = _entry(clinic, patient)
    slot = clinic.slot()
    appointment = services.appointment_book(
        patient_id=PatientFactory().id,
        slot_id=slot.id,
        appointment_type_id=clinic.visit.id,
        channel=BookingChannel.STAFF,
        booked_by_id=clinic.staff_id,
    ).appointment
    services.appointment_cancel(appointment_id=appointment.id, by_id=clinic.staff_id)
    entry.refresh_from_db()
    assert entry.status == "offered"
    return entry


def test_a_patient_joins_and_sees_the_entry(api_a, patient_a, clinic):  # noqa: F811
    response = api_a.post(URL, _join_body(clinic, patient=PatientFactory().id), format="json")

    assert response.status_code == 201, response.content
    entry = WaitlistEntry.objects.get()
    assert entry.patient_id == patient_a.id
    body = response.json()
    assert body["status"] == "waiting"
    assert body["practitioner"]["id"] == clinic.role.practitioner_id
    assert body["specialty"] is None
    assert body["offer"] is None
    assert [row["id"] for row in api_a.get(URL).json()["results"]] == [entry.id]


def test_a_patient_joins_by_specialty(api_a, clinic):  # noqa: F811
    body = _join_body(clinic, practitioner=None, specialty="family-medicine")

    response = api_a.post(URL, body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["specialty"] == {"code": "family-medicine", "name": "Family medicine"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"practitioner": None}, "practitioner"),
        ({"practitioner": 999999}, "practitioner"),
        ({"practitioner": None, "specialty": "astrology"}, "specialty"),
        ({"appointment_type": 999999}, "appointment_type"),
        ({"location": 999999}, "location"),
        ({"date_to": "2001-01-01"}, "date_to"),
        ({"date_from": "soon"}, "date_from"),
    ],
)
def test_invalid_waitlist_input_names_the_field(api_a, clinic, overrides, field):  # noqa: F811
    response = api_a.post(URL, _join_body(clinic, **overrides), format="json")

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in {error["field"] for error in response.json()["errors"]}
    assert not WaitlistEntry.objects.exists()


def test_a_patient_leaves_the_waitlist(api_a, patient_a, clinic):  # noqa: F811
    entry = _entry(clinic, patient_a)

    response = api_a.delete(f"{URL}{entry.id}/")

    assert response.status_code == 204
    entry.refresh_from_db()
    assert entry.status == "cancelled"


def test_an_offered_patient_accepts_the_place(api_a, patient_a, clinic):  # noqa: F811
    entry = _offered(clinic, patient_a)
    listed = api_a.get(URL).json()["results"][0]
    assert listed["offer"]["slot"] == entry.offered_slot_id
    assert listed["offer"]["timezone"] == "America/New_York"

    response = api_a.post(f"{URL}{entry.id}/accept/")

    assert response.status_code == 201, response.content
    appointment = Appointment.objects.get(id=response.json()["id"])
    assert (appointment.patient_id, appointment.slot_id) == (patient_a.id, entry.offered_slot_id)
    entry.refresh_from_db()
    assert entry.status == "booked"


def test_accepting_a_lapsed_offer_is_a_409(api_a, patient_a, clinic):  # noqa: F811
    entry = _offered(clinic, patient_a)
    WaitlistEntry.objects.filter(id=entry.id).update(
        offer_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    response = api_a.post(f"{URL}{entry.id}/accept/")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "waitlist_offer_expired"
    assert not Appointment.objects.filter(patient=patient_a).exists()


def test_an_offer_the_sweep_expired_is_no_longer_open(api_a, patient_a, clinic):  # noqa: F811
    entry = _offered(clinic, patient_a)
    services.waitlist_expire_offers(now=timezone.now() + dt.timedelta(hours=3))

    response = api_a.post(f"{URL}{entry.id}/accept/")

    assert response.status_code == 404
    assert response.json()["code"] == "waitlist_entry_not_found"


@pytest.mark.parametrize("route", ["delete", "accept"])
def test_another_patients_entry_is_404(api_a, patient_b, clinic, route):  # noqa: F811
    entry = _offered(clinic, patient_b)

    if route == "delete":
        response = api_a.delete(f"{URL}{entry.id}/")
    else:
        response = api_a.post(f"{URL}{entry.id}/accept/")

    assert response.status_code == 404
    assert response.json()["code"] == "waitlist_entry_not_found"
    entry.refresh_from_db()
    assert entry.status == "offered"


@pytest.mark.parametrize("rows", [1, 50])
def test_the_list_costs_the_same_queries_at_any_size(
    api_a,
    patient_a,
    clinic,  # noqa: F811
    django_assert_num_queries,
    rows,
):
    for _ in range(rows):
        _entry(clinic, patient_a)

    with django_assert_num_queries(3):  # user, entries with their references, access log
        response = api_a.get(f"{URL}?page_size=50")

    assert len(response.json()["results"]) == rows
