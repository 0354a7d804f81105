"""The allergy admin: read-only entries, search and filters, verification through services."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.allergies.models import AllergyIntolerance
from tests.factories.allergies import AllergyFactory, ReactionFactory, substance
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/allergies/allergyintolerance/"
STATUS_CHANGED = "allergies.AllergyStatusChanged"


def _changelist_queries(admin_client, rows: int) -> int:
    """Queries of the changelist once the table holds `rows` entries, each of its own patient."""
    for _ in range(rows - AllergyIntolerance.objects.count()):
        AllergyFactory(patient=PatientFactory(), substance=substance("latex"), criticality="low")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows
    return len(queries)


def test_the_changelist_query_count_does_not_grow_with_rows(admin_client):
    assert _changelist_queries(admin_client, 3) == _changelist_queries(admin_client, 30)


def test_search_finds_a_patients_entries_by_exact_mrn(admin_client):
    wanted = AllergyFactory(substance=substance("peanut"))
    AllergyFactory(substance=substance("latex"))
    AllergyFactory(patient=PatientFactory(mrn=f"{wanted.patient.mrn}9"), substance=substance("egg"))

    response = admin_client.get(CHANGELIST, {"q": wanted.patient.mrn})

    assert list(response.context["cl"].result_list) == [wanted]


def test_search_finds_entries_by_substance_display(admin_client):
    wanted = AllergyFactory(substance=substance("latex"))
    AllergyFactory(substance=substance("peanut"))

    response = admin_client.get(CHANGELIST, {"q": "rubber"})

    assert list(response.context["cl"].result_list) == [wanted]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"verification_status__exact": "unconfirmed"}, "unconfirmed"),
        ({"criticality__exact": "low"}, "low"),
        ({"asserted_by__exact": "patient"}, "patient"),
    ],
)
def test_filters_narrow_the_list(admin_client, query, expected):
    AllergyFactory(substance=substance("latex"))
    wanted = AllergyFactory(
        substance=substance("peanut"),
        verification_status="unconfirmed",
        criticality="low",
        asserted_by="patient",
    )

    response = admin_client.get(CHANGELIST, query)

    assert list(response.context["cl"].result_list) == [wanted]
    assert expected in response.content.decode()


def _act(admin_client, action: str, *allergies):
    return admin_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [a.pk for a in allergies], "index": 0},
        follow=True,
    )


def test_the_confirm_action_confirms_through_the_service(admin_client, admin_user, payloads):
    unconfirmed = AllergyFactory(verification_status="unconfirmed", asserted_by="patient")
    confirmed = AllergyFactory(substance=substance("latex"))

    response = _act(admin_client, "confirm", unconfirmed, confirmed)

    unconfirmed.refresh_from_db()
    assert unconfirmed.verification_status == "confirmed"
    assert unconfirmed.updated_by_id == admin_user.id
    assert [p["allergy_id"] for p in payloads(STATUS_CHANGED)] == [unconfirmed.pk]
    text = response.content.decode()
    assert "Confirmed: 1 entries." in text
    assert f"#{confirmed.pk}: Only an unconfirmed entry can be confirmed." in text


@pytest.mark.parametrize(
    ("action", "clinical_status", "verification_status"),
    [
        ("refute", "inactive", "refuted"),
        ("mark_entered_in_error", None, "entered-in-error"),
    ],
)
def test_the_refute_and_error_actions_call_the_services(
    admin_client, payloads, action, clinical_status, verification_status
):
    allergy = AllergyFactory()

    _act(admin_client, action, allergy)

    allergy.refresh_from_db()
    assert (allergy.clinical_status, allergy.verification_status) == (
        clinical_status,
        verification_status,
    )
    assert len(payloads(STATUS_CHANGED)) == 1


def test_entries_cannot_be_added_edited_or_deleted_in_the_admin(admin_client):
    allergy = AllergyFactory()
    ReactionFactory(allergy=allergy)
    change_url = f"{CHANGELIST}{allergy.pk}/change/"

    page = admin_client.get(change_url)
    edit = admin_client.post(change_url, {"criticality": "low"})
    delete = admin_client.post(f"{CHANGELIST}{allergy.pk}/delete/", {"post": "yes"})
    add = admin_client.get(f"{CHANGELIST}add/")
    bulk_delete = _act(admin_client, "delete_selected", allergy)

    assert page.status_code == 200
    assert b"urticaria" in page.content
    assert edit.status_code == 403
    assert delete.status_code == 403
    assert add.status_code == 403
    assert b"No action selected" in bulk_delete.content
    allergy.refresh_from_db()
    assert allergy.criticality == "high"


def test_the_catalogue_is_a_searchable_read_only_list(admin_client):
    listing = admin_client.get("/admin/allergies/substance/", {"q": "amoxi"})
    add = admin_client.get("/admin/allergies/substance/add/")

    assert [s.code for s in listing.context["cl"].result_list] == ["amoxicillin"]
    assert add.status_code == 403
