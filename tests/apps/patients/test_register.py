"""patient_register: every bad field named at once, values normalised, two events emitted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.errors import ValidationFailed
from apps.core.models import OutboxEvent
from apps.patients import services
from apps.patients.contracts import RegistrationSource, ReviewStatus
from apps.patients.models import Patient
from tests.factories.accounts import UserFactory
from tests.factories.patients import registration_fields

pytestmark = pytest.mark.django_db

FAR_FUTURE = timezone.now().date() + dt.timedelta(days=2)


def test_a_valid_registration_is_stored_with_a_new_mrn_and_its_author():
    # given a staff user
    staff = UserFactory()

    # when they register a patient
    patient = services.patient_register(
        **registration_fields(family_name="García", given_name="Lucía"), created_by_id=staff.id
    )

    # then the row holds the data, a valid MRN and who created it
    stored = Patient.objects.get(pk=patient.pk)
    assert (stored.family_name, stored.given_name) == ("García", "Lucía")
    assert services.mrn_is_valid(stored.mrn)
    assert stored.created_by_id == staff.id
    assert stored.updated_by_id == staff.id
    assert stored.registration_source == "staff"
    assert stored.review_status == "approved"
    assert stored.active


def test_register_normalises_what_it_stores():
    patient = services.patient_register(
        **registration_fields(
            family_name="  Smith ",
            given_name=" Jo ",
            phone="+34 600-123 456",
            emergency_contact_phone="+1 (555) 123.4567",
            email="  Jo.Smith@Example.TEST ",
            country="es",
        )
    )

    patient.refresh_from_db()
    assert (patient.family_name, patient.given_name) == ("Smith", "Jo")
    assert patient.phone == "+34600123456"
    assert patient.emergency_contact_phone == "+15551234567"
    assert patient.email == "jo.smith@example.test"
    assert patient.country == "ES"


def test_register_names_every_bad_field_at_once_and_writes_nothing():
    with pytest.raises(ValidationFailed) as error:
        services.patient_register(
            **registration_fields(
                family_name="   ",
                given_name="",
                birth_date=FAR_FUTURE,
                gender="robot",
                phone="555 1234",
                email="not-an-email",
                preferred_language="fr",
                consent_sms="yes",
                country="Spain",
            )
        )

    assert error.value.code == "validation_error"
    assert set(error.value.field_errors) == {
        "family_name",
        "given_name",
        "birth_date",
        "gender",
        "phone",
        "email",
        "preferred_language",
        "consent_sms",
        "country",
    }
    assert Patient.objects.count() == 0
    assert OutboxEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("family_name", "  ", "Required"),
        ("given_name", "x" * 101, "at most 100 characters"),
        ("birth_date", FAR_FUTURE, "future"),
        ("birth_date", dt.date(1899, 12, 31), "before 1900-01-01"),
        ("birth_date", "1990-01-01", "a date"),
        ("birth_date", dt.datetime(1990, 1, 1, tzinfo=dt.UTC), "a date"),
        ("gender", "robot", "male, female, other, unknown"),
        ("phone", "600123456", "'+' and 8 to 15 digits"),
        ("phone", "+1234567", "'+' and 8 to 15 digits"),
        ("phone", "+1234567890123456", "'+' and 8 to 15 digits"),
        ("phone", "+34 600 abc 456", "'+' and 8 to 15 digits"),
        ("emergency_contact_phone", "call me", "'+' and 8 to 15 digits"),
        ("email", "jo@", "valid email address"),
        ("preferred_language", "fr", "en, es"),
        ("consent_email", 1, "true or false"),
        ("country", "ESP", "ISO 3166-1 alpha-2"),
        ("review_status", "maybe", "approved, pending"),
    ],
)
def test_each_rule_is_named_with_its_field(field, value, rule):
    with pytest.raises(ValidationFailed) as error:
        services.patient_register(**registration_fields(**{field: value}))

    assert list(error.value.field_errors) == [field]
    assert rule in " ".join(error.value.field_errors[field])
    assert Patient.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", dt.date(1900, 1, 1)),
        ("birth_date", timezone.now().date()),
        ("phone", "+12345678"),
        ("phone", "+123456789012345"),
        ("phone", ""),
        ("email", ""),
        ("gender", "other"),
        ("preferred_language", "es"),
    ],
)
def test_boundary_values_are_accepted(field, value):
    patient = services.patient_register(**registration_fields(**{field: value}))

    assert Patient.objects.filter(pk=patient.pk).exists()


def test_an_unknown_source_is_refused():
    with pytest.raises(ValidationFailed) as error:
        services.patient_register(**registration_fields(), source="fax")

    assert list(error.value.field_errors) == ["source"]


def test_register_emits_registered_and_contact_changed(payloads):
    # given a patient registering themselves
    patient = services.patient_register(
        **registration_fields(
            family_name="Secret",
            given_name="Name",
            email="secret@example.test",
            phone="+34600000001",
            preferred_language="es",
            consent_email=True,
            consent_sms=False,
            review_status=ReviewStatus.PENDING,
        ),
        source=RegistrationSource.SELF,
    )

    # then PatientRegistered carries ids and codes only
    [registered] = payloads("patients.PatientRegistered")
    assert registered == {"patient_id": patient.pk, "source": "self", "preferred_language": "es"}
    # and PatientContactChanged carries the contact data the notifications projection needs
    [contact] = payloads("patients.PatientContactChanged")
    assert contact == {
        "patient_id": patient.pk,
        "email": "secret@example.test",
        "phone": "+34600000001",
        "preferred_language": "es",
        "consent_email": True,
        "consent_sms": False,
        "active": True,
    }
    row = OutboxEvent.objects.get(event_type="patients.PatientRegistered")
    assert (row.aggregate_type, row.aggregate_id, row.version) == (
        "patients.Patient",
        str(patient.pk),
        1,
    )
    assert OutboxEvent.objects.count() == 2


def test_registered_event_carries_no_phi(payloads):
    patient = services.patient_register(
        **registration_fields(
            family_name="Phiname",
            given_name="Phigiven",
            email="phi@example.test",
            phone="+34611111111",
            birth_date=dt.date(1977, 7, 7),
            address_line="1 Private Road",
        )
    )

    [registered] = payloads("patients.PatientRegistered")
    text = str(registered)
    for value in ("Phiname", "Phigiven", "phi@example.test", "+34611111111", "1977", "Private"):
        assert value not in text
    assert registered["patient_id"] == patient.pk
