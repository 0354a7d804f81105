"""Changes to a patient: edits, (de)activation, review approval and the portal login link."""

from __future__ import annotations

import pytest

from apps.accounts.contracts import Role
from apps.core.errors import Conflict, ValidationFailed
from apps.core.models import OutboxEvent
from apps.patients import services
from apps.patients.contracts import PatientNotFound, ReviewStatus
from apps.patients.models import Patient
from tests.factories.accounts import UserFactory, user_in_role
from tests.factories.patients import registered_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient() -> Patient:
    patient = registered_patient(
        family_name="Smith",
        given_name="Jo",
        phone="+34600000001",
        email="jo@example.test",
        city="Madrid",
    )
    OutboxEvent.objects.all().delete()  # only the events of the change under test remain
    return patient


# --- patient_update ------------------------------------------------------------------------------


def test_update_emits_the_changed_field_names_only(patient, payloads):
    editor = UserFactory()

    services.patient_update(
        patient_id=patient.pk,
        updated_by_id=editor.id,
        family_name="Smythe",
        city="Sevilla",
        given_name="Jo",  # unchanged
    )

    patient.refresh_from_db()
    assert (patient.family_name, patient.city) == ("Smythe", "Sevilla")
    assert patient.updated_by_id == editor.id
    assert payloads("patients.PatientUpdated") == [
        {"patient_id": patient.pk, "changed_fields": ["family_name", "city"]}
    ]
    # No contact field changed, so the notifications projection hears nothing.
    assert payloads("patients.PatientContactChanged") == []
    assert "Smythe" not in str(payloads("patients.PatientUpdated"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "+34600000002"),
        ("email", "new@example.test"),
        ("preferred_language", "es"),
        ("consent_email", False),
        ("consent_sms", True),
    ],
)
def test_a_contact_change_also_emits_the_contact_data(patient, payloads, field, value):
    services.patient_update(patient_id=patient.pk, updated_by_id=None, **{field: value})

    assert payloads("patients.PatientUpdated") == [
        {"patient_id": patient.pk, "changed_fields": [field]}
    ]
    [contact] = payloads("patients.PatientContactChanged")
    assert contact["patient_id"] == patient.pk
    assert contact[field] == value
    assert contact["active"] is True


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"family_name": "Smith", "city": "Madrid"},
        # Equal once normalised: no change either.
        {"family_name": " Smith ", "phone": "+34 600-000-001", "email": "JO@example.test"},
    ],
)
def test_no_change_writes_nothing_and_emits_nothing(patient, fields):
    before = Patient.objects.values("updated_at", "updated_by_id").get(pk=patient.pk)

    services.patient_update(patient_id=patient.pk, updated_by_id=UserFactory().id, **fields)

    assert Patient.objects.values("updated_at", "updated_by_id").get(pk=patient.pk) == before
    assert OutboxEvent.objects.count() == 0


def test_update_names_every_bad_or_uneditable_field_and_changes_nothing(patient):
    with pytest.raises(ValidationFailed) as error:
        services.patient_update(
            patient_id=patient.pk,
            updated_by_id=None,
            family_name="",
            email="nope",
            mrn="000000000",
            active=False,
            city="Valencia",
        )

    assert set(error.value.field_errors) == {"family_name", "email", "mrn", "active"}
    patient.refresh_from_db()
    assert (patient.family_name, patient.city, patient.active) == ("Smith", "Madrid", True)
    assert OutboxEvent.objects.count() == 0


def test_update_of_an_unknown_patient_is_not_found():
    with pytest.raises(PatientNotFound):
        services.patient_update(patient_id=987654, updated_by_id=None, city="Madrid")


# --- deactivation --------------------------------------------------------------------------------


def test_deactivate_keeps_the_row_and_tells_projections_to_stop(patient, payloads):
    staff = UserFactory()

    services.patient_deactivate(patient_id=patient.pk, by_id=staff.id)

    stored = Patient.objects.get(pk=patient.pk)  # still there: records are never deleted
    assert stored.active is False
    assert stored.updated_by_id == staff.id
    assert payloads("patients.PatientDeactivated") == [{"patient_id": patient.pk}]
    [contact] = payloads("patients.PatientContactChanged")
    assert contact["active"] is False


