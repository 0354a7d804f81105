"""The database itself refuses what the services refuse: R4 status rules, NKA beside allergies."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from apps.allergies.models import AllergyIntolerance
from tests.factories.allergies import (
    AllergyFactory,
    NoKnownAllergiesFactory,
    ReactionFactory,
)

pytestmark = pytest.mark.django_db


def test_a_confirmed_entry_without_a_clinical_status_is_refused_r4_ait_1():
    allergy = AllergyFactory(verification_status="confirmed")

    with (
        pytest.raises(IntegrityError, match="allergy_r4_clinical_status_presence"),
        transaction.atomic(),
    ):
        AllergyIntolerance.objects.filter(pk=allergy.pk).update(clinical_status=None)


def test_an_entry_in_error_with_a_clinical_status_is_refused_r4_ait_2():
    allergy = AllergyFactory(verification_status="confirmed")

    with (
        pytest.raises(IntegrityError, match="allergy_r4_clinical_status_presence"),
        transaction.atomic(),
    ):
        AllergyIntolerance.objects.filter(pk=allergy.pk).update(
            verification_status="entered-in-error"
        )


def test_an_active_allergy_beside_an_active_no_known_allergies_is_refused(patient):
    NoKnownAllergiesFactory(patient=patient)

    with pytest.raises(IntegrityError, match="no known allergies"), transaction.atomic():
        AllergyFactory(patient=patient)

    assert AllergyIntolerance.objects.filter(patient=patient).count() == 1


def test_an_active_no_known_allergies_beside_an_active_allergy_is_refused(patient):
    AllergyFactory(patient=patient, verification_status="unconfirmed")

    with pytest.raises(IntegrityError, match="no known allergies"), transaction.atomic():
        NoKnownAllergiesFactory(patient=patient)


def test_reactivating_no_known_allergies_beside_an_active_allergy_is_refused(patient):
    statement = NoKnownAllergiesFactory(patient=patient, clinical_status="inactive")
    AllergyFactory(patient=patient)

    with pytest.raises(IntegrityError, match="no known allergies"), transaction.atomic():
        AllergyIntolerance.objects.filter(pk=statement.pk).update(clinical_status="active")


@pytest.mark.parametrize(
    ("clinical_status", "verification_status"),
    [("active", "refuted"), ("resolved", "confirmed"), (None, "entered-in-error")],
)
def test_an_allergy_no_longer_in_force_may_stand_beside_no_known_allergies(
    patient, clinical_status, verification_status
):
    NoKnownAllergiesFactory(patient=patient)

    AllergyFactory(
        patient=patient, clinical_status=clinical_status, verification_status=verification_status
    )

    assert AllergyIntolerance.objects.filter(patient=patient).count() == 2


def test_a_reaction_without_a_manifestation_is_refused():
    allergy = AllergyFactory()

    with (
        pytest.raises(IntegrityError, match="reaction_has_a_manifestation"),
        transaction.atomic(),
    ):
        ReactionFactory(allergy=allergy, manifestations=[])


def test_an_allergy_must_name_a_substance():
    with pytest.raises(IntegrityError, match="allergy_names_a_substance"), transaction.atomic():
        AllergyFactory(substance=None, substance_text="")
