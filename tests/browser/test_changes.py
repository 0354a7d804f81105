"""A clinician opens a patient's change history from the chart, in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib.auth.base_user import AbstractBaseUser
from playwright.sync_api import Page, expect

from apps.accounts.contracts import Role
from apps.patients import public as patients
from tests.factories.accounts import user_in_role
from tests.factories.patients import PatientFactory
from tests.factories.providers import StaffAssignmentFactory
from tests.factories.scheduling import AppointmentFactory


def test_a_clinician_sees_who_changed_the_record_from_the_chart(
    page: Page, sign_in: Callable[[AbstractBaseUser], None]
) -> None:
    # Given a patient booked at the clinician's location, whose phone the front desk changed
    patient = PatientFactory(family_name="Okafor", given_name="Amara", phone="+15550001111")
    seen = AppointmentFactory(patient=patient)
    clinician = user_in_role(Role.CLINICIAN)
    StaffAssignmentFactory(user=clinician, location=seen.location)
    desk = user_in_role(Role.FRONT_DESK, display_name="Frank Frontdesk")
    patients.patient_update(patient_id=patient.id, updated_by_id=desk.id, phone="+15550002222")
    sign_in(clinician)

    # When the clinician opens the chart and follows its Changes link
    page.goto(f"/staff/patients/{patient.id}/")
    page.get_by_role("link", name="Changes").click()

    # Then the newest change says who changed the phone, from what to what
    expect(
        page.get_by_role("heading", name=re.compile("^Changes to Okafor, Amara"))
    ).to_be_visible()
    newest = page.locator("tbody tr").first
    expect(newest).to_contain_text("Frank Frontdesk")
    expect(newest).to_contain_text("Phone:")
    expect(newest.locator("del")).to_have_text("+15550001111")
    expect(newest.locator("ins")).to_have_text("+15550002222")
