"""Mass assignment: a writable API endpoint takes only the fields it documents.

Every request below is a valid one with fields an attacker would add: another patient's id,
an owner, an MRN, a status, staff flags, roles, timestamps. The API either ignores them (the
write goes through as if they were absent) or refuses the request with problem+json; the
database must show none of them. A new writable endpoint fails
`test_every_writable_endpoint_is_covered` until a test here covers it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.allergies.models import AllergyIntolerance
from apps.patients.models import Patient
from apps.scheduling.models import Appointment, WaitlistEntry
from extracted.notifications.models import Preference
from tests.factories.accounts import PASSWORD
from tests.security.conftest import World
from tests.security.routes import routes

pytestmark = [pytest.mark.security, pytest.mark.django_db(databases=["default", "notifications"])]

LONG_AGO = "2001-01-01T00:00:00Z"


def extras(world: World) -> dict[str, object]:
    """Fields no patient may set, with values that would be harmful if taken."""
    b = world.b
    return {
        "id": b.appointment.id,
        "pk": b.appointment.id,
        "patient": b.patient.id,
        "patient_id": b.patient.id,
        "user": b.user.id,
        "user_id": b.user.id,
        "owner": b.user.id,
        "mrn": "HACKED0001",
        "status": "fulfilled",
        "review_status": "approved",
        "registration_source": "staff",
        "active": False,
        "is_staff": True,
        "is_superuser": True,
        "is_active": True,
        "roles": ["admin"],
        "groups": ["admin"],
        "created_at": LONG_AGO,
        "updated_at": LONG_AGO,
        "recorded_at": LONG_AGO,
        "booked_at": LONG_AGO,
        "verification_status": "confirmed",
        "clinical_status": "resolved",
        "asserted_by": "staff",
        "channel": "staff",
        "allergy_review_required": False,
        "offered_slot": b.slot.id,
        "appointment": b.appointment.id,
    }


def ignored_or_refused(response, *, accepted: tuple[int, ...]) -> None:
    if response.status_code in accepted:
        return
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"


COVERED: set[tuple[str, str]] = set()


def covers(*pairs: tuple[str, str]):
    COVERED.update(pairs)
    return lambda test: test


def test_every_writable_endpoint_is_covered():
    writable = {
        (method, route.template)
        for route in routes("api")
        for method in route.methods
        if method != "get" and not route.template.startswith(("api/v1/schema", "api/v1/docs"))
    }

    assert writable - COVERED == set()


@covers(("patch", "api/v1/me/"))
def test_a_profile_change_keeps_identity_review_and_owner(world):
    before = Patient.objects.values().get(id=world.a.patient.id)
    b_before = world.b.rows()
    body = {**extras(world), "family_name": "Renamed", "birth_date": "1900-01-01"}

    response = world.a.api_client().patch(
        "/api/v1/me/", {**body, "phone": "+15550000000"}, format="json"
    )

    ignored_or_refused(response, accepted=(200,))
    after = Patient.objects.values().get(id=world.a.patient.id)
    changed = {key for key in after if after[key] != before[key]}
    assert changed <= {"phone", "updated_at", "updated_by_id"}
    assert after["phone"] == "+15550000000"  # the control: the allowed field was taken
    assert after["updated_by_id"] in (None, world.a.user.id)
    assert world.b.rows() == b_before


@covers(("post", "api/v1/me/allergies/"))
def test_a_reported_allergy_is_the_callers_and_unconfirmed(world):
    b_before = world.b.rows()

    response = world.a.api_client().post(
        "/api/v1/me/allergies/",
        {**extras(world), "substance_text": "Kiwi", "criticality": "low"},
        format="json",
    )

    ignored_or_refused(response, accepted=(201,))
    assert world.b.rows() == b_before
    if response.status_code == 201:
        entry = AllergyIntolerance.objects.get(id=response.json()["id"])
        assert entry.patient_id == world.a.patient.id
        assert entry.verification_status == "unconfirmed"
        assert entry.asserted_by == "patient"
        assert entry.recorded_at > timezone.now() - dt.timedelta(minutes=5)


@covers(("post", "api/v1/me/appointments/"))
def test_a_booking_is_the_callers_booked_by_the_patient(world):
    b_before = world.b.rows()
    slot = world.free_slots[0]

    response = world.a.api_client().post(
        "/api/v1/me/appointments/",
        {**extras(world), "slot": slot.id, "appointment_type": world.visit.id},
        format="json",
        headers={"Idempotency-Key": "mass-assignment-1"},
    )

    ignored_or_refused(response, accepted=(200, 201))
    assert world.b.rows() == b_before
    assert response.status_code == 201, response.content  # the control: the booking is valid
    appointment = Appointment.objects.get(id=response.json()["id"])
    assert appointment.patient_id == world.a.patient.id
    assert appointment.status == "booked"
    assert appointment.channel == "patient"
    assert appointment.booked_at > timezone.now() - dt.timedelta(minutes=5)


@covers(("post", "api/v1/me/appointments/<int:appointment_id>/cancel/"))
def test_a_cancellation_sets_only_cancelled(world):
    b_before = world.b.rows()
    appointment = world.a.appointment

    response = world.a.api_client().post(
        f"/api/v1/me/appointments/{appointment.id}/cancel/",
        {**extras(world), "reason": "cannot come"},
        format="json",
    )

    ignored_or_refused(response, accepted=(200,))
    assert world.b.rows() == b_before
    assert response.status_code == 200, response.content
    appointment.refresh_from_db()
    assert appointment.patient_id == world.a.patient.id
    assert appointment.status == "cancelled"


@covers(("post", "api/v1/me/appointments/<int:appointment_id>/reschedule/"))
def test_a_reschedule_moves_the_callers_own_appointment(world):
    b_before = world.b.rows()
    slot = world.free_slots[1]

    response = world.a.api_client().post(
        f"/api/v1/me/appointments/{world.a.appointment.id}/reschedule/",
        {**extras(world), "slot": slot.id},
        format="json",
    )

    ignored_or_refused(response, accepted=(200, 201))
    assert world.b.rows() == b_before
    assert response.status_code in (200, 201), response.content
    moved = Appointment.objects.get(slot_id=slot.id)
    assert moved.patient_id == world.a.patient.id
    assert moved.status == "booked"
    assert moved.channel == "patient"


@covers(("post", "api/v1/me/waitlist/"))
def test_a_waitlist_entry_is_the_callers_and_waiting(world):
    b_before = world.b.rows()
    today = timezone.localdate()

    response = world.a.api_client().post(
        "/api/v1/me/waitlist/",
        {
            **extras(world),
            "appointment_type": world.visit.id,
            "practitioner": world.role_b.practitioner_id,
            "date_from": str(today + dt.timedelta(days=1)),
            "date_to": str(today + dt.timedelta(days=20)),
        },
        format="json",
    )

    ignored_or_refused(response, accepted=(201,))
    assert world.b.rows() == b_before
    assert response.status_code == 201, response.content
    entry = WaitlistEntry.objects.get(id=response.json()["id"])
    assert entry.patient_id == world.a.patient.id
    assert entry.status == "waiting"
    assert entry.offered_slot_id is None
    assert entry.appointment_id is None


@covers(
    ("delete", "api/v1/me/waitlist/<int:entry_id>/"),
    ("post", "api/v1/me/waitlist/<int:entry_id>/accept/"),
)
@pytest.mark.parametrize("action", ["leave", "accept"])
def test_leaving_or_accepting_the_waitlist_touches_only_the_callers_entry(world, action):
    b_before = world.b.rows()
    entry = world.a.waitlist_entry
    client = world.a.api_client()

    if action == "leave":
        response = client.delete(f"/api/v1/me/waitlist/{entry.id}/", extras(world), format="json")
        accepted: tuple[int, ...] = (204,)
    else:
        response = client.post(
            f"/api/v1/me/waitlist/{entry.id}/accept/", extras(world), format="json"
        )
        accepted = (201,)

    ignored_or_refused(response, accepted=accepted)
    assert world.b.rows() == b_before
    assert response.status_code in accepted, response.content
    entry.refresh_from_db()
    assert entry.patient_id == world.a.patient.id
    if action == "leave":
        assert entry.status == "cancelled"
    else:
        booked = Appointment.objects.get(id=entry.appointment_id)
        assert booked.patient_id == world.a.patient.id
        assert booked.slot_id == entry.offered_slot_id
        assert booked.status == "booked"


@covers(("put", "api/v1/me/notification-preferences/"))
def test_notification_preferences_are_the_callers(world):
    response = world.a.api_client().put(
        "/api/v1/me/notification-preferences/",
        {
            **extras(world),
            "email": False,
            "sms": True,
            "quiet_hours_start": None,
            "quiet_hours_end": None,
            "consent_email": True,
            "consent_sms": True,
        },
        format="json",
    )

    ignored_or_refused(response, accepted=(200,))
    assert not Preference.objects.filter(patient_id=world.b.patient.id).exists()
    assert Preference.objects.get(patient_id=world.a.patient.id).email_enabled is False


@covers(("post", "api/v1/auth/register/"))
def test_self_registration_waits_for_review_as_a_plain_patient(world):
    response = Client().post(
        "/api/v1/auth/register/",
        {
            **extras(world),
            "email": "new.registrant@example.test",
            "password": "a-long-new-password-9",
            "family_name": "Newcombe",
            "given_name": "Nia",
            "birth_date": "1990-02-03",
            "gender": "female",
        },
        content_type="application/json",
    )

    ignored_or_refused(response, accepted=(201,))
    assert response.status_code == 201, response.content
    user = User.objects.get(email="new.registrant@example.test")
    patient = Patient.objects.get(user=user)
    assert patient.review_status == "pending"
    assert patient.registration_source != "staff"
    assert patient.mrn != "HACKED0001"
    assert patient.id != world.b.patient.id
    assert not user.is_staff
    assert not user.is_superuser
    assert [group.name for group in user.groups.all()] == ["patient"]
    assert Patient.objects.get(id=world.b.patient.id).user_id == world.b.user.id


@covers(("post", "api/v1/auth/token/"), ("post", "api/v1/auth/token/refresh/"))
def test_tokens_name_the_signed_in_patient_whatever_the_body_says(world):
    client = Client()
    world.a.user.set_password(PASSWORD)
    world.a.user.save()

    obtained = client.post(
        "/api/v1/auth/token/",
        {**extras(world), "email": world.a.user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert obtained.status_code == 200, obtained.content
    refreshed = client.post(
        "/api/v1/auth/token/refresh/",
        {**extras(world), "refresh": obtained.json()["refresh"]},
        content_type="application/json",
    )
    assert refreshed.status_code == 200, refreshed.content

    for token in (obtained.json()["access"], refreshed.json()["access"]):
        me = client.get("/api/v1/me/", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["mrn"] == world.a.patient.mrn


@covers(
    ("post", "api/v1/auth/logout/"),
    ("post", "api/v1/auth/password/change/"),
)
def test_account_actions_apply_to_the_callers_own_login(world):
    b_password = User.objects.get(id=world.b.user.id).password
    b_refresh = str(world.b.refresh_token())
    client = world.a.api_client()
    world.a.user.set_password(PASSWORD)
    world.a.user.save()

    logout = client.post(
        "/api/v1/auth/logout/",
        {**extras(world), "refresh": str(world.a.refresh_token())},
        format="json",
    )
    change = client.post(
        "/api/v1/auth/password/change/",
        {**extras(world), "old_password": PASSWORD, "new_password": "another-long-password-7"},
        format="json",
    )

    ignored_or_refused(logout, accepted=(204,))
    ignored_or_refused(change, accepted=(200, 204))
    assert User.objects.get(id=world.b.user.id).password == b_password
    assert User.objects.get(id=world.a.user.id).check_password("another-long-password-7")
    still_valid = Client().post(
        "/api/v1/auth/token/refresh/", {"refresh": b_refresh}, content_type="application/json"
    )
    assert still_valid.status_code == 200


@covers(
    ("post", "api/v1/auth/password/reset/"),
    ("post", "api/v1/auth/password/reset/confirm/"),
)
def test_a_password_reset_goes_to_the_address_asked_for_only(world):
    b_password = User.objects.get(id=world.b.user.id).password
    client = Client()

    reset = client.post(
        "/api/v1/auth/password/reset/",
        {**extras(world), "email": world.a.user.email},
        content_type="application/json",
    )
    confirm = client.post(
        "/api/v1/auth/password/reset/confirm/",
        {**extras(world), "uid": "x", "token": "y", "new_password": "another-long-password-7"},
        content_type="application/json",
    )

    ignored_or_refused(reset, accepted=(200, 202, 204))
    ignored_or_refused(confirm, accepted=())
    recipients = {address for message in mail.outbox for address in message.to}
    assert world.b.user.email not in recipients
    assert world.b.patient.email not in recipients
    assert User.objects.get(id=world.b.user.id).password == b_password
