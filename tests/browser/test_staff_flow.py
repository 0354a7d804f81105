"""A clinician's morning in a real browser: sign in with a TOTP code, find a patient, see the
allergy banner, book a visit that needs the allergy acknowledgement, check the patient in,
clear a review-queue item, sign out."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from apps.accounts.contracts import Role
from apps.scheduling.models import Appointment
from tests.factories.accounts import PASSWORD, current_code, user_in_role, with_authenticator
from tests.factories.allergies import AllergyFactory, substance
from tests.factories.patients import PatientFactory
from tests.factories.providers import (
    AppointmentTypeFactory,
    PractitionerRoleFactory,
    StaffAssignmentFactory,
)
from tests.factories.scheduling import AppointmentFactory, SlotFactory


def _slot_on(role, day: dt.date, hour: int):
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(role.location.timezone))
    return SlotFactory(role=role, start=start, end=start + dt.timedelta(minutes=40))


def test_a_clinicians_morning(page: Page) -> None:
    # Given a New York clinic offering CT with contrast, a patient seen there last month with a
    # high-criticality contrast allergy and a self-reported latex allergy, and a free slot
    ct = AppointmentTypeFactory(
        code="ct-contrast", name="CT with contrast", duration_minutes=40,
        allergen_triggers=["iodinated-contrast"],
    )  # fmt: skip
    role = PractitionerRoleFactory(appointment_types=[ct])
    role.location.timezone = "America/New_York"
    role.location.save()
    patient = PatientFactory(family_name="Okafor", given_name="Amara")
    AllergyFactory(patient=patient, substance=substance("iodinated-contrast"), criticality="high")
    reported = AllergyFactory(
        patient=patient, substance=substance("latex"), criticality="low",
        verification_status="unconfirmed", asserted_by="patient",
    )  # fmt: skip
    last_month = dt.date.today() - dt.timedelta(days=30)
    AppointmentFactory(patient=patient, slot=_slot_on(role, last_month, 10), status="fulfilled")
    visit_day = dt.date.today() + dt.timedelta(days=2)
    free = _slot_on(role, visit_day, 9)
    clinician = user_in_role(Role.CLINICIAN)
    with_authenticator(clinician)
    StaffAssignmentFactory(user=clinician, location=role.location)

    # When the clinician signs in with the password and the authenticator's code
    page.goto("/staff/")
    page.get_by_label("Email").fill(clinician.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("textbox", name="Code").fill(current_code())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Schedule for"))).to_be_visible()

    # And finds the patient by name and opens the chart
    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Name, MRN or birth date").fill("okaf")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Okafor, Amara").click()

    # Then the allergy banner leads with the high-criticality contrast allergy and flags the
    # unconfirmed patient report
    banner = page.locator(".allergy-banner")
    expect(banner).to_contain_text("Iodinated contrast")
    expect(banner).to_contain_text("Reported by the patient, not yet confirmed")
    expect(banner).to_have_class(re.compile("has-high"))

    # When they book the CT, the allergy warning must be acknowledged first
    page.get_by_role("link", name="Book an appointment").click()
    page.get_by_label("Appointment type").select_option(label="CT with contrast")
    page.get_by_label("From").fill(visit_day.isoformat())
    page.get_by_role("button", name="Show free slots").click()
    page.locator(f'button[name="slot"][value="{free.id}"]').click()
    expect(
        page.get_by_role("heading", name="Check the patient's allergies before booking")
    ).to_be_visible()
    expect(page.locator(".warning-box")).to_contain_text("Iodinated contrast")
    assert not Appointment.objects.filter(slot=free).exists()
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Book anyway").click()

    # Then the day's schedule shows the booking, and checking in updates the row in place
    booked = Appointment.objects.get(slot=free)
    assert booked.allergy_acknowledged_by_id == clinician.id
    row = page.locator(f"#appointment-{booked.id}")
    expect(row).to_contain_text("Okafor, Amara")
    row.get_by_role("button", name=re.compile("^Check in")).click()
    expect(row).to_contain_text("checked-in")
    booked.refresh_from_db()
    assert booked.status == "checked-in"

    # When they confirm the patient-reported latex allergy in the review queue
    page.get_by_role("link", name="Reviews").click()
    page.get_by_role("button", name=re.compile("^Confirm")).click()
    expect(page.get_by_role("status")).to_contain_text("The allergy was confirmed.")
    expect(page.get_by_role("button", name=re.compile("^Confirm"))).to_have_count(0)
    reported.refresh_from_db()
    assert reported.verification_status == "confirmed"

    # And sign out
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    page.goto("/staff/")
    expect(page).to_have_url(re.compile("/staff/login/"))
