"""Booking: the slot finder, booking with the allergy acknowledgement, refusals, rescheduling,
and the waitlist board."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.contracts import Role
from apps.providers.models import AppointmentType, Location, PractitionerRole
from apps.scheduling import public as scheduling
from apps.scheduling.models import Appointment, Slot, WaitlistEntry
from tests.factories.allergies import AllergyFactory, substance
from tests.factories.patients import PatientFactory
from tests.factories.providers import (
    AppointmentTypeFactory,
    LocationFactory,
    PractitionerRoleFactory,
)
from tests.factories.scheduling import AppointmentFactory, SlotFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@dataclasses.dataclass
class Clinic:
    role: PractitionerRole
    location: Location
    visit: AppointmentType
    ct: AppointmentType
    day: dt.date  # a local day ten days ahead

    def slot(
        self,
        hour: int,
        minute: int = 0,
        *,
        day: dt.date | None = None,
        role: PractitionerRole | None = None,
        **fields,
    ) -> Slot:
        start = dt.datetime.combine(day or self.day, dt.time(hour, minute), tzinfo=NEW_YORK)
        end = start + dt.timedelta(minutes=30)
        return SlotFactory(role=role or self.role, start=start, end=end, **fields)

    def patient_in_care(self, **fields):
        """A patient seen here a month ago: a care relationship for staff of this location."""
        patient = PatientFactory(**fields)
        start = timezone.now() - dt.timedelta(days=30)
        past = SlotFactory(role=self.role, start=start, end=start + dt.timedelta(minutes=30))
        AppointmentFactory(patient=patient, slot=past, status="fulfilled")
        return patient


@pytest.fixture
def clinic() -> Clinic:
    visit = AppointmentTypeFactory(code="follow-up", name="Follow-up visit", duration_minutes=20)
    ct = AppointmentTypeFactory(
        code="ct-contrast",
        name="CT with contrast",
        duration_minutes=30,
        allergen_triggers=["iodinated-contrast"],
    )
    role = PractitionerRoleFactory(appointment_types=[visit, ct])
    day = timezone.now().astimezone(NEW_YORK).date() + dt.timedelta(days=10)
    return Clinic(role=role, location=role.location, visit=visit, ct=ct, day=day)


def _finder_url(clinic: Clinic, patient, kind=None) -> str:
    kind = kind or clinic.visit
    return f"/staff/book/?patient={patient.id}&appointment_type={kind.id}&date={clinic.day}"


def _booking(clinic: Clinic, patient, slot, kind=None, **fields) -> dict:
    return {
        "patient": patient.id,
        "appointment_type": (kind or clinic.visit).id,
        "slot": slot.id,
        "reason": "knee pain",
        "idempotency_key": str(uuid.uuid4()),
        "finder": f"patient={patient.id}&appointment_type={(kind or clinic.visit).id}"
        f"&date={clinic.day}",
        **fields,
    }


def _booked(patient, slot) -> list[Appointment]:
    return list(Appointment.objects.filter(patient=patient, slot=slot))


def test_the_finder_shows_free_slots_by_local_day_and_hides_full_ones(staff_client, clinic):
    # Given a free 09:00 slot, a full 10:00 slot and a 23:30 slot (already the next day in UTC)
    patient = clinic.patient_in_care()
    free = clinic.slot(9)
    full = clinic.slot(10)
    AppointmentFactory(slot=full)
    late = clinic.slot(23, 30)
    client, _ = staff_client(Role.FRONT_DESK, locations=[clinic.location])

    # When I look for follow-up slots from that day
    response = client.get(_finder_url(clinic, patient))

    # Then the free slots are listed at New York times under that day, and the full one is not
    assert response.status_code == 200
    page = response.content.decode()
    first_day, _, later_days = page.partition(f'id="day-{clinic.day + dt.timedelta(days=1)}"')
    assert f'id="slot-{free.id}"' in first_day and f'id="slot-{late.id}"' in first_day
    assert f'id="slot-{late.id}"' not in later_days
    assert f'id="slot-{full.id}"' not in page
    assert "09:00" in first_day and "23:30" in first_day
    assert patient.family_name in page


def test_the_finder_finds_the_patient_by_mrn(staff_client, clinic):
    patient = clinic.patient_in_care(mrn="000000123")
    slot = clinic.slot(9)
    client, _ = staff_client(Role.FRONT_DESK, locations=[clinic.location])

    page = client.get(
        f"/staff/book/?mrn=000000123&appointment_type={clinic.visit.id}&date={clinic.day}"
    ).content.decode()

    assert f'id="slot-{slot.id}"' in page
    assert f'name="patient" value="{patient.id}"' in page


def test_an_unknown_mrn_is_a_form_error(staff_client, clinic):
    client, _ = staff_client(Role.FRONT_DESK, locations=[clinic.location])

    page = client.get(
        f"/staff/book/?mrn=999999999&appointment_type={clinic.visit.id}&date={clinic.day}"
    ).content.decode()

    assert "No patient has this MRN." in page


def test_booking_a_slot_creates_the_appointment_booked_by_me(staff_client, clinic):
    patient = clinic.patient_in_care()
    slot = clinic.slot(9)
    client, user = staff_client(Role.FRONT_DESK, locations=[clinic.location])

    response = client.post("/staff/book/", _booking(clinic, patient, slot), follow=True)

    assert response.redirect_chain[-1][0] == f"/staff/?date={clinic.day}"
    assert "09:00" in response.content.decode()
    [appointment] = _booked(patient, slot)
    assert appointment.status == "booked"
    assert appointment.channel == "staff"
    assert appointment.created_by_id == user.id
    assert appointment.reason == "knee pain"


def test_a_triggered_allergy_must_be_acknowledged_before_the_booking_completes(
    staff_client, clinic
):
    # Given a patient with a high-criticality allergy to iodinated contrast
    patient = clinic.patient_in_care()
    AllergyFactory(patient=patient, substance=substance("iodinated-contrast"), criticality="high")
    slot = clinic.slot(9)
    client, user = staff_client(Role.CLINICIAN, locations=[clinic.location])
    booking = _booking(clinic, patient, slot, kind=clinic.ct)

    # When I book a CT with contrast, the warning names the substance and nothing is booked
    warned = client.post("/staff/book/", booking)
    page = warned.content.decode()
    assert warned.status_code == 200
    assert 'class="warning-box"' in page
    assert "Iodinated contrast media" in page and "high" in page
    assert "I have reviewed the allergies and want to book" in page
    assert "Book anyway" in page
    assert _booked(patient, slot) == []

    # And confirming without ticking the box is refused
    unticked = client.post("/staff/book/", {**booking, "step": "confirm"})
    assert unticked.status_code == 409
    assert "Tick the box" in unticked.content.decode()
    assert _booked(patient, slot) == []

    # Then ticking it books, recording who acknowledged and when
    done = client.post("/staff/book/", {**booking, "step": "confirm", "acknowledge": "on"})
    assert done.status_code == 302
    [appointment] = _booked(patient, slot)
    assert appointment.allergy_acknowledged_by_id == user.id
    assert appointment.allergy_acknowledged_at is not None


def test_a_slot_taken_meanwhile_says_so_and_lists_the_slots_again(staff_client, clinic):
    # Given the slots were shown, and someone else then took the 09:00
    patient = clinic.patient_in_care()
    taken = clinic.slot(9)
    other = clinic.slot(11)
    client, _ = staff_client(Role.FRONT_DESK, locations=[clinic.location])
    client.get(_finder_url(clinic, patient))
    AppointmentFactory(slot=taken)

    # When I book it
    response = client.post("/staff/book/", _booking(clinic, patient, taken))

    # Then I am told to choose another, from the list shown again, and nothing is booked
    page = response.content.decode()
    assert response.status_code == 409
    assert "This slot was just taken — choose another." in page
    assert f'id="slot-{other.id}"' in page
    assert _booked(patient, taken) == []
    assert Appointment.objects.filter(slot=taken).count() == 1


def test_a_double_submit_books_once(staff_client, clinic):
    patient = clinic.patient_in_care()
    slot = clinic.slot(9)
    client, _ = staff_client(Role.FRONT_DESK, locations=[clinic.location])
    booking = _booking(clinic, patient, slot)

    first = client.post("/staff/book/", booking)
    second = client.post("/staff/book/", booking)

    assert first.status_code == second.status_code == 302
    assert len(_booked(patient, slot)) == 1


def test_one_slot_list_books_one_slot(staff_client, clinic):
    # Given the first slot was booked from the list, the same form then posts another slot
    patient = clinic.patient_in_care()
    first, second = clinic.slot(9), clinic.slot(11)
    client, _ = staff_client(Role.FRONT_DESK, locations=[clinic.location])
    booking = _booking(clinic, patient, first)
    client.post("/staff/book/", booking)

    response = client.post("/staff/book/", {**booking, "slot": second.id})

    assert response.status_code == 409
    assert "This form already booked another slot" in response.content.decode()
    assert _booked(patient, second) == []


def test_a_patient_outside_my_care_cannot_be_booked(staff_client, clinic):
    # Given a patient never seen at my location
    stranger = PatientFactory()
    slot = clinic.slot(9)
    client, _ = staff_client(Role.FRONT_DESK, locations=[clinic.location])

    opened = client.get(_finder_url(clinic, stranger))
    posted = client.post("/staff/book/", _booking(clinic, stranger, slot))

    assert opened.status_code == 403
    assert posted.status_code == 403
    assert "care relationship" in posted.content.decode()
    assert _booked(stranger, slot) == []


def test_rescheduling_moves_the_appointment_and_links_the_old_one(staff_client, clinic):
    # Given a booked 09:00 visit and a free 11:00 slot
    appointment = AppointmentFactory(slot=clinic.slot(9), appointment_type=clinic.visit)
    new_slot = clinic.slot(11)
    client, user = staff_client(Role.FRONT_DESK, locations=[clinic.location])
    url = f"/staff/appointments/{appointment.id}/reschedule/"

    # When I open the reschedule page from that day and pick the 11:00
    page = client.get(f"{url}?date={clinic.day}").content.decode()
    assert f'id="slot-{new_slot.id}"' in page
    response = client.post(url, {"slot": new_slot.id, "finder": f"date={clinic.day}"})

    # Then the old appointment is cancelled and the new one points back to it
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    moved = Appointment.objects.get(slot=new_slot)
    assert moved.rescheduled_from_id == appointment.id
    assert moved.status == "booked"
    assert moved.created_by_id == user.id


def test_an_appointment_elsewhere_cannot_be_rescheduled(staff_client, clinic):
    appointment = AppointmentFactory(slot=clinic.slot(9))
    new_slot = clinic.slot(11)
    client, _ = staff_client(Role.FRONT_DESK, locations=[LocationFactory()])

    response = client.post(
        f"/staff/appointments/{appointment.id}/reschedule/", {"slot": new_slot.id}
    )

    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_the_finder_renders_with_the_same_number_of_queries_for_2_and_12_slots(
    staff_client, clinic
):
    patient = clinic.patient_in_care()
    client, _ = staff_client(Role.FRONT_DESK, locations=[clinic.location])
    url = _finder_url(clinic, patient) + "&specialty=family-medicine"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for hour in (8, 9):
        clinic.slot(hour)
    small = count()
    colleague = PractitionerRoleFactory(location=clinic.location, appointment_types=[clinic.visit])
    for hour in range(10, 15):
        clinic.slot(hour, day=clinic.day + dt.timedelta(days=hour % 3))
        clinic.slot(hour, role=colleague)
    assert count() == small


# --- the waitlist ---------------------------------------------------------------------------


def _waiting(clinic: Clinic, **fields) -> WaitlistEntry:
    defaults = {
        "patient": PatientFactory() if "patient" not in fields else None,
        "practitioner": clinic.role.practitioner,
        "location": clinic.location,
        "appointment_type": clinic.visit,
        "date_from": clinic.day,
        "date_to": clinic.day + dt.timedelta(days=14),
    }
    return WaitlistEntry.objects.create(**{**defaults, **fields})


def _offered(clinic: Clinic, hour: int) -> WaitlistEntry:
    return _waiting(
        clinic,
        status="offered",
        offered_slot=clinic.slot(hour, status="busy-tentative"),
        offer_expires_at=timezone.now() + dt.timedelta(hours=12),
    )


def test_the_waitlist_board_lists_who_waits_and_the_open_offers(staff_client, clinic):
    # Given one patient waiting here, one holding an offer of a 15:00 slot, one waiting at a
    # location of someone else, and one waiting for any location
    waiting = _waiting(clinic)
    offered = _offered(clinic, 15)
    elsewhere = _waiting(clinic, location=LocationFactory())
    anywhere = _waiting(clinic, location=None)
    client, _ = staff_client(Role.CLINICIAN, locations=[clinic.location])

    page = client.get("/staff/waitlist/").content.decode()

    assert f'id="waitlist-{waiting.id}"' in page
    assert f'id="waitlist-{anywhere.id}"' in page
    assert f'id="waitlist-{elsewhere.id}"' not in page
    offers, _, waits = page.partition('id="waiting-title"')
    assert f'id="waitlist-{offered.id}"' in offers
    assert "15:00 (America/New_York)" in offers
    assert waiting.patient.family_name in waits
    assert "Any location" in waits


def test_the_waitlist_board_renders_with_the_same_number_of_queries_for_2_and_8(
    staff_client, clinic
):
    client, _ = staff_client(Role.FRONT_DESK, locations=[clinic.location])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/staff/waitlist/").status_code == 200
        return len(queries)

    _waiting(clinic)
    _offered(clinic, 8)
    small = count()
    for hour in range(9, 12):
        _waiting(clinic, location=None)
        _offered(clinic, hour)
    assert count() == small


def test_staff_add_a_patient_to_the_waitlist_by_mrn(staff_client, clinic):
    patient = clinic.patient_in_care(mrn="000000456")
    client, user = staff_client(Role.FRONT_DESK, locations=[clinic.location])

    response = client.post(
        "/staff/waitlist/add/",
        {
            "mrn": "000000456",
            "appointment_type": clinic.visit.id,
            "specialty": "family-medicine",
            "date_from": clinic.day,
            "date_to": clinic.day + dt.timedelta(days=7),
        },
    )

    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(patient=patient)
    assert entry.status == "waiting"
    assert entry.specialty.code == "family-medicine"
    assert entry.created_by_id == user.id


def test_a_waitlist_request_without_practitioner_or_specialty_names_the_fields(
    staff_client, clinic
):
    clinic.patient_in_care(mrn="000000789")
    client, _ = staff_client(Role.FRONT_DESK, locations=[clinic.location])

    response = client.post(
        "/staff/waitlist/add/",
        {
            "mrn": "000000789",
            "appointment_type": clinic.visit.id,
            "date_from": clinic.day,
            "date_to": clinic.day - dt.timedelta(days=1),
        },
    )

    assert response.status_code == 400
    assert "Choose a practitioner or a specialty." in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_staff_remove_an_entry_and_its_held_slot_is_freed(staff_client, clinic):
    offered = _offered(clinic, 15)
    client, user = staff_client(Role.FRONT_DESK, locations=[clinic.location])

    response = client.post(f"/staff/waitlist/{offered.id}/remove/", follow=True)

    assert "removed from the waitlist" in response.content.decode()
    offered.refresh_from_db()
    assert offered.status == "cancelled"
    assert offered.updated_by_id == user.id
    assert Slot.objects.get(id=offered.offered_slot_id).status == "free"


def test_an_entry_at_another_location_cannot_be_removed(staff_client, clinic):
    entry = _waiting(clinic, location=LocationFactory())
    client, _ = staff_client(Role.FRONT_DESK, locations=[clinic.location])

    response = client.post(f"/staff/waitlist/{entry.id}/remove/")

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == "waiting"


def test_the_staff_slot_read_ignores_online_notice(clinic):
    # Staff book by phone: a slot within the online minimum notice is still offered to them
    soon = timezone.now() + dt.timedelta(minutes=30)
    slot = SlotFactory(role=clinic.role, start=soon, end=soon + dt.timedelta(minutes=30))

    found = scheduling.staff_bookable_slots(
        appointment_type_id=clinic.visit.id,
        start=timezone.now(),
        end=timezone.now() + dt.timedelta(days=1),
    )

    assert [option.id for option in found] == [slot.id]
    assert found[0].practitioner_name == str(clinic.role.practitioner)


def test_rescheduling_into_an_allergy_warning_needs_the_acknowledgement(staff_client, clinic):
    # Given a CT booked before the patient's contrast allergy was recorded
    appointment = AppointmentFactory(slot=clinic.slot(9), appointment_type=clinic.ct)
    AllergyFactory(patient=appointment.patient, substance=substance("iodinated-contrast"))
    new_slot = clinic.slot(11)
    client, user = staff_client(Role.CLINICIAN, locations=[clinic.location])
    url = f"/staff/appointments/{appointment.id}/reschedule/"

    # When I move it, I am warned first and nothing moves
    warned = client.post(url, {"slot": new_slot.id, "finder": f"date={clinic.day}"})
    assert 'class="warning-box"' in warned.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked"

    # Then with the box ticked it moves, with the acknowledgement recorded
    client.post(url, {"slot": new_slot.id, "step": "confirm", "acknowledge": "on"})
    moved = Appointment.objects.get(slot=new_slot)
    assert moved.rescheduled_from_id == appointment.id
    assert moved.allergy_acknowledged_by_id == user.id


def test_todays_rows_link_to_rescheduling_while_the_visit_can_move(staff_client, clinic):
    booked = AppointmentFactory(slot=clinic.slot(9))
    fulfilled = AppointmentFactory(slot=clinic.slot(10), status="fulfilled")
    client, _ = staff_client(Role.FRONT_DESK, locations=[clinic.location])

    page = client.get(f"/staff/?date={clinic.day}").content.decode()

    assert f"/staff/appointments/{booked.id}/reschedule/" in page
    assert f"/staff/appointments/{fulfilled.id}/reschedule/" not in page
