"""The patients admin: searches through the indexes, lists without N+1, writes through services."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.models import OutboxEvent
from apps.patients import services
from apps.patients.models import Patient, PortalInvitation
from tests.factories.patients import PatientDataFactory, registered_patient

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/patients/patient/"
ADD = "/admin/patients/patient/add/"


def _form(**overrides: str) -> dict[str, str]:
    return {
        "family_name": "Admin-Added",
        "given_name": "Pat",
        "birth_date": "1980-04-05",
        "gender": "female",
        "phone": "+34 600 111 222",
        "email": "Pat@Example.test",
        "preferred_language": "es",
        "consent_email": "on",
        "address_line": "",
        "city": "",
        "postal_code": "",
        "country": "es",
        "emergency_contact_name": "",
        "emergency_contact_phone": "",
        "emergency_contact_relationship": "",
        "_save": "Save",
        **overrides,
    }


def test_the_changelist_query_count_does_not_grow_with_rows(admin_client):
    def queries_for(count: int) -> int:
        Patient.objects.all().delete()
        services.patient_bulk_register(rows=PatientDataFactory.build_batch(count), source="import")
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(CHANGELIST)
        assert response.status_code == 200
        assert response.content.count(b'name="_selected_action"') == count
        return len(captured.captured_queries)

    assert queries_for(3) == queries_for(30)


def test_admin_add_goes_through_the_service(admin_client, admin_user, payloads):
    # when staff add a patient in the admin
    response = admin_client.post(ADD, _form())

    # then the service registered it: a valid MRN, normalised values, its author and events
    assert response.status_code == 302
    patient = Patient.objects.get(family_name="Admin-Added")
    assert services.mrn_is_valid(patient.mrn)
    assert (patient.phone, patient.email, patient.country) == (
        "+34600111222",
        "pat@example.test",
        "ES",
    )
    assert patient.created_by_id == admin_user.id
    assert payloads("patients.PatientRegistered") == [
        {"patient_id": patient.pk, "source": "staff", "preferred_language": "es"}
    ]
    assert len(payloads("patients.PatientContactChanged")) == 1
    assert response["Location"] == CHANGELIST


def test_admin_add_shows_the_services_errors_beside_the_fields(admin_client):
    response = admin_client.post(ADD, _form(phone="12345", birth_date="1850-01-01"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"phone", "birth_date"}
    assert "'+' and 8 to 15 digits" in errors["phone"][0]
    assert Patient.objects.count() == 0
    assert OutboxEvent.objects.count() == 0


def test_admin_change_goes_through_the_service(admin_client, admin_user, payloads):
    patient = registered_patient(family_name="Before", given_name="Pat", email="a@example.test")
    OutboxEvent.objects.all().delete()
    form = _form(
        family_name="After",
        given_name="Pat",
        birth_date=patient.birth_date.isoformat(),
        gender=patient.gender,
        phone=patient.phone,
        email="a@example.test",
        preferred_language=patient.preferred_language,
        country="",
    )
    if not patient.consent_email:
        form.pop("consent_email")

    response = admin_client.post(f"{CHANGELIST}{patient.pk}/change/", form)

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.family_name == "After"
    assert patient.updated_by_id == admin_user.id
    assert payloads("patients.PatientUpdated") == [
        {"patient_id": patient.pk, "changed_fields": ["family_name"]}
    ]


def test_admin_search_uses_the_selectors_rules(admin_client):
    smith = registered_patient(family_name="Smith", given_name="Jo")
    registered_patient(family_name="Smith", given_name="Ann")
    registered_patient(family_name="Jones", given_name="Smithy")

    by_name = admin_client.get(CHANGELIST, {"q": "smith, jo"})
    by_mrn = admin_client.get(CHANGELIST, {"q": smith.mrn})

    assert list(by_name.context["cl"].result_list) == [smith]
    assert list(by_mrn.context["cl"].result_list) == [smith]


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_admin_approve_action_goes_through_the_service(admin_client, payloads):
    # given a pending registration and an approved patient, both selected
    pending = registered_patient(review_status="pending", source="self")
    approved = registered_patient()

    # when staff approve the selection
    response = admin_client.post(
        CHANGELIST,
        {"action": "approve_registration", "_selected_action": [pending.pk, approved.pk]},
    )

    # then the pending one is approved, and the service's refusal of the other is shown
    assert response.status_code == 302
    assert Patient.objects.get(pk=pending.pk).review_status == "approved"
    assert payloads("patients.PatientUpdated") == [
        {"patient_id": pending.pk, "changed_fields": ["review_status"]}
    ]
    assert _messages(response) == [
        "1 patient(s) approved.",
        "1 patient(s) left as they were: This registration is not waiting for review.",
    ]


def test_admin_deactivate_action_goes_through_the_service(admin_client, payloads):
    patients = [registered_patient() for _ in range(2)]
    services.patient_deactivate(patient_id=patients[1].pk, by_id=None)
    selected = [patient.pk for patient in patients]

    response = admin_client.post(CHANGELIST, {"action": "deactivate", "_selected_action": selected})

    assert response.status_code == 302
    assert not Patient.objects.filter(active=True).exists()
    assert Patient.objects.count() == 2  # deactivated, not deleted
    # one event each: the one deactivated earlier was left alone
    assert sorted(p["patient_id"] for p in payloads("patients.PatientDeactivated")) == selected
    assert _messages(response) == ["1 patient(s) deactivated."]


def test_patients_cannot_be_deleted_in_the_admin(admin_client):
    patient = registered_patient()

    page = admin_client.get(CHANGELIST)
    delete = admin_client.post(f"{CHANGELIST}{patient.pk}/delete/", {"post": "yes"})

    assert b"delete_selected" not in page.content
    assert delete.status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_mrn_and_audit_fields_are_read_only(admin_client):
    patient = registered_patient()

    page = admin_client.get(f"{CHANGELIST}{patient.pk}/change/")

    form_fields = set(page.context["adminform"].form.fields)
    assert form_fields.isdisjoint(
        {"mrn", "active", "review_status", "user", "created_at", "created_by", "updated_by"}
    )
    assert patient.mrn.encode() in page.content


def test_invitations_are_read_only_and_hide_the_code_hash(admin_client):
    patient = registered_patient()
    invitation, code = services.invitation_issue(patient_id=patient.pk, issued_by_id=None)

    listing = admin_client.get("/admin/patients/portalinvitation/")
    detail = admin_client.get(f"/admin/patients/portalinvitation/{invitation.pk}/change/")
    add = admin_client.get("/admin/patients/portalinvitation/add/")

    assert listing.status_code == detail.status_code == 200
    assert add.status_code == 403
    for page in (listing, detail):
        assert invitation.code_hash.encode() not in page.content
        assert code.encode() not in page.content
    assert PortalInvitation.objects.get().code_hash == invitation.code_hash
