"""GET/PATCH /api/v1/me/: the caller's own record; only contact data and consent are writable."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.models import OutboxEvent
from apps.core.problems import PROBLEM_CONTENT_TYPE
from apps.patients.models import Patient
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/me/"
PROFILE_FIELDS = {
    "mrn", "family_name", "given_name", "birth_date", "gender", "phone", "email",
    "address_line", "city", "postal_code", "country", "emergency_contact_name",
    "emergency_contact_phone", "emergency_contact_relationship", "preferred_language",
    "consent_email", "consent_sms", "review_status",
}  # fmt: skip


def test_a_patient_reads_their_own_profile(patient_a, api_a):
    response = api_a.get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROFILE_FIELDS
    assert body["mrn"] == patient_a.mrn
    assert body["family_name"] == patient_a.family_name
    assert body["birth_date"] == patient_a.birth_date.isoformat()
    assert body["email"] == patient_a.email
    assert body["review_status"] == "approved"


def test_each_patient_sees_only_their_own_record(patient_a, patient_b, api_a, api_b):
    assert api_a.get(ME_URL).json()["mrn"] == patient_a.mrn
    assert api_b.get(ME_URL).json()["mrn"] == patient_b.mrn


def test_reading_the_profile_takes_two_queries(api_a, django_assert_num_queries):
    with django_assert_num_queries(3):  # the token's user, the profile, the access log's insert
        assert api_a.get(ME_URL).status_code == 200


def test_the_profile_needs_a_token():
    response = APIClient().get(ME_URL)

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE


def test_a_token_without_the_patient_claim_is_refused(patient_a):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(patient_a.user).access_token}"
    )

    response = client.get(ME_URL)

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE


def test_a_deactivated_record_is_not_found(patient_a, api_a):
    Patient.objects.filter(pk=patient_a.pk).update(active=False)

    assert api_a.get(ME_URL).status_code == 404
    assert api_a.patch(ME_URL, {"city": "Madrid"}, format="json").status_code == 404


def test_a_patient_changes_contact_data_and_consent(patient_a, api_a):
    changes = {
        "phone": "+34 600 999 888",
        "email": "Ana.New@Example.test",
        "address_line": "Calle Mayor 1",
        "city": "Madrid",
        "postal_code": "28013",
        "country": "es",
        "emergency_contact_name": "Luis",
        "emergency_contact_phone": "+34600333444",
        "emergency_contact_relationship": "brother",
        "preferred_language": "es",
        "consent_email": False,
        "consent_sms": False,
    }

    response = api_a.patch(ME_URL, changes, format="json")

    assert response.status_code == 200
    assert response.json()["phone"] == "+34600999888"
    assert response.json()["country"] == "ES"
    patient_a.refresh_from_db()
    assert (patient_a.phone, patient_a.email, patient_a.city, patient_a.consent_sms) == (
        "+34600999888",
        "ana.new@example.test",
        "Madrid",
        False,
    )
    assert patient_a.updated_by_id == patient_a.user_id
    assert OutboxEvent.objects.filter(
        event_type="patients.PatientContactChanged", aggregate_id=str(patient_a.id)
    ).exists()


def test_the_contact_email_is_not_the_login(patient_a, api_a):
    api_a.patch(ME_URL, {"email": "contact@example.test"}, format="json")

    patient_a.user.refresh_from_db()
    assert patient_a.user.email != "contact@example.test"


def test_names_birth_date_mrn_and_status_fields_are_ignored(patient_a, patient_b, api_a):
    before = Patient.objects.values().get(pk=patient_a.pk)
    before_b = Patient.objects.values().get(pk=patient_b.pk)

    response = api_a.patch(
        ME_URL,
        {
            "city": "Madrid",
            "family_name": "Mallory",
            "given_name": "Eve",
            "birth_date": "2001-01-01",
            "gender": "other",
            "mrn": "999999999",
            "review_status": "pending",
            "registration_source": "import",
            "active": False,
            "user": patient_b.user_id,
            "id": patient_b.id,
            "patient_id": patient_b.id,
        },
        format="json",
    )

    assert response.status_code == 200
    after = Patient.objects.values().get(pk=patient_a.pk)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"city", "updated_at", "updated_by_id"}
    assert Patient.objects.values().get(pk=patient_b.pk) == before_b


@pytest.mark.parametrize(
    "field, value",
    [
        ("phone", "12345"),
        ("email", "not-an-email"),
        ("country", "Spain"),
        ("preferred_language", "fr"),
        ("consent_sms", "maybe"),
        ("emergency_contact_relationship", "x" * 51),
    ],
)
def test_a_bad_value_is_named_and_changes_nothing(patient_a, api_a, field, value):
    before = Patient.objects.values().get(pk=patient_a.pk)

    response = api_a.patch(ME_URL, {field: value, "city": "Madrid"}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert {error["field"] for error in response.json()["errors"]} == {field}
    assert Patient.objects.values().get(pk=patient_a.pk) == before


def test_an_empty_patch_changes_nothing(patient_a, api_a):
    before = Patient.objects.values().get(pk=patient_a.pk)

    response = api_a.patch(ME_URL, {}, format="json")

    assert response.status_code == 200
    assert Patient.objects.values().get(pk=patient_a.pk) == before


def test_patching_needs_a_patient_token(patient_a):
    response = APIClient().patch(ME_URL, {"city": "Madrid"}, format="json")

    assert response.status_code == 401
    patient_a.refresh_from_db()
    assert patient_a.city == ""


def test_another_patients_token_changes_only_their_record(patient_a, patient_b):
    client_for(patient_b).patch(ME_URL, {"city": "Bilbao"}, format="json")

    patient_a.refresh_from_db()
    patient_b.refresh_from_db()
    assert (patient_a.city, patient_b.city) == ("", "Bilbao")
