"""Allergy records, with the catalogue's substances."""

import factory
from django.utils import timezone

from apps.allergies.models import AllergyIntolerance, AllergyReaction, Substance
from tests.factories.patients import PatientFactory


class AllergyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllergyIntolerance

    patient = factory.SubFactory(PatientFactory)
    kind = "allergy"
    substance = factory.LazyFunction(lambda: Substance.objects.get(code="penicillins"))
    type = "allergy"
    category = "medication"
    criticality = "high"
    clinical_status = "active"
    verification_status = "confirmed"
    recorded_at = factory.LazyFunction(timezone.now)
    asserted_by = "staff"


class ReactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllergyReaction

    allergy = factory.SubFactory(AllergyFactory)
    manifestations = factory.LazyFunction(lambda: ["urticaria"])
    severity = "moderate"
    exposure_route = "oral"


class NoKnownAllergiesFactory(AllergyFactory):
    """An active "no known allergies" statement."""

    kind = "no-known-allergies"
    substance = None
    type = ""
    category = ""
    criticality = ""


def substance(code: str) -> Substance:
    """A catalogue entry (loaded by the allergies migrations) by its code."""
    return Substance.objects.get(code=code)
