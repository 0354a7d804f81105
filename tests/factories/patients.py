"""Patients: rows made directly (factory MRNs start with T) or registered through the service."""

import dataclasses
import datetime as dt

import factory

from apps.patients import services
from apps.patients.contracts import AdministrativeGender, PatientData
from apps.patients.models import Patient


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"T{n:08d}")
    family_name = factory.Faker("last_name")
    given_name = factory.Faker("first_name")
    birth_date = factory.Faker(
        "date_between", start_date=dt.date(1940, 1, 1), end_date=dt.date(2020, 1, 1)
    )
    gender = "unknown"
    phone = factory.Sequence(lambda n: f"+1555{n:07d}")
    email = factory.Sequence(lambda n: f"patient{n}@example.test")
    preferred_language = "en"
    consent_email = True
    consent_sms = True


class PatientDataFactory(factory.Factory):
    """The fields of one registration (patient_register's keywords, a bulk row), all valid."""

    class Meta:
        model = PatientData

    family_name = factory.Faker("last_name")
    given_name = factory.Faker("first_name")
    birth_date = factory.Faker(
        "date_between", start_date=dt.date(1940, 1, 1), end_date=dt.date(2020, 1, 1)
    )
    gender = AdministrativeGender.FEMALE
    phone = factory.Sequence(lambda n: f"+3460{n:07d}")
    email = factory.Sequence(lambda n: f"registered{n}@example.test")
    preferred_language = "en"
    consent_email = True
    consent_sms = False


def registration_fields(**overrides: object) -> dict[str, object]:
    """patient_register's keyword arguments for a valid patient, with `overrides` applied."""
    data = PatientDataFactory()
    fields = {field.name: getattr(data, field.name) for field in dataclasses.fields(data)}
    return {**fields, **overrides}


def registered_patient(**overrides: object) -> Patient:
    """A patient registered through the service: a real MRN, and its events in the outbox."""
    return services.patient_register(**registration_fields(**overrides))
