"""The staff portal feeds the PHI access log, offers break-glass access, and shows the log to
admins at /staff/audit/."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.contracts import Role
from apps.audit.models import AccessRecord, BreakGlassGrant
from apps.core.models import OutboxEvent
from tests.factories.patients import PatientFactory
from tests.factories.providers import AppointmentTypeFactory, PractitionerRoleFactory
from tests.factories.scheduling import AppointmentFactory, SlotFactory

pytestmark = pytest.mark.django_db

REASON = "Covering the on-call clinician: urgent call from the ward"


@pytest.fixture
def role():
    visit = AppointmentTypeFactory(code="visit", name="Consultation", duration_minutes=20)
    return PractitionerRoleFactory(appointment_types=[visit])


def _seen(role, patient, *, days: int = -30):
    start = (timezone.now() + dt.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    slot = SlotFactory(role=role, start=start, end=start + dt.timedelta(minutes=30))
    return AppointmentFactory(patient=patient, slot=slot)


@pytest.fixture
def elsewhere(role):
    """A patient seen only at another location: outside the care of staff of `role`'s."""
    patient = PatientFactory(family_name="Outsider")
    _seen(PractitionerRoleFactory(appointment_types=[role.appointment_types.first()]), patient)
    return patient


def _audit_inserts(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "audit_accessrecord"')]


# --- recording ---------------------------------------------------------------------------------


def test_a_chart_read_is_recorded_with_exactly_one_insert(staff_client, role):
    patient = PatientFactory()
    _seen(role, patient)
    client, user = staff_client(Role.CLINICIAN, locations=[role.location])

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/staff/patients/{patient.id}/", HTTP_USER_AGENT="test-browser")

    assert response.status_code == 200
    assert len(_audit_inserts(queries.captured_queries)) == 1
    row = AccessRecord.objects.get(patient_id=patient.id)
    assert (row.user_id, row.actor_role, row.resource_type, row.resource_id) == (
        user.id,
        "clinician",
        "patient",
        str(patient.id),
    )
    assert (row.action, row.purpose, row.outcome) == ("read", "treatment", "allowed")
    assert row.user_agent == "test-browser"
    assert row.request_id  # django-guid's id of this request


def test_the_record_holds_references_never_phi(staff_client, role):
    patient = PatientFactory(family_name="Zebediah", email="zeb@example.test")
    _seen(role, patient)
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])
    client.get(f"/staff/patients/{patient.id}/")
    client.get("/staff/patients/", {"q": "zebed"})

    values = " ".join(
        str(value)
        for row in AccessRecord.objects.filter(patient_id=patient.id).values()
        for value in row.values()
    )
    assert AccessRecord.objects.filter(patient_id=patient.id).count() == 2
    for phi in ("Zebediah", "zeb@example.test", patient.birth_date.isoformat(), patient.mrn):
        assert phi not in values


def test_a_refused_attempt_is_recorded_as_denied(staff_client, role, elsewhere):
    client, user = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.get(f"/staff/patients/{elsewhere.id}/")

    assert response.status_code == 403
    row = AccessRecord.objects.get(patient_id=elsewhere.id)
    assert (row.user_id, row.outcome, row.action) == (user.id, "denied", "read")


def test_a_refused_change_is_recorded_even_though_nothing_was_written(
    staff_client, role, elsewhere
):
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.post(f"/staff/patients/{elsewhere.id}/allergies/no-known/")

    assert response.status_code == 403
    row = AccessRecord.objects.get(patient_id=elsewhere.id)
    assert (row.action, row.outcome) == ("update", "denied")


def test_an_appointment_at_another_location_is_recorded_as_denied(staff_client, role, elsewhere):
    appointment = AppointmentFactory(patient=elsewhere)
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    response = client.post(f"/staff/appointments/{appointment.id}/arrive/")

    assert response.status_code == 403
    row = AccessRecord.objects.get(resource_type="appointment")
    assert (row.patient_id, row.resource_id, row.outcome) == (
        elsewhere.id,
        str(appointment.id),
        "denied",
    )


# --- break-glass -------------------------------------------------------------------------------


