"""Status moves of an entry: confirm, refute, entered in error, clinical status; R4 rules."""

from __future__ import annotations

import pytest

from apps.accounts.contracts import Role
from apps.allergies import public
from apps.allergies.contracts import (
    AllergyConflict,
    AllergyNotFound,
    AllergyRuleViolation,
    AllergyStaffOnly,
    ClinicalStatus,
    VerificationStatus,
)
from apps.allergies.models import AllergyIntolerance
from apps.core.models import OutboxEvent
from tests.factories.accounts import UserFactory, user_in_role
from tests.factories.allergies import AllergyFactory, NoKnownAllergiesFactory, substance

pytestmark = pytest.mark.django_db

STATUS_CHANGED = "allergies.AllergyStatusChanged"


def test_a_clinician_confirms_a_patients_report(patient, clinician, payloads):
    allergy = AllergyFactory(
        patient=patient, asserted_by="patient", verification_status="unconfirmed"
    )

    info = public.allergy_confirm(allergy_id=allergy.id, by_id=clinician.id)

    assert info.verification_status is VerificationStatus.CONFIRMED
    assert info.clinical_status is ClinicalStatus.ACTIVE
    allergy.refresh_from_db()
    assert allergy.updated_by_id == clinician.id
    assert payloads(STATUS_CHANGED) == [
        {
            "allergy_id": allergy.id,
            "patient_id": patient.id,
            "clinical_status": "active",
            "verification_status": "confirmed",
            "previous_clinical_status": "active",
            "previous_verification_status": "unconfirmed",
            "changed_by_id": clinician.id,
        }
    ]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FRONT_DESK])
def test_every_staff_role_may_confirm(role):
    allergy = AllergyFactory(verification_status="unconfirmed")

    info = public.allergy_confirm(allergy_id=allergy.id, by_id=user_in_role(role).id)

    assert info.verification_status is VerificationStatus.CONFIRMED


@pytest.mark.parametrize("action", ["allergy_confirm", "allergy_refute"])
@pytest.mark.parametrize("who", ["patient", "no role", "inactive clinician"])
def test_only_staff_may_verify(action, who):
    user = {
        "patient": lambda: user_in_role(Role.PATIENT),
        "no role": UserFactory,
        "inactive clinician": lambda: user_in_role(Role.CLINICIAN, is_active=False),
    }[who]()
    allergy = AllergyFactory(asserted_by="patient", verification_status="unconfirmed")

    with pytest.raises(AllergyStaffOnly) as error:
        getattr(public, action)(allergy_id=allergy.id, by_id=user.id)

    assert set(error.value.field_errors) == {"by_id"}
    allergy.refresh_from_db()
    assert allergy.verification_status == "unconfirmed"
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize(
    ("clinical_status", "verification_status"),
    [("active", "confirmed"), ("inactive", "refuted"), (None, "entered-in-error")],
)
def test_only_an_unconfirmed_entry_can_be_confirmed(
    clinician, clinical_status, verification_status
):
    allergy = AllergyFactory(
        clinical_status=clinical_status, verification_status=verification_status
    )

    with pytest.raises(AllergyRuleViolation) as error:
        public.allergy_confirm(allergy_id=allergy.id, by_id=clinician.id)

    assert set(error.value.field_errors) == {"verification_status"}
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize("verification_status", ["unconfirmed", "confirmed"])
def test_refuting_makes_the_entry_refuted_and_inactive(clinician, payloads, verification_status):
    allergy = AllergyFactory(verification_status=verification_status)

    info = public.allergy_refute(allergy_id=allergy.id, by_id=clinician.id)

    assert info.verification_status is VerificationStatus.REFUTED
    assert info.clinical_status is ClinicalStatus.INACTIVE
    (payload,) = payloads(STATUS_CHANGED)
    assert payload["previous_verification_status"] == verification_status
    assert (payload["verification_status"], payload["clinical_status"]) == ("refuted", "inactive")


@pytest.mark.parametrize(
    ("clinical_status", "verification_status"),
    [("inactive", "refuted"), (None, "entered-in-error")],
)
def test_a_refuted_or_erroneous_entry_cannot_be_refuted(
    clinician, clinical_status, verification_status
):
    allergy = AllergyFactory(
        clinical_status=clinical_status, verification_status=verification_status
    )

    with pytest.raises(AllergyRuleViolation) as error:
        public.allergy_refute(allergy_id=allergy.id, by_id=clinician.id)

    assert set(error.value.field_errors) == {"verification_status"}


