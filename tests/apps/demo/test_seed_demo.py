"""seed_demo builds the demo clinic once, through the services, and never in production."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q
from django.test import Client, RequestFactory

from apps.accounts.models import User
from apps.allergies.models import AllergyIntolerance
from apps.core.models import OutboxEvent
from apps.demo.clinic import DEMO_PASSWORD, DEMO_STAFF, DEMO_TOTP_SECRET
from apps.patients.models import Patient
from apps.providers.models import Location, Practitioner
from apps.scheduling.models import Appointment, Slot

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def signed_in():
    """A request to authenticate with: django-axes needs one to count failures."""
    return RequestFactory().post("/admin/login/")


SMALL = {"patients": 120, "practitioners": 6, "appointments": 900}


@pytest.fixture
def seeded():
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **SMALL)
    return out.getvalue()


def test_the_demo_clinic_has_its_shape(seeded):
    zones = set(Location.objects.values_list("timezone", flat=True))

    assert Location.objects.count() == 3
    assert zones == {"America/New_York", "America/Chicago"}
    assert Practitioner.objects.count() == 6
    assert Patient.objects.count() == 120
    assert Appointment.objects.count() == SMALL["appointments"]
    assert Slot.objects.filter(status="free").exists()
    assert "120 patients" in seeded


def test_the_total_asked_for_is_created_when_next_month_has_too_few_free_slots():
    # Given one practitioner: about 210 free slots in the next month, fewer than 8% of 4,000
    call_command(
        "seed_demo", stdout=io.StringIO(), patients=600, practitioners=1, appointments=4000
    )

    # Then the upcoming month is filled as far as it goes and the rest is history
    upcoming = Appointment.objects.filter(status="booked").count()
    assert 150 < upcoming < 320
    assert Appointment.objects.count() == 4000


def test_demo_logins_work_with_the_published_password(seeded):
    for email, _, _ in DEMO_STAFF:
        assert authenticate(signed_in(), username=email, password=DEMO_PASSWORD) is not None
        assert email in seeded
    patient_user = authenticate(
        signed_in(), username="patient1@demo.clinic", password=DEMO_PASSWORD
    )
    assert patient_user is not None
    assert Patient.objects.filter(user=patient_user).exists()
    assert "patient50@demo.clinic" in seeded


def test_demo_staff_sign_in_to_the_portal_with_the_published_authenticator(seeded):
    # Given the code demo_totp prints for the secret seed_demo published
    assert DEMO_TOTP_SECRET in seeded
    out = io.StringIO()
    call_command("demo_totp", stdout=out)
    code = out.getvalue().split()[0]

    # When the front desk signs in with the password and that code
    client = Client()
    client.post("/staff/login/", {"email": "frontdesk@demo.clinic", "password": DEMO_PASSWORD})
    verified = client.post("/staff/login/verify/", {"code": code})

    # Then the portal opens
    assert verified.status_code == 302
    assert client.get("/staff/").status_code == 200


def test_every_demo_login_shares_one_password_hash(seeded):
    assert User.objects.values("password").distinct().count() == 1


def test_running_it_again_adds_nothing(seeded):
    counts = (Patient.objects.count(), Appointment.objects.count(), OutboxEvent.objects.count())
    out = io.StringIO()

    call_command("seed_demo", stdout=out, **SMALL)

    assert (
        Patient.objects.count(),
        Appointment.objects.count(),
        OutboxEvent.objects.count(),
    ) == counts
    assert "already present" in out.getvalue()


def test_about_a_third_have_allergies_and_some_say_none(seeded):
    with_allergies = (
        AllergyIntolerance.objects.filter(kind="allergy").values("patient").distinct().count()
    )
    with_none = AllergyIntolerance.objects.filter(kind="no-known-allergies").count()

    assert 0.2 <= with_allergies / 120 <= 0.4
    assert with_none > 0


def test_history_has_realistic_no_shows_and_upcoming_bookings(seeded):
    past = Appointment.objects.filter(status__in=["fulfilled", "noshow"])
    rates = past.aggregate(total=Count("id"), no_shows=Count("id", filter=Q(status="noshow")))

    assert 0.15 <= rates["no_shows"] / rates["total"] <= 0.20
    assert Appointment.objects.filter(status="booked", slot__isnull=False).exists()


def test_it_emits_the_events_the_services_would(seeded):
    registered = OutboxEvent.objects.filter(event_type="patients.PatientRegistered").count()
    booked = OutboxEvent.objects.filter(event_type="scheduling.AppointmentBooked").count()

    assert registered == Patient.objects.count()
    assert booked == Appointment.objects.count()


def test_seed_demo_refuses_production_settings(settings):
    from healthportal.settings import production

    settings.DEMO_DATA_ALLOWED = production.DEMO_DATA_ALLOWED

    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", stdout=io.StringIO(), **SMALL)
    assert User.objects.count() == 0


@pytest.mark.parametrize("option", ["patients", "practitioners"])
def test_sizes_must_be_positive(option):
    with pytest.raises(CommandError, match=option):
        call_command("seed_demo", stdout=io.StringIO(), **{**SMALL, option: 0})


def test_no_shows_rise_with_lead_time_and_with_earlier_no_shows():
    from apps.demo.clinic import _no_show_probability

    assert _no_show_probability(30, 0, 4) > _no_show_probability(1, 0, 4)
    assert _no_show_probability(7, 3, 4) > _no_show_probability(7, 0, 4)


def test_in_the_history_long_lead_bookings_are_missed_more_often(seeded):
    from django.db.models import DurationField, ExpressionWrapper, F

    past = Appointment.objects.filter(status__in=["fulfilled", "noshow"]).annotate(
        lead=ExpressionWrapper(F("start") - F("booked_at"), output_field=DurationField())
    )

    def rate(appointments):
        counts = appointments.aggregate(
            total=Count("id"), missed=Count("id", filter=Q(status="noshow"))
        )
        return counts["missed"] / counts["total"]

    short = rate(past.filter(lead__lt=dt.timedelta(days=3)))
    long = rate(past.filter(lead__gt=dt.timedelta(days=21)))
    assert long > short