def test_outside_care_answers_403_with_a_reason_form(staff_client, role, elsewhere):
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.get(f"/staff/patients/{elsewhere.id}/")

    page = response.content.decode()
    assert response.status_code == 403
    assert f'action="/staff/patients/{elsewhere.id}/break-glass/"' in page
    assert 'name="reason"' in page and "csrfmiddlewaretoken" in page
    assert "Outsider" not in page


@pytest.mark.parametrize("reason", ["", "   ", "urgent"])
def test_break_glass_without_a_real_reason_is_refused_with_a_form_error(
    staff_client, role, elsewhere, reason
):
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.post(f"/staff/patients/{elsewhere.id}/break-glass/", {"reason": reason})

    assert response.status_code == 400
    assert 'id="id_reason_error"' in response.content.decode()
    assert not BreakGlassGrant.objects.exists()
    assert client.get(f"/staff/patients/{elsewhere.id}/").status_code == 403


def test_break_glass_needs_the_csrf_token(staff_client, role, elsewhere):
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])
    client.handler.enforce_csrf_checks = True

    response = client.post(f"/staff/patients/{elsewhere.id}/break-glass/", {"reason": REASON})

    assert response.status_code == 403
    assert not BreakGlassGrant.objects.exists()


def test_break_glass_grants_time_boxed_access_recorded_and_announced(
    staff_client, role, elsewhere, settings
):
    # Shorter than the session's idle limit, so the same sign-in sees the grant expire.
    settings.BREAK_GLASS_MINUTES = 10
    client, user = staff_client(Role.CLINICIAN, locations=[role.location])
    chart = f"/staff/patients/{elsewhere.id}/"

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        # When I give a reason
        granted = client.post(
            f"/staff/patients/{elsewhere.id}/break-glass/", {"reason": REASON, "next": chart}
        )
        # Then I am sent to the chart, which opens
        assert granted.status_code == 302 and granted["Location"] == chart
        assert client.get(chart).status_code == 200
        grant = BreakGlassGrant.objects.get()
        assert (grant.user_id, grant.patient_id, grant.reason) == (user.id, elsewhere.id, REASON)
        assert grant.expires_at - grant.granted_at == dt.timedelta(minutes=10)

        # And the grant is a high-severity entry, every access under it is marked break-glass
        rows = list(AccessRecord.objects.filter(patient_id=elsewhere.id, outcome="allowed"))
        assert {(r.resource_type, r.purpose, r.severity) for r in rows} == {
            ("break_glass_grant", "break-glass", "high"),
            ("patient", "break-glass", "normal"),
        }
        # And an event tells the notifications service to alert the admins (ids only)
        event = OutboxEvent.objects.get(event_type="audit.BreakGlassAccessGranted")
        assert event.payload["patient_id"] == elsewhere.id
        assert event.payload["user_id"] == user.id
        assert REASON not in str(event.payload)

        # When the time is up, the chart is refused again
        traveller.shift(dt.timedelta(minutes=11))
        assert client.get(chart).status_code == 403


def test_break_glass_sends_back_only_to_this_site(staff_client, role, elsewhere):
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.post(
        f"/staff/patients/{elsewhere.id}/break-glass/",
        {"reason": REASON, "next": "https://evil.example/steal"},
    )

    assert response["Location"] == f"/staff/patients/{elsewhere.id}/"


# --- /staff/audit/ -----------------------------------------------------------------------------


@pytest.mark.parametrize("role_name", [Role.FRONT_DESK, Role.CLINICIAN])
def test_the_access_log_is_for_admins_only(staff_client, role_name):
    client, _ = staff_client(role_name)

    assert client.get("/staff/audit/").status_code == 403
    assert client.get("/staff/audit/export.csv").status_code == 403


def _log_entries(role, staff_client, n: int, patient=None):
    if patient is None:
        patient = PatientFactory()
        _seen(role, patient)
    client, user = staff_client(Role.CLINICIAN, locations=[role.location])
    for _ in range(n):
        client.get(f"/staff/patients/{patient.id}/")
    return patient, user


