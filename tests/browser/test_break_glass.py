"""Break-glass in a real browser: a clinician opens a patient outside their care, gives a
reason, reads the chart; an administrator then finds the access and its reason in the log."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.base_user import AbstractBaseUser
from playwright.sync_api import Page, expect

from apps.accounts.contracts import Role
from tests.factories.accounts import user_in_role
from tests.factories.patients import PatientFactory

REASON = "Covering the emergency bay, patient unconscious"


def test_a_clinician_breaks_the_glass_and_the_admin_sees_it(
    page: Page, sign_in: Callable[[AbstractBaseUser], None]
) -> None:
    # Given a patient nobody at the clinician's locations has seen
    patient = PatientFactory(family_name="Farouk", given_name="Leila")
    clinician = user_in_role(Role.CLINICIAN, display_name="Dr. Ines Palma")
    sign_in(clinician)

    # When the clinician opens the chart, they are asked for a reason instead
    page.goto(f"/staff/patients/{patient.id}/")
    expect(page.get_by_role("heading", name="This patient is not in your care")).to_be_visible()
    expect(page.get_by_text("Farouk")).to_have_count(0)

    # And a reason too short is refused beside the field
    page.get_by_label("Why do you need this record now?").fill("urgent")
    page.get_by_role("button", name="Break the glass and open the record").click()
    expect(page.locator("#id_reason_error")).to_contain_text("at least 15 characters")

    # And a real reason opens the chart, saying the access is recorded
    page.get_by_label("Why do you need this record now?").fill(REASON)
    page.get_by_role("button", name="Break the glass and open the record").click()
    expect(page).to_have_url(f"/staff/patients/{patient.id}/")
    expect(page.get_by_role("heading", name="Farouk, Leila")).to_be_visible()
    expect(page.get_by_text("administrators have been alerted")).to_be_visible()

    # Then an administrator finds the break-glass access and its reason in the access log
    page.context.clear_cookies()
    sign_in(user_in_role(Role.ADMIN))
    page.goto("/staff/audit/")
    page.get_by_label("Purpose").select_option("break-glass")
    page.get_by_role("button", name="Filter").click()
    log = page.get_by_role("table")
    expect(log).to_contain_text("Dr. Ines Palma")
    expect(log).to_contain_text(f"Reason: {REASON}")
    expect(log).to_contain_text("High")