def test_deactivating_twice_emits_once(patient):
    services.patient_deactivate(patient_id=patient.pk, by_id=None)
    services.patient_deactivate(patient_id=patient.pk, by_id=None)

    assert OutboxEvent.objects.filter(event_type="patients.PatientDeactivated").count() == 1
    assert Patient.objects.filter(pk=patient.pk).count() == 1


def test_reactivate_lets_projections_message_again(patient, payloads):
    services.patient_deactivate(patient_id=patient.pk, by_id=None)

    services.patient_reactivate(patient_id=patient.pk, by_id=None)
    services.patient_reactivate(patient_id=patient.pk, by_id=None)  # no change the second time

    assert Patient.objects.get(pk=patient.pk).active is True
    assert payloads("patients.PatientUpdated") == [
        {"patient_id": patient.pk, "changed_fields": ["active"]}
    ]
    assert [p["active"] for p in payloads("patients.PatientContactChanged")] == [False, True]


# --- review --------------------------------------------------------------------------------------


def test_approving_a_pending_registration(payloads):
    patient = registered_patient(review_status=ReviewStatus.PENDING, source="self")
    staff = UserFactory()

    services.patient_approve_registration(patient_id=patient.pk, by_id=staff.id)

    patient.refresh_from_db()
    assert patient.review_status == "approved"
    assert patient.updated_by_id == staff.id
    assert payloads("patients.PatientUpdated") == [
        {"patient_id": patient.pk, "changed_fields": ["review_status"]}
    ]


def test_approving_an_approved_registration_is_a_conflict(patient):
    with pytest.raises(Conflict) as error:
        services.patient_approve_registration(patient_id=patient.pk, by_id=None)

    assert error.value.code == "registration_not_pending"
    assert OutboxEvent.objects.count() == 0


# --- portal login link ---------------------------------------------------------------------------


def test_link_user_sets_the_login_once(patient, payloads):
    login = user_in_role(Role.PATIENT)

    services.patient_link_user(patient_id=patient.pk, user_id=login.id)
    services.patient_link_user(patient_id=patient.pk, user_id=login.id)  # same login: no change

    assert Patient.objects.get(pk=patient.pk).user_id == login.id
    assert payloads("patients.PatientUpdated") == [
        {"patient_id": patient.pk, "changed_fields": ["user"]}
    ]


def test_link_user_refuses_a_patient_already_linked(patient):
    first, second = user_in_role(Role.PATIENT), user_in_role(Role.PATIENT)
    services.patient_link_user(patient_id=patient.pk, user_id=first.id)

    with pytest.raises(Conflict) as error:
        services.patient_link_user(patient_id=patient.pk, user_id=second.id)

    assert error.value.code == "patient_already_linked"
    assert Patient.objects.get(pk=patient.pk).user_id == first.id


def test_link_user_refuses_a_login_of_another_patient(patient):
    login = user_in_role(Role.PATIENT)
    other = registered_patient()
    services.patient_link_user(patient_id=other.pk, user_id=login.id)

    with pytest.raises(Conflict) as error:
        services.patient_link_user(patient_id=patient.pk, user_id=login.id)

    assert error.value.code == "user_already_linked"
    assert Patient.objects.get(pk=patient.pk).user_id is None


@pytest.mark.parametrize("make_user", [lambda: user_in_role(Role.CLINICIAN), lambda: None])
def test_link_user_refuses_a_login_that_is_not_an_active_patient(patient, make_user):
    user = make_user()
    user_id = user.id if user else 99999

    with pytest.raises(ValidationFailed) as error:
        services.patient_link_user(patient_id=patient.pk, user_id=user_id)

    assert list(error.value.field_errors) == ["user_id"]
    assert Patient.objects.get(pk=patient.pk).user_id is None
