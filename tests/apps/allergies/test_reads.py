"""Safety reads: triggered allergies, banner, schedule flags, lists, worklist, catalogue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.allergies import public
from apps.allergies.contracts import (
    AllergyFlag,
    BannerStatus,
    Criticality,
    VerificationStatus,
)
from apps.allergies.models import Substance
from tests.factories.allergies import (
    AllergyFactory,
    NoKnownAllergiesFactory,
    ReactionFactory,
    substance,
)
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("allergen", "trigger", "reached"),
    [
        ("amoxicillin", "penicillins", True),  # the allergen's class
        ("amoxicillin", "amoxicillin", True),  # the allergen itself
        ("penicillins", "amoxicillin", True),  # a member of the class the patient reacts to
        ("amoxicillin", "ampicillin", True),  # a sibling in the same class
        ("cashew", "tree-nuts", True),
        ("amoxicillin", "cephalosporins", False),
        ("peanut", "tree-nuts", False),
        ("latex", "unknown-code", False),
    ],
)
def test_a_trigger_reaches_the_allergen_and_its_class_family(patient, allergen, trigger, reached):
    allergy = AllergyFactory(patient=patient, substance=substance(allergen))

    found = public.triggered_allergies(patient_id=patient.id, trigger_codes=[trigger])

    assert [t.allergy_id for t in found] == ([allergy.id] if reached else [])


def test_an_amoxicillin_allergy_triggers_on_penicillins_with_its_details(patient):
    allergy = AllergyFactory(
        patient=patient,
        substance=substance("amoxicillin"),
        criticality="high",
        verification_status="unconfirmed",
        asserted_by="patient",
    )

    (found,) = public.triggered_allergies(
        patient_id=patient.id, trigger_codes=["latex", "penicillins"]
    )

    assert found.allergy_id == allergy.id
    assert (found.substance_code, found.substance_display) == ("amoxicillin", "Amoxicillin")
    assert found.criticality is Criticality.HIGH
    assert found.verification_status is VerificationStatus.UNCONFIRMED


@pytest.mark.parametrize(
    ("clinical_status", "verification_status"),
    [
        ("active", "refuted"),
        ("inactive", "refuted"),
        (None, "entered-in-error"),
        ("inactive", "confirmed"),
        ("resolved", "confirmed"),
    ],
)
def test_entries_no_longer_in_force_never_trigger(patient, clinical_status, verification_status):
    AllergyFactory(
        patient=patient,
        substance=substance("latex"),
        clinical_status=clinical_status,
        verification_status=verification_status,
    )

    assert public.triggered_allergies(patient_id=patient.id, trigger_codes=["latex"]) == []


def test_free_text_allergies_and_other_patients_allergies_do_not_trigger(patient):
    AllergyFactory(patient=patient, substance=None, substance_text="latex gloves")
    AllergyFactory(substance=substance("latex"))

    assert public.triggered_allergies(patient_id=patient.id, trigger_codes=["latex"]) == []


def test_triggered_allergies_is_one_query_high_criticality_first(
    patient, django_assert_num_queries
):
    AllergyFactory(patient=patient, substance=substance("chlorhexidine"), criticality="low")
    AllergyFactory(patient=patient, substance=substance("latex"), criticality="high")
    AllergyFactory(patient=patient, substance=substance("lidocaine"), criticality="high")

    with django_assert_num_queries(1):
        found = public.triggered_allergies(
            patient_id=patient.id,
            trigger_codes=["latex", "chlorhexidine", "local-anaesthetics"],
        )

    assert [t.substance_code for t in found] == ["lidocaine", "latex", "chlorhexidine"]


def test_no_trigger_codes_need_no_query(patient, django_assert_num_queries):
    AllergyFactory(patient=patient)

    with django_assert_num_queries(0):
        assert public.triggered_allergies(patient_id=patient.id, trigger_codes=[]) == []


def test_the_banner_lists_high_criticality_first_then_by_name(patient, django_assert_num_queries):
    peanut = AllergyFactory(patient=patient, substance=substance("peanut"), criticality="low")
    latex = AllergyFactory(patient=patient, substance=substance("latex"), criticality="high")
    amoxicillin = AllergyFactory(
        patient=patient,
        substance=substance("amoxicillin"),
        criticality="high",
        asserted_by="patient",
        verification_status="unconfirmed",
    )
    soup = AllergyFactory(
        patient=patient,
        substance=None,
        substance_text="cabbage soup",
        criticality="unable-to-assess",
    )
    AllergyFactory(patient=patient, substance=substance("egg"), clinical_status="resolved")
    AllergyFactory(patient=patient, substance=substance("soy"), verification_status="refuted")

    with django_assert_num_queries(1):
        banner = public.allergy_banner(patient_id=patient.id)

    assert banner.status is BannerStatus.ALLERGIES
    assert not banner.has_no_known_allergies
    assert [(e.allergy_id, e.substance_display) for e in banner.entries] == [
        (amoxicillin.id, "Amoxicillin"),
        (latex.id, "Natural rubber latex"),
        (soup.id, "cabbage soup"),
        (peanut.id, "Peanut"),
    ]
    assert [e.unconfirmed_patient_reported for e in banner.entries] == [True, False, False, False]
    assert banner.entries[0].verification_status is VerificationStatus.UNCONFIRMED
    assert banner.entries[2].criticality is Criticality.UNABLE_TO_ASSESS


def test_the_banner_says_no_known_allergies(patient):
    NoKnownAllergiesFactory(patient=patient)
    AllergyFactory(patient=patient, clinical_status="resolved")

    banner = public.allergy_banner(patient_id=patient.id)

    assert (banner.status, banner.has_no_known_allergies, banner.entries) == (
        BannerStatus.NO_KNOWN_ALLERGIES,
        True,
        (),
    )


@pytest.mark.parametrize("past_entry", [False, True])
def test_the_banner_says_not_recorded_without_a_current_statement(patient, past_entry):
    if past_entry:
        NoKnownAllergiesFactory(patient=patient, clinical_status="inactive")
        AllergyFactory(patient=patient, clinical_status="inactive", verification_status="refuted")

    banner = public.allergy_banner(patient_id=patient.id)

    assert banner.status is BannerStatus.NOT_RECORDED
    assert banner.entries == ()


@pytest.mark.parametrize("patient_count", [1, 20])
def test_allergy_flags_is_one_query_whatever_the_number_of_patients(
    patient_count, django_assert_num_queries
):
    patients = PatientFactory.create_batch(patient_count)
    for index, each in enumerate(patients):
        AllergyFactory(patient=each, criticality="high" if index % 2 else "low")

    with django_assert_num_queries(1):
        flags = public.allergy_flags(patient_ids=(p.id for p in patients))

    assert set(flags) == {p.id for p in patients}
    assert all(flag.has_active_allergy for flag in flags.values())


def test_allergy_flags_mark_each_patient():
    high, reported, statement, nothing, refuted = PatientFactory.create_batch(5)
    AllergyFactory(patient=high, criticality="high")
    AllergyFactory(patient=high, substance=substance("latex"), criticality="low")
    AllergyFactory(
        patient=reported,
        criticality="low",
        asserted_by="patient",
        verification_status="unconfirmed",
    )
    NoKnownAllergiesFactory(patient=statement)
    AllergyFactory(patient=refuted, criticality="high", verification_status="refuted")

    flags = public.allergy_flags(
        patient_ids=[high.id, reported.id, statement.id, nothing.id, refuted.id]
    )

    assert flags == {
        high.id: AllergyFlag(high.id, True, True, False, False),
        reported.id: AllergyFlag(reported.id, True, False, True, False),
        statement.id: AllergyFlag(statement.id, False, False, False, True),
        nothing.id: AllergyFlag(nothing.id, False, False, False, False),
        refuted.id: AllergyFlag(refuted.id, False, False, False, False),
    }


def test_allergy_flags_for_no_patients_need_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert public.allergy_flags(patient_ids=[]) == {}


def _list_queries(patient) -> int:
    with CaptureQueriesContext(connection) as queries:
        public.allergy_list(patient_id=patient.id)
    return len(queries)


def test_the_list_has_the_reactions_and_a_constant_query_count(patient):
    first = AllergyFactory(patient=patient, substance=substance("latex"))
    ReactionFactory(allergy=first, manifestations=["urticaria", "itching"], onset_date=None)
    one = _list_queries(patient)
    for code in ("peanut", "egg", "soy", "fish"):
        ReactionFactory.create_batch(
            2, allergy=AllergyFactory(patient=patient, substance=substance(code))
        )

    many = _list_queries(patient)
    infos = public.allergy_list(patient_id=patient.id)

    assert one == many == 2
    assert len(infos) == 5
    latex = next(info for info in infos if info.substance_code == "latex")
    assert latex.reactions[0].manifestations == ("urticaria", "itching")


def test_the_list_leaves_out_entries_in_error_unless_asked(patient):
    kept = AllergyFactory(patient=patient)
    erroneous = AllergyFactory(
        patient=patient,
        substance=substance("latex"),
        clinical_status=None,
        verification_status="entered-in-error",
    )

    default = public.allergy_list(patient_id=patient.id)
    everything = public.allergy_list(patient_id=patient.id, include_entered_in_error=True)

    assert [info.id for info in default] == [kept.id]
    assert {info.id for info in everything} == {kept.id, erroneous.id}


def test_the_worklist_holds_patient_reports_awaiting_verification_oldest_first():
    now = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)
    newer = AllergyFactory(
        asserted_by="patient", verification_status="unconfirmed", recorded_at=now
    )
    older = NoKnownAllergiesFactory(
        asserted_by="patient",
        verification_status="unconfirmed",
        recorded_at=now - dt.timedelta(days=3),
    )
    AllergyFactory(asserted_by="patient", verification_status="confirmed", recorded_at=now)
    AllergyFactory(asserted_by="staff", verification_status="unconfirmed", recorded_at=now)
    AllergyFactory(
        asserted_by="patient",
        clinical_status=None,
        verification_status="entered-in-error",
        recorded_at=now,
    )

    worklist = public.allergies_awaiting_verification()

    assert [info.id for info in worklist] == [older.id, newer.id]
    assert [info.id for info in public.allergies_awaiting_verification(limit=1)] == [older.id]


def test_the_catalogue_lists_every_substance_with_its_class():
    catalogue = public.substance_catalogue()

    assert len(catalogue) == Substance.objects.count() > 50
    by_code = {entry.code: entry for entry in catalogue}
    assert by_code["amoxicillin"].group_code == "penicillins"
    assert by_code["penicillins"].group_code is None
    displays = [entry.display for entry in catalogue]
    assert displays.index("Amoxicillin") < displays.index("Peanut") < displays.index("Wheat")
