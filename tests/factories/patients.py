"""Patients with generated MRNs."""

import datetime as dt

import factory

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
