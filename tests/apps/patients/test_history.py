"""Change history of patients: who changed what and when, through the services, the patient
API and the admin (read-only), and the reader's answer in one query."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from simple_history.models import HistoricalRecords

from apps.accounts.contracts import Role
from apps.core.changes import ChangeKind
from apps.patients import public, services
from apps.patients.models import Patient
from tests.api.conftest import client_for
from tests.factories.accounts import user_in_role
from tests.factories.patients import PatientDataFactory, PatientFactory, registered_patient

pytestmark = pytest.mark.django_db


def _fields(change) -> dict[str, tuple[str, str]]:
    return {field.field: (field.old, field.new) for field in change.changes}


def test_an_edit_through_the_service_records_who_changed_which_fields():
    registrar = user_in_role(Role.FRONT_DESK)
    editor = user_in_role(Role.CLINICIAN)
    patient = registered_patient(created_by_id=registrar.id, phone="+15550001111", city="Boston")

    public.patient_update(
        patient_id=patient.id, updated_by_id=editor.id, phone="+1 555 000 2222", city="Boston"
    )

    changed, created = public.patient_changes(patient_id=patient.id)
    assert changed.kind is ChangeKind.CHANGED
    assert changed.user_id == editor.id
    assert changed.record_type == "patient" and changed.record_id == patient.id
    assert _fields(changed) == {"phone": ("+15550001111", "+15550002222")}
    assert [field.label for field in changed.changes] == ["Phone"]
    assert created.kind is ChangeKind.CREATED
    assert created.user_id == registrar.id
    assert _fields(created)["city"] == ("", "Boston")
    assert changed.when >= created.when


def test_choice_and_yes_no_fields_show_their_labels():
    staff = user_in_role(Role.FRONT_DESK)
    patient = registered_patient(gender="female", consent_sms=False)

    public.patient_update(
        patient_id=patient.id, updated_by_id=staff.id, gender="other", consent_sms=True
    )
    public.patient_deactivate(patient_id=patient.id, by_id=staff.id)

    deactivated, changed, _ = public.patient_changes(patient_id=patient.id)
    assert _fields(changed) == {"gender": ("Female", "Other"), "consent_sms": ("No", "Yes")}
    assert _fields(deactivated) == {"active": ("Yes", "No")}
    assert deactivated.user_id == staff.id


def test_an_edit_that_changes_nothing_records_nothing():
    staff = user_in_role(Role.FRONT_DESK)
    patient = registered_patient(city="Boston")

    public.patient_update(patient_id=patient.id, updated_by_id=staff.id, city="Boston")

    assert [change.kind for change in public.patient_changes(patient_id=patient.id)] == [
        ChangeKind.CREATED
    ]


def test_bookkeeping_fields_are_not_kept_in_history():
    history_fields = {field.name for field in Patient.history.model._meta.fields}

    assert "updated_at" not in history_fields
    assert "updated_by" not in history_fields
    assert {"family_name", "birth_date", "phone", "active"} <= history_fields


def test_the_patients_own_edit_through_the_api_records_their_login():
    patient = PatientFactory(phone="+15550003333")
    patient.user = user_in_role(Role.PATIENT, email=patient.email)
    patient.save(update_fields=["user"])

    response = client_for(patient).patch("/api/v1/me/", {"phone": "+15550004444"}, format="json")

    assert response.status_code == 200
    latest = public.patient_changes(patient_id=patient.id)[0]
    assert latest.user_id == patient.user_id
    assert _fields(latest) == {"phone": ("+15550003333", "+15550004444")}


def test_a_named_actor_wins_and_without_one_the_requests_user_is_recorded():
    """The history middleware's request is the fallback for a save that names no one."""
    staff = user_in_role(Role.CLINICIAN)
    named = user_in_role(Role.FRONT_DESK)
    patient = registered_patient()

    class Request:
        user = staff

    HistoricalRecords.context.request = Request()
    try:
        public.patient_update(patient_id=patient.id, updated_by_id=None, city="Lisbon")
        public.patient_update(patient_id=patient.id, updated_by_id=named.id, city="Porto")
    finally:
        del HistoricalRecords.context.request

    by_name, by_request, created = public.patient_changes(patient_id=patient.id)
    assert by_request.user_id == staff.id
    assert by_name.user_id == named.id
    assert created.user_id is None  # registered outside any request, by no one


