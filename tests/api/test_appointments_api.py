"""/api/v1/me/appointments/: list, read, book (idempotent), cancel, reschedule."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.patients.contracts import ReviewStatus
from apps.scheduling.models import Appointment, BookingRequest, Slot
from tests.apps.scheduling.conftest import clinic  # noqa: F401  (fixture)
from tests.factories.allergies import AllergyFactory, substance
from tests.factories.scheduling import AppointmentFactory, SlotFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/me/appointments/"


def _detail(appointment_id: int, action: str = "") -> str:
    return f"{LIST_URL}{appointment_id}/" + (f"{action}/" if action else "")


def _book(api, slot, kind, *, key: str = "key-1", reason: str = "Knee pain", **extra):
    body = {"slot": slot.id, "appointment_type": kind.id, "reason": reason, **extra}
    return api.post(LIST_URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def _assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    return body


# --- booking --------------------------------------------------------------------------------


def test_a_patient_books_a_slot_and_sees_it_in_the_location_time(api_a, patient_a, clinic):  # noqa: F811
    slot = clinic.slot(hour=18)

    response = _book(api_a, slot, clinic.visit)

    assert response.status_code == 201, response.content
    body = response.json()
    appointment = Appointment.objects.get(id=body["id"])
    assert (appointment.patient_id, appointment.channel, appointment.status) == (
        patient_a.id,
        "patient",
        "booked",
    )
    assert appointment.created_by_id == patient_a.user_id
    local = slot.start.astimezone(ZoneInfo("America/New_York"))
    assert body["start"] == local.isoformat()
    assert body["start"].endswith(("-04:00", "-05:00"))
    assert body["timezone"] == "America/New_York"
    assert body["practitioner"] == {
        "id": clinic.role.practitioner_id,
        "name": str(clinic.role.practitioner),
    }
    assert body["location"] == {"id": clinic.location.id, "name": clinic.location.name}
    assert body["appointment_type"] == {"id": clinic.visit.id, "name": "Follow-up visit"}
    assert body["allergy_review"] == {"required": False, "message": None}


def test_replaying_the_idempotency_key_returns_the_first_booking(api_a, clinic):  # noqa: F811
    slot = clinic.slot()
    first = _book(api_a, slot, clinic.visit, key="same")

    again = _book(api_a, slot, clinic.visit, key="same")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Appointment.objects.count() == 1


def test_the_same_key_for_another_request_is_a_conflict(api_a, clinic):  # noqa: F811
    _book(api_a, clinic.slot(hour=14), clinic.visit, key="same")

    response = _book(api_a, clinic.slot(hour=16), clinic.visit, key="same")

    _assert_problem(response, 409, "idempotency_mismatch")
    assert Appointment.objects.count() == 1


def test_a_booking_without_idempotency_key_is_refused_naming_the_header(api_a, clinic):  # noqa: F811
    slot = clinic.slot()

    response = api_a.post(
        LIST_URL, {"slot": slot.id, "appointment_type": clinic.visit.id}, format="json"
    )

    body = _assert_problem(response, 400, "validation_error")
    assert [error["field"] for error in body["errors"]] == ["Idempotency-Key"]
    assert not Appointment.objects.exists()


def test_a_taken_slot_is_a_conflict(api_a, api_b, clinic):  # noqa: F811
    slot = clinic.slot()
    assert _book(api_b, slot, clinic.visit).status_code == 201

    _assert_problem(_book(api_a, slot, clinic.visit), 409, "slot_unavailable")


def test_an_overlapping_booking_is_a_conflict(api_a, clinic):  # noqa: F811
    _book(api_a, clinic.slot(), clinic.visit, key="a")
    other = clinic.slot(role=clinic.other_role())

    _assert_problem(_book(api_a, other, clinic.visit, key="b"), 409, "patient_overlap")


def test_a_patient_pending_review_cannot_book(api_a, patient_a, clinic):  # noqa: F811
    patient_a.review_status = ReviewStatus.PENDING
    patient_a.save(update_fields=["review_status"])

    _assert_problem(_book(api_a, clinic.slot(), clinic.visit), 403, "patient_pending_review")
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"appointment_type": 1}, "slot"),
        ({"slot": "soon", "appointment_type": 1}, "slot"),
        ({"slot": 1}, "appointment_type"),
        ({"slot": 1, "appointment_type": 1, "reason": "x" * 501}, "reason"),
    ],
)
def test_invalid_booking_input_names_the_field(api_a, body, field):
    response = api_a.post(LIST_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    errors = _assert_problem(response, 400, "validation_error")["errors"]
    assert field in {error["field"] for error in errors}


def test_mass_assignment_on_booking_changes_nothing(api_a, patient_a, patient_b, clinic):  # noqa: F811
    slot = clinic.slot()
    stranger = clinic.other_role()

    response = _book(
        api_a,
        slot,
        clinic.visit,
        status="fulfilled",
        patient=patient_b.id,
        practitioner=stranger.practitioner_id,
        channel="staff",
        needs_allergy_review=False,
    )

    assert response.status_code == 201
    appointment = Appointment.objects.get()
    assert appointment.patient_id == patient_a.id
    assert appointment.status == "booked"
    assert appointment.practitioner_id == clinic.role.practitioner_id
    assert appointment.channel == "patient"


def test_a_booking_that_triggers_an_allergy_says_so_in_plain_language(
    api_a,
    patient_a,
    clinic,  # noqa: F811
):
    AllergyFactory(patient=patient_a, substance=substance("iodinated-contrast"))

    response = _book(api_a, clinic.slot(), clinic.ct_with_contrast)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["needs_allergy_review"] is True
    assert body["allergy_review"] == {
        "required": True,
        "message": "This visit may involve iodinated contrast media, which you are allergic to. "
        "The clinic will review your booking and contact you if anything needs to change.",
    }
    replay = _book(api_a, Slot.objects.get(appointments__id=body["id"]), clinic.ct_with_contrast)
    assert replay.status_code == 200
    assert replay.json() == body


# --- list and read --------------------------------------------------------------------------


def test_the_list_shows_only_the_callers_appointments(api_a, patient_a, patient_b, clinic):  # noqa: F811
    mine = AppointmentFactory(patient=patient_a, slot=clinic.slot(hour=14))
    AppointmentFactory(patient=patient_b, slot=clinic.slot(hour=16))

    response = api_a.get(LIST_URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.id]


def test_the_list_filters_by_when_and_status(api_a, patient_a, clinic):  # noqa: F811
    upcoming = AppointmentFactory(patient=patient_a, slot=clinic.slot(hour=14))
    cancelled = AppointmentFactory(patient=patient_a, slot=clinic.slot(hour=16), status="cancelled")
    past_start = timezone.now() - dt.timedelta(days=3)
    past = AppointmentFactory(
        patient=patient_a,
        slot=clinic.slot(hour=14, days_ahead=-3),
        start=past_start,
        end=past_start + dt.timedelta(minutes=20),
        status="fulfilled",
    )

    def ids(query: str) -> list[int]:
        return [row["id"] for row in api_a.get(f"{LIST_URL}?{query}").json()["results"]]

    assert ids("when=upcoming") == [upcoming.id, cancelled.id]
    assert ids("when=past") == [past.id]
    assert ids("status=cancelled") == [cancelled.id]
    assert ids("when=upcoming&status=booked") == [upcoming.id]


@pytest.mark.parametrize(("query", "field"), [("when=later", "when"), ("status=done", "status")])
def test_a_bad_filter_is_a_400_naming_the_field(api_a, query, field):
    response = api_a.get(f"{LIST_URL}?{query}")

    errors = _assert_problem(response, 400, "validation_error")["errors"]
    assert [error["field"] for error in errors] == [field]


@pytest.mark.parametrize("rows", [1, 50])
def test_the_list_costs_the_same_queries_at_any_size(
    api_a,
    patient_a,
    clinic,  # noqa: F811
    django_assert_num_queries,
    rows,
):
    for index in range(rows):
        AppointmentFactory(patient=patient_a, slot=clinic.slot(hour=14, days_ahead=7 + index))

    # user, the page with the count of all rows, the access log's insert
    with django_assert_num_queries(3):
        response = api_a.get(f"{LIST_URL}?page_size=50")

    assert len(response.json()["results"]) == rows
    assert response.json()["count"] == rows


def test_pages_link_to_each_other_and_a_page_past_the_end_is_404(api_a, patient_a, clinic):  # noqa: F811
    for index in range(5):
        AppointmentFactory(patient=patient_a, slot=clinic.slot(hour=14, days_ahead=7 + index))

    first = api_a.get(f"{LIST_URL}?page_size=2").json()
    second = api_a.get(f"{LIST_URL}?page_size=2&page=2").json()
    last = api_a.get(f"{LIST_URL}?page_size=2&page=last").json()
    past = api_a.get(f"{LIST_URL}?page_size=2&page=4")
    not_a_number = api_a.get(f"{LIST_URL}?page=first")
    # Its offset would overflow the database's bigint: still a plain 404, never a 500.
    absurd = api_a.get(f"{LIST_URL}?page={10**19}")

    assert (first["count"], len(first["results"]), first["previous"]) == (5, 2, None)
    assert first["next"].endswith("page=2&page_size=2") or first["next"].endswith(
        "page_size=2&page=2"
    )
    assert second["count"] == 5
    assert "page=" not in second["previous"]
    assert [row["id"] for row in last["results"]] == [
        row["id"] for row in api_a.get(f"{LIST_URL}?page_size=2&page=3").json()["results"]
    ]
    assert len(last["results"]) == 1 and last["next"] is None
    assert past.status_code == 404
    assert not_a_number.status_code == 404
    assert absurd.status_code == 404
    assert absurd["Content-Type"] == "application/problem+json"


def test_the_list_answers_what_the_appointment_serializer_would(api_a, patient_a, clinic):  # noqa: F811
    from apps.scheduling import public
    from apps.scheduling.api.serializers import AppointmentSerializer

    AppointmentFactory(patient=patient_a, slot=clinic.slot(hour=14), reason="Knee pain")
    AppointmentFactory(patient=patient_a, slot=clinic.slot(hour=16), status="cancelled")

    listed = api_a.get(LIST_URL).json()["results"]

    expected = AppointmentSerializer(
        public.patient_appointments(patient_id=patient_a.id), many=True
    ).data
    assert listed == [dict(row) for row in expected]


def test_a_patient_reads_their_own_appointment(api_a, patient_a, clinic):  # noqa: F811
    appointment = AppointmentFactory(patient=patient_a, slot=clinic.slot())

    response = api_a.get(_detail(appointment.id))

    assert response.status_code == 200
    assert response.json()["id"] == appointment.id


def test_unauthenticated_requests_are_401_problems(client):
    response = client.get(LIST_URL)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "route", [("get", ""), ("post", "cancel"), ("post", "reschedule")], ids=lambda r: r[1] or "get"
)
def test_another_patients_appointment_is_404_on_every_route(api_a, patient_b, clinic, route):  # noqa: F811
    method, action = route
    theirs = AppointmentFactory(patient=patient_b, slot=clinic.slot())
    body = {"slot": clinic.slot(hour=16).id, "reason": "mine now"}

    response = getattr(api_a, method)(_detail(theirs.id, action), body, format="json")

    _assert_problem(response, 404, "appointment_not_found")
    theirs.refresh_from_db()
    assert theirs.status == "booked"
    assert Appointment.objects.count() == 1


# --- cancel and reschedule ------------------------------------------------------------------


def test_a_patient_cancels_in_time(api_a, patient_a, clinic):  # noqa: F811
    appointment = AppointmentFactory(patient=patient_a, slot=clinic.slot())

    response = api_a.post(_detail(appointment.id, "cancel"), {"reason": "Better"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancelled_by_id) == ("cancelled", patient_a.user_id)


def test_cancelling_inside_the_window_is_a_409(api_a, patient_a, clinic):  # noqa: F811
    soon = timezone.now().replace(microsecond=0) + dt.timedelta(hours=3)
    slot = SlotFactory(role=clinic.role, start=soon, end=soon + dt.timedelta(minutes=30))
    appointment = AppointmentFactory(patient=patient_a, slot=slot)

    response = api_a.post(_detail(appointment.id, "cancel"), {}, format="json")

    _assert_problem(response, 409, "cancellation_window_passed")
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_a_patient_reschedules_to_another_slot(api_a, patient_a, clinic):  # noqa: F811
    old = AppointmentFactory(patient=patient_a, slot=clinic.slot(hour=14))
    target = clinic.slot(hour=16)

    response = api_a.post(_detail(old.id, "reschedule"), {"slot": target.id}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rescheduled_from"] == old.id
    assert Appointment.objects.get(id=body["id"]).slot_id == target.id
    old.refresh_from_db()
    assert old.status == "cancelled"


def test_rescheduling_to_a_taken_slot_changes_nothing(api_a, patient_a, patient_b, clinic):  # noqa: F811
    old = AppointmentFactory(patient=patient_a, slot=clinic.slot(hour=14))
    taken = AppointmentFactory(patient=patient_b, slot=clinic.slot(hour=16)).slot

    response = api_a.post(_detail(old.id, "reschedule"), {"slot": taken.id}, format="json")

    _assert_problem(response, 409, "slot_unavailable")
    old.refresh_from_db()
    assert old.status == "booked"
    assert not BookingRequest.objects.exists()
