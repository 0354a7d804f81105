"""No patient can reach another's data: every /me/ and object route, walked from the resolver."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from apps.scheduling.models import Appointment, WaitlistEntry
from tests.apps.scheduling.conftest import clinic  # noqa: F401 - the fixture
from tests.factories.allergies import AllergyFactory
from tests.factories.scheduling import AppointmentFactory

pytestmark = pytest.mark.django_db

# (method, route) -> how patient A asks for patient B's object; each must answer 404.
OBJECT_ROUTES = {
    ("get", "api/v1/me/appointments/<int:appointment_id>/"): {},
    ("post", "api/v1/me/appointments/<int:appointment_id>/cancel/"): {"reason": "x"},
    ("post", "api/v1/me/appointments/<int:appointment_id>/reschedule/"): {"slot": "free_slot"},
    ("delete", "api/v1/me/waitlist/<int:entry_id>/"): {},
    ("post", "api/v1/me/waitlist/<int:entry_id>/accept/"): {},
}
# /me/ routes without an object id: what A sees there must never include B's records.
OWN_COLLECTIONS = {
    ("get", "api/v1/me/"),
    ("patch", "api/v1/me/"),
    ("get", "api/v1/me/allergies/"),
    ("post", "api/v1/me/allergies/"),
    ("get", "api/v1/me/appointments/"),
    ("post", "api/v1/me/appointments/"),
    ("get", "api/v1/me/waitlist/"),
    ("post", "api/v1/me/waitlist/"),
    # tests/api/test_access_log_api.py shows a patient sees only their own record's accesses.
    ("get", "api/v1/me/access-log/"),
    # The notifications service's; tests/extracted/notifications/test_preferences_api.py
    # shows a patient reads and replaces only their own.
    ("get", "api/v1/me/notification-preferences/"),
    ("put", "api/v1/me/notification-preferences/"),
}
# Object routes over the clinic's public directory, not anyone's record.
PUBLIC_OBJECTS = {("get", "api/v1/providers/<int:practitioner_id>/")}


def _routes(patterns=None, prefix: str = ""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "view_class", None)
            for method in ("get", "post", "put", "patch", "delete"):
                if view is not None and hasattr(view, method):
                    yield method, prefix + str(pattern.pattern)


def test_every_me_and_object_route_is_covered_by_the_cross_patient_test():
    needing_cover = {
        (method, route)
        for method, route in _routes()
        if route.startswith("api/v1/") and ("me/" in route or "<" in route)
    }

    assert needing_cover - set(OBJECT_ROUTES) - OWN_COLLECTIONS - PUBLIC_OBJECTS == set()


@pytest.fixture
def b_records(clinic, patient_b):  # noqa: F811 - pytest fixture injection
    appointment = AppointmentFactory(patient=patient_b, slot=clinic.slot(days_ahead=9))
    offered_slot = clinic.slot(hour=16, days_ahead=9)
    entry = WaitlistEntry.objects.create(
        patient=patient_b,
        practitioner_id=clinic.role.practitioner_id,
        appointment_type=clinic.visit,
        date_from=timezone.localdate(),
        date_to=timezone.localdate() + dt.timedelta(days=30),
        status="offered",
        offered_slot=offered_slot,
        offer_expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    allergy = AllergyFactory(patient=patient_b)
    return {
        "appointment_id": appointment.id,
        "entry_id": entry.id,
        "allergy_id": allergy.id,
        "free_slot": clinic.slot(hour=18, days_ahead=10).id,
    }


@pytest.mark.parametrize(("method", "route"), sorted(OBJECT_ROUTES))
def test_another_patients_object_is_404(api_a, b_records, method, route):
    url = "/" + route.replace("<int:appointment_id>", str(b_records["appointment_id"])).replace(
        "<int:entry_id>", str(b_records["entry_id"])
    )
    body = {
        key: b_records.get(value, value) for key, value in OBJECT_ROUTES[(method, route)].items()
    }
    before = (
        list(Appointment.objects.order_by("id").values_list("id", "status")),
        list(WaitlistEntry.objects.order_by("id").values_list("id", "status")),
    )

    response = getattr(api_a, method)(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/problem+json"
    after = (
        list(Appointment.objects.order_by("id").values_list("id", "status")),
        list(WaitlistEntry.objects.order_by("id").values_list("id", "status")),
    )
    assert after == before


def test_own_lists_never_show_another_patients_records(api_a, patient_a, patient_b, b_records):
    me = api_a.get("/api/v1/me/").json()
    listed = {
        path: str(api_a.get(path).json())
        for path in ("/api/v1/me/allergies/", "/api/v1/me/appointments/", "/api/v1/me/waitlist/")
    }

    assert me["mrn"] == patient_a.mrn
    assert patient_b.mrn not in str(me)
    for body in listed.values():
        assert f"'id': {b_records['appointment_id']}," not in body
        assert f"'id': {b_records['entry_id']}," not in body
        assert f"'id': {b_records['allergy_id']}," not in body


def test_no_patient_id_is_taken_from_the_client(api_a, patient_a, patient_b):
    api_a.patch("/api/v1/me/", {"patient": patient_b.id, "id": patient_b.id}, format="json")

    assert api_a.get("/api/v1/me/").json()["mrn"] == patient_a.mrn