def test_bulk_registration_records_each_creation_by_the_importer():
    importer = user_in_role(Role.ADMIN)

    ids = services.patient_bulk_register(
        rows=PatientDataFactory.build_batch(3), source="import", created_by_id=importer.id
    )

    history = Patient.history.filter(id__in=ids)
    assert sorted(history.values_list("id", flat=True)) == sorted(ids)
    assert set(history.values_list("history_type", "history_user_id")) == {("+", importer.id)}
    # The rows are snapshots of the records as written.
    patient = Patient.objects.get(pk=ids[0])
    snapshot = history.get(id=ids[0])
    assert (snapshot.mrn, snapshot.family_name, snapshot.birth_date) == (
        patient.mrn,
        patient.family_name,
        patient.birth_date,
    )


def test_a_record_older_than_its_history_says_its_earlier_values_are_unknown():
    staff = user_in_role(Role.FRONT_DESK)
    patient = registered_patient(city="Boston")
    Patient.history.filter(id=patient.id).delete()  # as a record from before history was kept

    public.patient_update(patient_id=patient.id, updated_by_id=staff.id, city="Denver")

    (change,) = public.patient_changes(patient_id=patient.id)
    assert change.kind is ChangeKind.CHANGED
    assert change.earlier_unrecorded
    assert _fields(change)["city"] == ("", "Denver")


@pytest.mark.parametrize("edits", [2, 12])
def test_the_reader_takes_one_query_whatever_the_number_of_versions(edits):
    staff = user_in_role(Role.FRONT_DESK)
    patient = registered_patient()
    for index in range(edits):
        public.patient_update(patient_id=patient.id, updated_by_id=staff.id, city=f"City {index}")

    with CaptureQueriesContext(connection) as queries:
        changes = public.patient_changes(patient_id=patient.id)

    assert len(changes) == edits + 1
    assert len(queries) == 1


# --- admin -------------------------------------------------------------------------------------


def test_the_admin_history_page_lists_who_changed_what(admin_client, admin_user):
    patient = registered_patient(city="Boston")
    public.patient_update(patient_id=patient.id, updated_by_id=admin_user.id, city="Denver")

    response = admin_client.get(f"/admin/patients/patient/{patient.id}/history/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Denver" in page and "Boston" in page
    assert str(admin_user) in page
    assert 'style="' not in page


def test_an_edit_in_the_admin_is_recorded_as_the_admins(admin_client, admin_user):
    patient = registered_patient(city="Boston")
    form = {
        name: getattr(patient, name) for name in services.EDITABLE_FIELDS if name != "consent_sms"
    }
    form = {name: value for name, value in form.items() if value not in (False, None)}
    form.update(
        {"city": "Denver", "birth_date": patient.birth_date.isoformat(), "consent_email": "on"}
    )

    response = admin_client.post(f"/admin/patients/patient/{patient.id}/change/", form)

    assert response.status_code == 302
    latest = public.patient_changes(patient_id=patient.id)[0]
    assert latest.user_id == admin_user.id
    assert _fields(latest)["city"] == ("Boston", "Denver")


def test_a_version_can_be_read_but_never_restored(admin_client, admin_user):
    patient = registered_patient(city="Boston", birth_date=dt.date(1980, 1, 2))
    public.patient_update(patient_id=patient.id, updated_by_id=admin_user.id, city="Denver")
    first = Patient.history.filter(id=patient.id).earliest("history_id")
    url = f"/admin/patients/patient/{patient.id}/history/{first.history_id}/"

    page = admin_client.get(url)
    assert page.status_code == 200
    assert b"Revert" not in page.content

    refused = admin_client.post(url, {"city": "Boston", "_save": "Revert"})

    assert refused.status_code == 403
    patient.refresh_from_db()
    assert patient.city == "Denver"
    assert Patient.history.filter(id=patient.id).count() == 2