def test_admins_filter_the_log_and_see_names_resolved(staff_client, role, elsewhere):
    patient = PatientFactory(mrn="123456789")
    _seen(role, patient)
    patient, clinician = _log_entries(role, staff_client, 2, patient)
    denied_client, _ = staff_client(Role.CLINICIAN, locations=[role.location])
    denied_client.get(f"/staff/patients/{elsewhere.id}/")
    admin, _ = staff_client(Role.ADMIN)

    page = admin.get("/staff/audit/", {"patient": patient.mrn}).content.decode()
    assert "2 entries" in page and clinician.display_name in page
    assert "0 entries" in admin.get("/staff/audit/", {"patient": "987654321"}).content.decode()
    assert "2 entries" in admin.get("/staff/audit/", {"patient": patient.id}).content.decode()

    page = admin.get("/staff/audit/", {"outcome": "denied"}).content.decode()
    assert "1 entry" in page and f"#{elsewhere.id}" in page

    page = admin.get("/staff/audit/", {"user": clinician.email, "action": "read"}).content.decode()
    assert "2 entries" in page

    tomorrow = (timezone.now() + dt.timedelta(days=1)).date().isoformat()
    page = admin.get("/staff/audit/", {"since": tomorrow}).content.decode()
    assert "0 entries" in page


def test_a_bad_date_range_is_a_form_error(staff_client):
    admin, _ = staff_client(Role.ADMIN)

    response = admin.get("/staff/audit/", {"since": "2026-05-02", "until": "2026-05-01"})

    assert response.status_code == 400
    assert "must not be before" in response.content.decode()


def test_the_log_page_runs_the_same_queries_for_a_few_entries_and_a_full_page(staff_client, role):
    patient = PatientFactory()
    _seen(role, patient)
    admin, _ = staff_client(Role.ADMIN)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin.get("/staff/audit/").status_code == 200
        return len(queries)

    _log_entries(role, staff_client, 3, patient)
    small = count()
    _log_entries(role, staff_client, 30, patient)
    assert count() == small


def test_the_csv_export_streams_the_filtered_log_and_is_itself_recorded(
    staff_client, role, elsewhere
):
    patient, clinician = _log_entries(role, staff_client, 3)
    admin, admin_user = staff_client(Role.ADMIN)

    response = admin.get("/staff/audit/export.csv", {"patient": str(patient.id)})

    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    reads = [r for r in rows if r["action"] == "read"]
    assert len(reads) == 3 and len(rows) == 4  # and the export itself, newest first
    assert {(r["patient_id"], r["user_name"], r["actor_role"]) for r in reads} == {
        (str(patient.id), clinician.display_name, "clinician")
    }
    assert rows[0]["action"] == "export"
    export = AccessRecord.objects.get(action="export")
    assert (export.user_id, export.resource_type, export.patient_id) == (
        admin_user.id,
        "access_log",
        patient.id,
    )


def test_the_day_schedule_records_each_patient_it_lists_in_one_insert(staff_client, role):
    role.location.timezone = "UTC"
    role.location.save()
    first, second = PatientFactory.create_batch(2)
    _seen(role, first, days=0)
    start = timezone.now().replace(minute=30, second=0, microsecond=0)
    slot = SlotFactory(role=role, start=start, end=start + dt.timedelta(minutes=30))
    AppointmentFactory(patient=second, slot=slot)
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staff/").status_code == 200

    assert len(_audit_inserts(queries.captured_queries)) == 1
    assert set(
        AccessRecord.objects.filter(resource_type="schedule").values_list("patient_id", "action")
    ) == {(first.id, "search"), (second.id, "search")}


def test_the_csv_export_defuses_spreadsheet_formulas_from_the_user_agent(staff_client, role):
    patient = PatientFactory()
    _seen(role, patient)
    clinician, _ = staff_client(Role.CLINICIAN, locations=[role.location])
    clinician.get(f"/staff/patients/{patient.id}/", HTTP_USER_AGENT="=HYPERLINK(1)")
    admin, _ = staff_client(Role.ADMIN)

    response = admin.get("/staff/audit/export.csv", {"action": "read"})

    [row] = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert row["user_agent"] == "'=HYPERLINK(1)"


@pytest.mark.parametrize(("role_name", "shown"), [(Role.ADMIN, True), (Role.FRONT_DESK, False)])
def test_the_access_log_is_in_the_menu_of_admins_only(staff_client, role_name, shown):
    client, _ = staff_client(role_name)

    page = client.get("/staff/patients/").content.decode()

    assert ('href="/staff/audit/"' in page) is shown
