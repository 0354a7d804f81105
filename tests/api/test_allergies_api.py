"""/api/v1/me/allergies/ (list, report) and /api/v1/substances/."""

from __future__ import annotations

import pytest

from apps.allergies.models import AllergyIntolerance
from tests.factories.allergies import AllergyFactory, ReactionFactory, substance

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/allergies/"

REPORT = {
    "substance_code": "iodinated-contrast",
    "type": "allergy",
    "criticality": "high",
    "onset_date": "2019-06-01",
    "note": "Hives after a CT scan",
    "reactions": [
        {"manifestations": ["hives"], "severity": "moderate", "exposure_route": "injection"}
    ],
}


def test_a_patient_reports_an_allergy_that_starts_unconfirmed(api_a, patient_a):
    response = api_a.post(URL, REPORT, format="json")

    assert response.status_code == 201, response.content
    entry = AllergyIntolerance.objects.get()
    assert (entry.patient_id, entry.asserted_by, entry.verification_status) == (
        patient_a.id,
        "patient",
        "unconfirmed",
    )
    assert entry.recorder_id == patient_a.user_id
    body = response.json()
    assert body["substance_display"] == "Iodinated contrast media"
    assert body["reactions"][0]["manifestations"] == ["hives"]


def test_a_free_text_allergy_defaults_to_unable_to_assess(api_a):
    response = api_a.post(URL, {"substance_text": "Strawberries"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["criticality"] == "unable-to-assess"


def test_mass_assignment_of_statuses_and_owner_changes_nothing(api_a, patient_a, patient_b):
    response = api_a.post(
        URL,
        {
            **REPORT,
            "verification_status": "confirmed",
            "clinical_status": "resolved",
            "asserted_by": "staff",
            "patient": patient_b.id,
            "recorder": patient_b.user_id,
        },
        format="json",
    )

    assert response.status_code == 201
    entry = AllergyIntolerance.objects.get()
    assert (entry.verification_status, entry.clinical_status, entry.asserted_by) == (
        "unconfirmed",
        "active",
        "patient",
    )
    assert (entry.patient_id, entry.recorder_id) == (patient_a.id, patient_a.user_id)


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "substance_code", "validation_error"),
        ({**REPORT, "substance_text": "also this"}, "substance_text", "validation_error"),
        ({**REPORT, "substance_code": "unobtainium"}, "substance_code", "validation_error"),
        ({**REPORT, "criticality": "extreme"}, "criticality", "validation_error"),
        ({**REPORT, "onset_date": "2999-01-01"}, "onset_date", "validation_error"),
        ({**REPORT, "reactions": [{"severity": "mild"}]}, "reactions.0.manifestations", None),
    ],
)
def test_invalid_reports_are_400_naming_the_field(api_a, body, field, code):
    response = api_a.post(URL, body, format="json")

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    fields = {error["field"] for error in response.json()["errors"]}
    assert field in fields
    if code:
        assert response.json()["code"] == code
    assert not AllergyIntolerance.objects.exists()


def test_reporting_an_active_allergy_twice_is_a_conflict(api_a, patient_a):
    AllergyFactory(patient=patient_a, substance=substance("iodinated-contrast"))

    response = api_a.post(URL, REPORT, format="json")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert AllergyIntolerance.objects.count() == 1


def test_the_list_shows_the_callers_entries_without_those_entered_in_error(
    api_a, patient_a, patient_b
):
    mine = ReactionFactory(allergy=AllergyFactory(patient=patient_a)).allergy
    AllergyFactory(
        patient=patient_a,
        substance=substance("latex"),
        verification_status="entered-in-error",
        clinical_status=None,
    )
    AllergyFactory(patient=patient_b)

    response = api_a.get(URL)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == mine.id
    assert row["reactions"][0]["manifestations"] == ["urticaria"]


@pytest.mark.parametrize("rows", [1, 50])
def test_the_list_costs_the_same_queries_at_any_size(
    api_a, patient_a, django_assert_num_queries, rows
):
    for _ in range(rows):
        ReactionFactory(
            allergy=AllergyFactory(patient=patient_a, substance=None, substance_text="x")
        )

    with django_assert_num_queries(4):  # user, entries with substances, reactions, access log
        response = api_a.get(f"{URL}?page_size=50")

    assert len(response.json()["results"]) == rows


def test_the_list_needs_a_patient_token(client):
    response = client.get(URL)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("page_size", [1, 50])
def test_the_catalogue_is_paged_in_constant_queries(api_a, django_assert_num_queries, page_size):
    with django_assert_num_queries(2):  # user, the catalogue with its groups
        response = api_a.get(f"/api/v1/substances/?page_size={page_size}")

    body = response.json()
    assert len(body["results"]) == min(page_size, body["count"])
    assert set(body["results"][0]) == {"code", "display", "category"}