@pytest.mark.parametrize(
    ("clinical_status", "verification_status"),
    [
        ("active", "unconfirmed"),
        ("active", "confirmed"),
        ("resolved", "confirmed"),
        ("inactive", "refuted"),
    ],
)
def test_any_entry_can_be_marked_entered_in_error_and_loses_its_clinical_status(
    patient_user, payloads, clinical_status, verification_status
):
    allergy = AllergyFactory(
        clinical_status=clinical_status, verification_status=verification_status
    )

    info = public.allergy_mark_entered_in_error(allergy_id=allergy.id, by_id=patient_user.id)

    assert info.verification_status is VerificationStatus.ENTERED_IN_ERROR
    assert info.clinical_status is None
    assert AllergyIntolerance.objects.filter(pk=allergy.id).exists()  # kept, never deleted
    assert payloads(STATUS_CHANGED) == [
        {
            "allergy_id": allergy.id,
            "patient_id": allergy.patient_id,
            "clinical_status": None,
            "verification_status": "entered-in-error",
            "previous_clinical_status": clinical_status,
            "previous_verification_status": verification_status,
            "changed_by_id": patient_user.id,
        }
    ]


def test_an_entry_in_error_cannot_be_marked_again(clinician):
    allergy = AllergyFactory(clinical_status=None, verification_status="entered-in-error")

    with pytest.raises(AllergyRuleViolation) as error:
        public.allergy_mark_entered_in_error(allergy_id=allergy.id, by_id=clinician.id)

    assert set(error.value.field_errors) == {"verification_status"}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("active", "resolved"),
        ("active", "inactive"),
        ("resolved", "active"),
        ("inactive", "active"),
    ],
)
def test_the_clinical_status_moves_between_active_inactive_and_resolved(
    clinician, payloads, before, after
):
    allergy = AllergyFactory(clinical_status=before, verification_status="unconfirmed")

    info = public.allergy_set_clinical_status(
        allergy_id=allergy.id, clinical_status=ClinicalStatus(after), by_id=clinician.id
    )

    assert info.clinical_status == after
    assert info.verification_status is VerificationStatus.UNCONFIRMED
    (payload,) = payloads(STATUS_CHANGED)
    assert (payload["previous_clinical_status"], payload["clinical_status"]) == (before, after)


@pytest.mark.parametrize(
    ("clinical_status", "verification_status", "target"),
    [
        ("inactive", "refuted", "active"),
        (None, "entered-in-error", "active"),
        ("active", "confirmed", "active"),
        ("active", "confirmed", "cured"),
        ("active", "confirmed", None),
    ],
)
def test_a_clinical_status_move_against_the_rules_is_refused(
    clinician, clinical_status, verification_status, target
):
    allergy = AllergyFactory(
        clinical_status=clinical_status, verification_status=verification_status
    )

    with pytest.raises(AllergyRuleViolation) as error:
        public.allergy_set_clinical_status(
            allergy_id=allergy.id, clinical_status=target, by_id=clinician.id
        )

    assert set(error.value.field_errors) == {"clinical_status"}
    allergy.refresh_from_db()
    assert allergy.clinical_status == clinical_status
    assert not OutboxEvent.objects.exists()


def test_reactivating_an_allergy_ends_the_no_known_allergies_statement(
    patient, clinician, payloads
):
    allergy = AllergyFactory(patient=patient, clinical_status="resolved")
    statement = NoKnownAllergiesFactory(patient=patient)

    public.allergy_set_clinical_status(
        allergy_id=allergy.id, clinical_status=ClinicalStatus.ACTIVE, by_id=clinician.id
    )

    statement.refresh_from_db()
    assert statement.clinical_status == "inactive"
    assert [p["allergy_id"] for p in payloads(STATUS_CHANGED)] == [statement.id, allergy.id]


def test_reactivating_no_known_allergies_beside_an_active_allergy_is_refused(patient, clinician):
    statement = NoKnownAllergiesFactory(patient=patient, clinical_status="inactive")
    AllergyFactory(patient=patient)

    with pytest.raises(AllergyConflict) as error:
        public.allergy_set_clinical_status(
            allergy_id=statement.id, clinical_status=ClinicalStatus.ACTIVE, by_id=clinician.id
        )

    assert error.value.code == "active_allergies_exist"


def test_reactivating_a_duplicate_of_an_active_entry_is_refused(patient, clinician):
    AllergyFactory(patient=patient, substance=substance("latex"))
    old = AllergyFactory(patient=patient, substance=substance("latex"), clinical_status="resolved")

    with pytest.raises(AllergyConflict) as error:
        public.allergy_set_clinical_status(
            allergy_id=old.id, clinical_status=ClinicalStatus.ACTIVE, by_id=clinician.id
        )

    assert error.value.code == "allergy_duplicate"


@pytest.mark.parametrize(
    "action",
    ["allergy_confirm", "allergy_refute", "allergy_mark_entered_in_error"],
)
def test_an_unknown_entry_is_not_found(clinician, action):
    with pytest.raises(AllergyNotFound):
        getattr(public, action)(allergy_id=987654321, by_id=clinician.id)
