"""Patients: search within the care relationship, registration and edit, the chart's allergy
banner and allergy actions, appointments, and portal invitations."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.contracts import Role
from apps.allergies.models import AllergyIntolerance
from apps.patients.models import Patient, PortalInvitation
from apps.scheduling.models import Appointment
from tests.factories.accounts import user_in_role
from tests.factories.allergies import AllergyFactory, NoKnownAllergiesFactory
from tests.factories.patients import PatientFactory
from tests.factories.providers import AppointmentTypeFactory, PractitionerRoleFactory
from tests.factories.scheduling import AppointmentFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def role():
    visit = AppointmentTypeFactory(code="visit", name="Consultation", duration_minutes=20)
    return PractitionerRoleFactory(appointment_types=[visit])


_SLOT_MINUTES = itertools.count()


def _seen(role, patient: Patient, *, days: int = 7, hour: int | None = None) -> None:
    """An appointment of `patient` at the role's location `days` from now (at `hour` UTC, or
    in a half-hour slot of its own: a role has one slot per start)."""
    start = (timezone.now() + dt.timedelta(days=days)).replace(
        hour=hour if hour is not None else 0, minute=0, second=0, microsecond=0
    )
    if hour is None:
        start += dt.timedelta(minutes=30 * (next(_SLOT_MINUTES) % 48))
    slot = SlotFactory(role=role, start=start, end=start + dt.timedelta(minutes=30))
    AppointmentFactory(patient=patient, slot=slot)


def _in_care(role, **fields) -> Patient:
    patient = PatientFactory(**fields)
    _seen(role, patient)
    return patient


def _banner(page: str) -> str:
    return re.search(r'<section id="allergy-banner".*?</section>', page, re.S).group(0)


# --- search --------------------------------------------------------------------------------------


def test_search_finds_patients_in_my_care_and_no_others(staff_client, role):
    # Given two Smithsons: one seen at my location, one seen only elsewhere
    mine = _in_care(role, family_name="Smithson", given_name="Ada")
    other = PatientFactory(family_name="Smithson", given_name="Bea")
    _seen(PractitionerRoleFactory(appointment_types=[role.appointment_types.first()]), other)
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    # When I search by a name prefix
    page = client.get("/staff/patients/", {"q": "smiths"}).content.decode()

    # Then only my patient is listed, with a link to the chart, and the limit is explained
    assert f"/staff/patients/{mine.id}/" in page
    assert mine.mrn in page
    assert other.mrn not in page and "Bea" not in page
    assert "Only patients in your care are shown." in page


def test_search_says_when_no_patient_in_my_care_matches(staff_client, role):
    PatientFactory(family_name="Nobodyknows")
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    page = client.get("/staff/patients/", {"q": "Nobodyknows"}).content.decode()

    assert "No patient in your care matches" in page


@pytest.mark.parametrize("by", ["mrn", "birth_date", "family, given"])
def test_search_by_mrn_birth_date_or_full_name(staff_client, role, by):
    patient = _in_care(
        role,
        mrn="000012340",
        family_name="Quill",
        given_name="Peter",
        birth_date=dt.date(1981, 3, 4),
    )
    _in_care(role, family_name="Quint", given_name="Paula", birth_date=dt.date(1990, 1, 1))
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])
    query = {"mrn": "000012340", "birth_date": "1981-03-04", "family, given": "quill, pe"}[by]

    page = client.get("/staff/patients/", {"q": query}).content.decode()

    assert f"/staff/patients/{patient.id}/" in page
    assert "Quint" not in page


def test_search_shows_the_allergy_flag(staff_client, role):
    patient = _in_care(role, family_name="Allergic")
    AllergyFactory(patient=patient, criticality="high")
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    page = client.get("/staff/patients/", {"q": "allergic"}).content.decode()

    assert "Allergy: high" in page


def test_search_runs_the_same_number_of_queries_for_2_and_10_results(staff_client, role):
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/staff/patients/", {"q": "sameq"})
        assert response.status_code == 200
        return len(queries)

    for hour in range(2):
        AllergyFactory(patient=_in_care(role, family_name=f"Sameq{hour}"))
    small = count()
    for hour in range(8):
        AllergyFactory(patient=_in_care(role, family_name=f"Sameqq{hour}"), criticality="low")
    PatientFactory(family_name="Sameqz")  # matches, but not in my care
    large = count()
    assert large == small


# --- register and edit ---------------------------------------------------------------------------

FORM = {
    "family_name": "Walker",
    "given_name": "Wanda",
    "birth_date": "1975-06-30",
    "gender": "female",
    "phone": "+1 555 010 0199",
    "email": "wanda@example.test",
    "address_line": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "us",
    "emergency_contact_name": "Will Walker",
    "emergency_contact_phone": "+15550100198",
    "emergency_contact_relationship": "spouse",
    "preferred_language": "es",
    "consent_sms": "on",
}


def test_the_front_desk_registers_a_walk_in_and_can_open_the_chart(staff_client):
    # Given a front-desk user with no appointments anywhere
    client, user = staff_client(Role.FRONT_DESK)

    # When they register a walk-in
    response = client.post("/staff/patients/new/", FORM, follow=True)

    # Then the record is created by them, with the normalised fields, and the chart opens
    patient = Patient.objects.get(family_name="Walker")
    assert patient.created_by_id == user.id
    assert patient.phone == "+15550100199"
    assert patient.country == "US"
    assert patient.consent_sms is True and patient.consent_email is False
    assert response.redirect_chain[-1][0] == f"/staff/patients/{patient.id}/"
    assert response.status_code == 200
    assert f"MRN {patient.mrn}" in response.content.decode()
    # and their search finds the patient they registered
    search = client.get("/staff/patients/", {"q": "walker"}).content.decode()
    assert f"/staff/patients/{patient.id}/" in search


@pytest.mark.parametrize(
    ("birth_date", "rule"),
    [("2999-01-01", "Must not be in the future."), ("1975-13-40", "Enter a valid date.")],
)
def test_an_invalid_birth_date_is_named_and_nothing_is_registered(staff_client, birth_date, rule):
    client, _ = staff_client(Role.FRONT_DESK)

    response = client.post("/staff/patients/new/", {**FORM, "birth_date": birth_date})

    assert response.status_code == 400
    page = response.content.decode()
    assert f"Birth date: {rule}" in page
    assert 'id="id_birth_date_error"' in page
    assert not Patient.objects.filter(family_name="Walker").exists()


def test_a_bad_phone_is_named_and_nothing_is_registered(staff_client):
    client, _ = staff_client(Role.CLINICIAN)

    response = client.post("/staff/patients/new/", {**FORM, "phone": "12"})

    assert response.status_code == 400
    assert "Phone: Must be in international format" in response.content.decode()
    assert not Patient.objects.filter(family_name="Walker").exists()


def test_editing_a_patient_saves_the_change(staff_client, role):
    patient = _in_care(role, family_name="Edith", given_name="Eve", birth_date=dt.date(1960, 1, 2))
    client, user = staff_client(Role.FRONT_DESK, locations=[role.location])

    form = client.get(f"/staff/patients/{patient.id}/edit/").content.decode()
    assert 'value="Edith"' in form and 'value="1960-01-02"' in form
    response = client.post(
        f"/staff/patients/{patient.id}/edit/",
        {**FORM, "family_name": "Edith", "given_name": "Evelyn", "birth_date": "1960-01-02"},
    )

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.given_name == "Evelyn"
    assert patient.updated_by_id == user.id


def test_an_edit_with_a_bad_field_shows_the_error_and_changes_nothing(staff_client, role):
    patient = _in_care(role, given_name="Eve")
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    response = client.post(
        f"/staff/patients/{patient.id}/edit/",
        {**FORM, "given_name": "Evelyn", "emergency_contact_phone": "call me"},
    )

    assert response.status_code == 400
    assert "Emergency contact phone: Must be in international format" in response.content.decode()
    patient.refresh_from_db()
    assert patient.given_name == "Eve"


# --- the chart -----------------------------------------------------------------------------------


def test_the_chart_lists_high_criticality_first_and_flags_unconfirmed_patient_reports(
    staff_client, role
):
    patient = _in_care(role)
    AllergyFactory(patient=patient, substance=None, substance_text="Apricots", criticality="low")
    AllergyFactory(patient=patient, criticality="high")  # Penicillins
    AllergyFactory(
        patient=patient,
        substance=None,
        substance_text="Latex",
        criticality="low",
        asserted_by="patient",
        verification_status="unconfirmed",
    )
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    page = client.get(f"/staff/patients/{patient.id}/").content.decode()

    banner = _banner(page)
    assert "has-high" in banner
    assert banner.index("Penicillins") < banner.index("Apricots") < banner.index("Latex")
    assert re.search(r'<li class="high">\s*<span class="badge badge-danger">High', banner)
    assert banner.count("not yet confirmed") == 1
    assert page.index('id="allergy-banner"') < page.index('id="demographics-title"')


@pytest.mark.parametrize(
    ("statement", "css", "says"),
    [(True, "no-known", "No known allergies"), (False, "unknown", "Allergies not yet recorded")],
)
def test_the_banner_says_no_known_allergies_or_not_recorded(
    staff_client, role, statement, css, says
):
    patient = _in_care(role)
    if statement:
        NoKnownAllergiesFactory(patient=patient)
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    banner = _banner(client.get(f"/staff/patients/{patient.id}/").content.decode())

    assert f"allergy-banner {css}" in banner
    assert says in banner


def test_the_chart_shows_upcoming_and_past_appointments_in_local_time(staff_client, role):
    role.location.timezone = "Asia/Tokyo"
    role.location.save()
    patient = PatientFactory()
    _seen(role, patient, days=3, hour=1)  # 01:00 UTC is 10:00 in Tokyo
    _seen(role, patient, days=-40, hour=2)
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    page = client.get(f"/staff/patients/{patient.id}/").content.decode()

    upcoming = page[page.index("upcoming-title") : page.index("past-title")]
    past = page[page.index("past-title") :]
    assert ", 10:00 <span" in upcoming and "Asia/Tokyo" in upcoming
    assert ", 11:00 <span" in past


def test_a_patient_outside_my_care_is_refused_with_the_reason(staff_client, role):
    patient = PatientFactory()
    _seen(PractitionerRoleFactory(appointment_types=[role.appointment_types.first()]), patient)
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    for url in (f"/staff/patients/{patient.id}/", f"/staff/patients/{patient.id}/edit/"):
        response = client.get(url)
        assert response.status_code == 403
        page = response.content.decode()
        assert "no care relationship with this patient" in page
        assert patient.family_name not in page


def test_a_patient_registered_by_a_colleague_is_not_in_my_care(staff_client):
    colleague, _ = staff_client(Role.FRONT_DESK)
    colleague.post("/staff/patients/new/", FORM)
    patient = Patient.objects.get(family_name="Walker")
    client, _ = staff_client(Role.FRONT_DESK)

    assert client.get(f"/staff/patients/{patient.id}/").status_code == 403


def test_the_chart_renders_with_the_same_number_of_queries_for_2_and_10_entries(staff_client, role):
    patient = PatientFactory()
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])
    url = f"/staff/patients/{patient.id}/"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def add(n: int, first: int) -> None:
        for index in range(first, first + n):
            _seen(role, patient, days=index + 1)
            _seen(role, patient, days=-(index + 1))
            allergy = AllergyFactory(
                patient=patient, substance=None, substance_text=f"Thing {index}"
            )
            allergy.reactions.create(manifestations=["hives"], severity="mild")

    add(2, 0)
    small = count()
    add(8, 2)
    assert count() == small


# --- allergy actions -----------------------------------------------------------------------------


def _unconfirmed(patient: Patient) -> AllergyIntolerance:
    return AllergyFactory(patient=patient, asserted_by="patient", verification_status="unconfirmed")


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("confirm", ("confirmed", "active")),
        ("refute", ("refuted", "inactive")),
        ("entered-in-error", ("entered-in-error", None)),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_a_clinician_confirms_refutes_or_corrects_an_allergy(
    staff_client, role, action, expected, htmx
):
    patient = _in_care(role)
    allergy = _unconfirmed(patient)
    client, user = staff_client(Role.CLINICIAN, locations=[role.location])
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(
        f"/staff/patients/{patient.id}/allergies/{allergy.id}/{action}/", headers=headers
    )

    allergy.refresh_from_db()
    assert (allergy.verification_status, allergy.clinical_status) == expected
    assert allergy.updated_by_id == user.id
    if htmx:
        body = response.content.decode()
        assert body.lstrip().startswith('<section id="allergies"')
        assert 'id="allergy-banner"' in body and 'hx-swap-oob="true"' in body
    else:
        assert response.status_code == 302
        assert response["Location"] == f"/staff/patients/{patient.id}/#allergies"


def test_a_refused_allergy_action_is_explained(staff_client, role):
    patient = _in_care(role)
    allergy = AllergyFactory(patient=patient)  # already confirmed
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.post(
        f"/staff/patients/{patient.id}/allergies/{allergy.id}/confirm/",
        headers={"HX-Request": "true"},
    )

    assert "Only an unconfirmed entry can be confirmed." in response.content.decode()
    allergy.refresh_from_db()
    assert allergy.verification_status == "confirmed"


def test_another_patients_allergy_is_not_found_through_this_chart(staff_client, role):
    patient = _in_care(role)
    stranger_allergy = _unconfirmed(PatientFactory())
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.post(f"/staff/patients/{patient.id}/allergies/{stranger_allergy.id}/confirm/")

    assert response.status_code == 404
    stranger_allergy.refresh_from_db()
    assert stranger_allergy.verification_status == "unconfirmed"


def test_a_clinician_adds_an_allergy_with_a_reaction(staff_client, role):
    patient = _in_care(role)
    client, user = staff_client(Role.CLINICIAN, locations=[role.location])

    assert client.get(f"/staff/patients/{patient.id}/allergies/new/").status_code == 200
    response = client.post(
        f"/staff/patients/{patient.id}/allergies/new/",
        {
            "substance_code": "penicillins",
            "type": "allergy",
            "criticality": "high",
            "clinical_status": "active",
            "verification_status": "confirmed",
            "onset_date": "2001-02-03",
            "note": "Anaphylaxis in 2001",
            "manifestations": "hives, wheezing",
            "severity": "severe",
            "exposure_route": "injection",
        },
    )

    assert response.status_code == 302
    allergy = AllergyIntolerance.objects.get(patient=patient)
    assert allergy.substance.code == "penicillins"
    assert allergy.criticality == "high"
    assert allergy.recorder_id == user.id
    assert allergy.onset_date == dt.date(2001, 2, 3)
    reaction = allergy.reactions.get()
    assert reaction.manifestations == ["hives", "wheezing"]
    assert (reaction.severity, reaction.exposure_route) == ("severe", "injection")


def test_an_allergy_without_a_substance_is_refused_by_field(staff_client, role):
    patient = _in_care(role)
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.post(
        f"/staff/patients/{patient.id}/allergies/new/",
        {"criticality": "low", "clinical_status": "active", "verification_status": "confirmed"},
    )

    assert response.status_code == 400
    assert "Substance from the catalogue: Choose a substance" in response.content.decode()
    assert not AllergyIntolerance.objects.filter(patient=patient).exists()


def test_a_duplicate_allergy_is_refused_with_the_services_message(staff_client, role):
    patient = _in_care(role)
    AllergyFactory(patient=patient)  # an active penicillins entry
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])

    response = client.post(
        f"/staff/patients/{patient.id}/allergies/new/",
        {
            "substance_code": "penicillins",
            "criticality": "low",
            "clinical_status": "active",
            "verification_status": "confirmed",
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "The patient already has an active entry for this substance." in page
    assert "Substance from the catalogue: already recorded and active for this patient" in page
    assert AllergyIntolerance.objects.filter(patient=patient).count() == 1


def test_a_clinician_records_no_known_allergies(staff_client, role):
    patient = _in_care(role)
    client, _ = staff_client(Role.CLINICIAN, locations=[role.location])
    assert (
        "Record “no known allergies”"
        in client.get(f"/staff/patients/{patient.id}/").content.decode()
    )

    response = client.post(
        f"/staff/patients/{patient.id}/allergies/no-known/", headers={"HX-Request": "true"}
    )

    assert AllergyIntolerance.objects.get(patient=patient).kind == "no-known-allergies"
    assert "allergy-banner no-known" in response.content.decode()


def test_the_front_desk_sees_the_allergies_but_no_buttons_and_is_refused(staff_client, role):
    patient = _in_care(role)
    allergy = _unconfirmed(patient)
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    page = client.get(f"/staff/patients/{patient.id}/").content.decode()
    assert "Penicillins" in page
    assert "/allergies/" not in page
    assert "Add an allergy" not in page

    for url in (
        f"/staff/patients/{patient.id}/allergies/{allergy.id}/confirm/",
        f"/staff/patients/{patient.id}/allergies/{allergy.id}/refute/",
        f"/staff/patients/{patient.id}/allergies/{allergy.id}/entered-in-error/",
        f"/staff/patients/{patient.id}/allergies/no-known/",
        f"/staff/patients/{patient.id}/allergies/new/",
    ):
        response = client.post(url, {"substance_text": "Cats", "criticality": "low"})
        assert response.status_code == 403, url
        assert "record, confirm, refute or correct allergies" in response.content.decode()
    allergy.refresh_from_db()
    assert allergy.verification_status == "unconfirmed"
    assert AllergyIntolerance.objects.filter(patient=patient).count() == 1


# --- portal invitation ---------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [True, False])
def test_the_front_desk_issues_a_portal_invitation_shown_once(staff_client, role, htmx):
    patient = _in_care(role)
    client, user = staff_client(Role.FRONT_DESK, locations=[role.location])
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(f"/staff/patients/{patient.id}/invitation/", headers=headers)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    code = re.search(r'<p class="invitation-code">(\w+)</p>', response.content.decode()).group(1)
    invitation = PortalInvitation.objects.get(patient=patient)
    assert invitation.code_hash == hashlib.sha256(code.encode()).hexdigest()
    assert invitation.created_by_id == user.id
    assert invitation.expires_at.strftime("%d %b %Y, %H:%M UTC") in response.content.decode()


def test_an_invitation_for_a_patient_with_a_login_is_refused(staff_client, role):
    patient = _in_care(role, user=user_in_role(Role.PATIENT))
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])

    response = client.post(f"/staff/patients/{patient.id}/invitation/")

    assert response.status_code == 409
    assert "already has a portal login" in response.content.decode()
    assert not PortalInvitation.objects.filter(patient=patient).exists()


def test_the_today_page_links_patient_names_to_their_chart(staff_client, role):
    patient = PatientFactory()
    _seen(role, patient, days=0)
    client, _ = staff_client(Role.FRONT_DESK, locations=[role.location])
    appointment = Appointment.objects.get(patient=patient)
    start = appointment.start.astimezone(ZoneInfo(appointment.timezone)).date()

    page = client.get(f"/staff/?date={start.isoformat()}").content.decode()

    assert f'href="/staff/patients/{patient.id}/"' in page
