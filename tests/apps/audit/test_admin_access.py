"""The Django admin records what admins read and change of patients' data (purpose
administration): change pages, changelists, additions and actions."""

from __future__ import annotations

import pytest

from apps.allergies.models import AllergyIntolerance
from apps.audit.models import AccessRecord
from apps.patients.models import Patient
from tests.apps.patients.test_admin import _form as patient_admin_form
from tests.factories.allergies import AllergyFactory
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import AppointmentFactory

pytestmark = pytest.mark.django_db


def _rows(**filters) -> list[tuple]:
    return list(
        AccessRecord.objects.filter(**filters)
        .order_by("id")
        .values_list("patient_id", "resource_type", "resource_id", "action", "purpose")
    )


def test_opening_a_patient_in_the_admin_is_recorded(admin_client, admin_user):
    patient = PatientFactory()

    assert admin_client.get(f"/admin/patients/patient/{patient.pk}/change/").status_code == 200

    assert _rows() == [(patient.pk, "patient", str(patient.pk), "read", "administration")]
    row = AccessRecord.objects.get()
    assert (row.user_id, row.actor_role) == (admin_user.id, "admin")


def test_an_allergy_and_an_appointment_are_recorded_against_their_patient(admin_client):
    allergy = AllergyFactory()
    appointment = AppointmentFactory()

    admin_client.get(f"/admin/allergies/allergyintolerance/{allergy.pk}/change/")
    admin_client.get(f"/admin/scheduling/appointment/{appointment.pk}/change/")

    assert _rows() == [
        (allergy.patient_id, "allergy", str(allergy.pk), "read", "administration"),
        (appointment.patient_id, "appointment", str(appointment.pk), "read", "administration"),
    ]


def test_the_change_history_pages_are_recorded_as_reads(admin_client):
    patient = PatientFactory()
    version = patient.history.latest()

    history = f"/admin/patients/patient/{patient.pk}/history/"
    assert admin_client.get(history).status_code == 200
    assert admin_client.get(f"{history}{version.history_id}/").status_code == 200

    read = (patient.pk, "patient", str(patient.pk), "read", "administration")
    assert _rows() == [read, read]


def test_a_changelist_records_each_patient_it_shows_in_one_insert(admin_client):
    patients = PatientFactory.create_batch(3)

    response = admin_client.get("/admin/patients/patient/")

    assert response.status_code == 200
    assert sorted(_rows()) == sorted(
        (p.pk, "patient", str(p.pk), "search", "administration") for p in patients
    )


def test_an_admin_action_records_an_update_of_each_selected_patient(admin_client):
    chosen, other = PatientFactory.create_batch(2)

    admin_client.post(
        "/admin/patients/patient/",
        {"action": "deactivate", "_selected_action": [str(chosen.pk)]},
    )

    assert Patient.objects.get(pk=chosen.pk).active is False
    assert Patient.objects.get(pk=other.pk).active is True
    assert _rows(action="update") == [
        (chosen.pk, "patient", str(chosen.pk), "update", "administration")
    ]


def test_a_denied_admin_page_leaves_no_read_of_the_patient(client):
    allergy = AllergyFactory()

    response = client.get(f"/admin/allergies/allergyintolerance/{allergy.pk}/change/")

    assert response.status_code == 302
    assert AllergyIntolerance.objects.filter(pk=allergy.pk).exists()
    assert _rows() == []


def test_adding_a_patient_in_the_admin_is_recorded_as_a_create(admin_client):
    response = admin_client.post("/admin/patients/patient/add/", patient_admin_form())

    assert response.status_code == 302
    patient = Patient.objects.get(family_name="Admin-Added")
    assert _rows() == [(patient.pk, "patient", str(patient.pk), "create", "administration")]
