"""POST /api/v1/auth/register/: with an invitation code, or self-registration pending review."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts.contracts import Role
from apps.accounts.models import User
from apps.core.models import OutboxEvent
from apps.core.problems import PROBLEM_CONTENT_TYPE
from apps.patients import public as patients
from apps.patients.models import Patient, PortalInvitation
from tests.factories.accounts import PASSWORD, user_in_role
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db

REGISTER_URL = "/api/v1/auth/register/"
SELF_REGISTRATION = {
    "email": "Ana.Garcia@Example.test",
    "password": PASSWORD,
    "family_name": "García",
    "given_name": "Ana",
    "birth_date": "1985-04-12",
    "gender": "female",
    "phone": "+34 600 111 222",
    "preferred_language": "es",
}


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def invited():
    """A patient record without a login, and a fresh invitation code for it."""
    patient = PatientFactory()
    return patient, patients.invitation_issue(patient_id=patient.id, issued_by_id=None)


def register(body: dict):
    return APIClient().post(REGISTER_URL, body, format="json")


def sign_in(email: str, password: str = PASSWORD):
    return APIClient().post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json"
    )


def error_fields(response) -> set[str]:
    return {error["field"] for error in response.json().get("errors", [])}


# --- With an invitation --------------------------------------------------------------------------


def test_an_invited_patient_registers_and_signs_in(invited):
    patient, code = invited

    response = register(
        {"email": "new.login@example.test", "password": PASSWORD, "invitation_code": code}
    )

    assert response.status_code == 201
    assert response.json() == {"mrn": patient.mrn, "review_status": "approved"}
    patient.refresh_from_db()
    assert patient.user.email == "new.login@example.test"
    assert set(patient.user.groups.values_list("name", flat=True)) == {Role.PATIENT.value}
    assert sign_in("new.login@example.test").status_code == 200


def test_an_invitation_is_single_use(invited):
    _, code = invited
    assert (
        register(
            {"email": "first@example.test", "password": PASSWORD, "invitation_code": code}
        ).status_code
        == 201
    )

    response = register(
        {"email": "second@example.test", "password": PASSWORD, "invitation_code": code}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invitation_invalid"
    assert error_fields(response) == {"invitation_code"}
    assert not User.objects.filter(email="second@example.test").exists()


def test_an_unknown_code_creates_nothing(invited):
    response = register(
        {"email": "x@example.test", "password": PASSWORD, "invitation_code": "ZZZZ-ZZZZ"}
    )

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["code"] == "invitation_invalid"
    assert not User.objects.filter(email="x@example.test").exists()


def test_a_weak_password_is_named_and_leaves_the_code_unused(invited):
    patient, code = invited

    response = register({"email": "x@example.test", "password": "short", "invitation_code": code})

    assert response.status_code == 400
    assert error_fields(response) == {"password"}
    assert PortalInvitation.objects.get(patient=patient).used_at is None
    assert (
        register(
            {"email": "x@example.test", "password": PASSWORD, "invitation_code": code}
        ).status_code
        == 201
    )


def test_registering_with_an_invitation_ignores_every_other_field(invited):
    patient, code = invited
    before = Patient.objects.values().get(pk=patient.pk)

    response = register(
        {
            "email": "x@example.test",
            "password": PASSWORD,
            "invitation_code": code,
            "family_name": "Mallory",
            "birth_date": "2000-01-01",
            "review_status": "pending",
            "mrn": "999999999",
            "active": False,
            "is_staff": True,
        }
    )

    assert response.status_code == 201
    after = Patient.objects.values().get(pk=patient.pk)
    assert {**after, "user_id": None, "updated_at": None} == {
        **before,
        "user_id": None,
        "updated_at": None,
    }
    assert User.objects.get(email="x@example.test").is_staff is False


# --- Self-registration ---------------------------------------------------------------------------


def test_self_registration_creates_a_record_waiting_for_review_and_its_login():
    response = register(SELF_REGISTRATION)

    assert response.status_code == 201
    assert response.json()["review_status"] == "pending"
    patient = Patient.objects.get(mrn=response.json()["mrn"])
    assert (patient.registration_source, patient.review_status) == ("self", "pending")
    assert (patient.family_name, patient.phone, patient.email) == (
        "García",
        "+34600111222",
        "ana.garcia@example.test",
    )
    assert patient.user.email == "ana.garcia@example.test"
    assert patient.user.groups.filter(name=Role.PATIENT.value).exists()
    assert OutboxEvent.objects.filter(
        event_type="patients.PatientRegistered", aggregate_id=str(patient.id)
    ).exists()
    # May sign in (booking is refused by scheduling until staff approve).
    assert sign_in("ana.garcia@example.test").status_code == 200


def test_self_registration_ignores_status_and_identity_fields():
    response = register(
        {
            **SELF_REGISTRATION,
            "review_status": "approved",
            "registration_source": "staff",
            "mrn": "999999999",
            "active": False,
            "consent_email": True,
            "is_staff": True,
            "role": "admin",
        }
    )

    assert response.status_code == 201
    patient = Patient.objects.get(mrn=response.json()["mrn"])
    assert patient.mrn != "999999999"
    assert (patient.review_status, patient.registration_source, patient.active) == (
        "pending",
        "self",
        True,
    )
    assert patient.consent_email is False
    assert patient.user.is_staff is False
    assert list(patient.user.groups.values_list("name", flat=True)) == [Role.PATIENT.value]


def test_self_registration_names_the_missing_demographics():
    response = register({"email": "x@example.test", "password": PASSWORD})

    assert response.status_code == 400
    assert error_fields(response) == {"family_name", "given_name", "birth_date", "gender"}


def test_every_bad_field_is_named_at_once_and_nothing_is_written():
    users, records = User.objects.count(), Patient.objects.count()

    response = register(
        {**SELF_REGISTRATION, "email": "not-an-email", "password": "short", "phone": "12"}
    )

    assert response.status_code == 400
    assert error_fields(response) == {"email", "password", "phone"}
    assert (User.objects.count(), Patient.objects.count()) == (users, records)


@pytest.mark.parametrize(
    "field, value",
    [("birth_date", "2999-01-01"), ("birth_date", "12/04/1985"), ("gender", "robot")],
)
def test_bad_demographics_are_named(field, value):
    response = register({**SELF_REGISTRATION, field: value})

    assert response.status_code == 400
    assert error_fields(response) == {field}


@pytest.mark.parametrize("spelling", ["taken@example.test", " TAKEN@example.test "])
def test_an_email_with_a_login_gets_a_generic_refusal_and_nothing_is_written(spelling):
    user_in_role(Role.PATIENT, email="taken@example.test")
    records = Patient.objects.count()

    response = register({**SELF_REGISTRATION, "email": spelling})

    assert response.status_code == 400
    assert response.json()["code"] == "registration_refused"
    assert response.json()["detail"] == "We cannot register an account with these details."
    assert "errors" not in response.json()  # nothing points at the email
    assert Patient.objects.count() == records


def test_an_email_with_a_login_leaves_the_invitation_unused(invited):
    patient, code = invited
    user_in_role(Role.CLINICIAN, email="taken@example.test")

    response = register(
        {"email": "taken@example.test", "password": PASSWORD, "invitation_code": code}
    )

    assert response.json()["code"] == "registration_refused"
    assert PortalInvitation.objects.get(patient=patient).used_at is None
    patient.refresh_from_db()
    assert patient.user_id is None
