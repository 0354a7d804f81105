"""patient_search: MRN, birth date, or name prefixes ("smi", "smith jo", "smith, jo")."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.accounts.contracts import Role
from apps.patients import public, selectors, services
from apps.patients.contracts import PatientData
from tests.factories.accounts import user_in_role
from tests.factories.patients import registered_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def people() -> dict[str, int]:
    """Named patients, and others whose names start with nothing searched below."""
    named = {
        "jo_smith": registered_patient(family_name="Smith", given_name="Jo"),
        "joan_smithers": registered_patient(family_name="Smithers", given_name="Joan"),
        "ann_smith": registered_patient(family_name="Smith", given_name="Ann"),
        "smila_garcia": registered_patient(family_name="García", given_name="Smila"),
        "jo_van_der_berg": registered_patient(family_name="van der Berg", given_name="Jo"),
        "percent": registered_patient(family_name="100% Real", given_name="Under_Score"),
        "strasse": registered_patient(family_name="Straße", given_name="Élodie"),
    }
    for n in range(5):
        registered_patient(family_name=f"Other{n}", given_name=f"Person{n}")
    return {name: patient.pk for name, patient in named.items()}


def _found(query: str, **options: object) -> list[int]:
    return [patient.pk for patient in selectors.patient_search(query=query, **options)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # one word: the start of the family or of the given name, any case
        ("smi", ["smila_garcia", "ann_smith", "jo_smith", "joan_smithers"]),
        ("SMITH", ["ann_smith", "jo_smith", "joan_smithers"]),
        ("smithe", ["joan_smithers"]),
        ("jo", ["jo_smith", "joan_smithers", "jo_van_der_berg"]),
        # family and given
        ("smith jo", ["jo_smith", "joan_smithers"]),
        ("smith, jo", ["jo_smith", "joan_smithers"]),
        ("Smith,Jo", ["jo_smith", "joan_smithers"]),
        ("  smith   joa ", ["joan_smithers"]),
        ("van der berg, jo", ["jo_van_der_berg"]),
        (", ann", ["ann_smith"]),
        # non-ASCII letters compare as Postgres upper-cases them
        ("garcía", ["smila_garcia"]),
        ("straß", ["strasse"]),
        ("élo", ["strasse"]),
        # % and _ are letters here, not wildcards
        ("100%", ["percent"]),
        ("%", []),
        ("_", []),
        ("real, under_", []),
        ("100% under_", ["percent"]),
        # nothing to search
        ("", []),
        ("   ", []),
        (",", []),
        ("nobody", []),
    ],
)
def test_name_prefix_search(people, query, expected):
    assert _found(query) == [people[name] for name in expected]


def test_results_are_ordered_by_family_given_and_id():
    second = registered_patient(family_name="Adams", given_name="Zoe")
    first = registered_patient(family_name="Adams", given_name="Amy")
    twin = registered_patient(family_name="Adams", given_name="Amy")
    last = registered_patient(family_name="Adamson", given_name="Al")

    assert _found("adam") == [first.pk, twin.pk, second.pk, last.pk]


@pytest.mark.parametrize("prefix", ["", "MRN", "mrn ", "MRN: ", "MRN#", "mrn-"])
def test_mrn_search_matches_exactly(people, prefix):
    patient = registered_patient(family_name="Mrnholder", given_name="Pat")

    assert _found(f"{prefix}{patient.mrn}") == [patient.pk]
    assert _found(patient.mrn[:8]) == []  # a part of an MRN is no MRN


@pytest.mark.parametrize("spelling", ["1984-02-29", "29/02/1984", "29/2/1984"])
def test_birth_date_search(spelling):
    born = registered_patient(birth_date=dt.date(1984, 2, 29))
    registered_patient(birth_date=dt.date(1984, 3, 1))

    assert _found(spelling) == [born.pk]


@pytest.mark.parametrize("not_a_day", ["1985-02-29", "31/04/2000", "2000-13-01"])
def test_a_date_that_does_not_exist_finds_nobody(not_a_day):
    registered_patient(birth_date=dt.date(2000, 1, 1))

    assert _found(not_a_day) == []


def test_inactive_patients_are_found_only_when_asked(people):
    services.patient_deactivate(patient_id=people["jo_smith"], by_id=None)

    assert people["jo_smith"] not in _found("smith jo")
    assert people["jo_smith"] in _found("smith jo", include_inactive=True)


def test_search_within_ids(people):
    within = [people["ann_smith"], people["smila_garcia"]]

    assert _found("smi", within_ids=iter(within)) == [people["smila_garcia"], people["ann_smith"]]
    assert _found("smi", within_ids=[]) == []


@pytest.mark.parametrize(("limit", "count"), [(2, 2), (0, 1), (-5, 1), (1000, 4)])
def test_limit_is_held_between_one_and_the_cap(people, limit, count):
    assert len(_found("smi", limit=limit)) == count


def test_limit_cap_is_enforced():
    services.patient_bulk_register(
        rows=[
            PatientData(
                family_name="Many",
                given_name=f"P{n}",
                birth_date=dt.date(1990, 1, 1),
                gender="male",
            )
            for n in range(selectors.MAX_SEARCH_LIMIT + 5)
        ],
        source="import",
    )

    assert len(_found("many", limit=10_000)) == selectors.MAX_SEARCH_LIMIT


def test_public_search_returns_summaries(people):
    [summary] = public.patient_search(query="smith, ann")

    assert summary.id == people["ann_smith"]
    assert (summary.family_name, summary.given_name) == ("Smith", "Ann")


def test_the_review_queue_holds_active_pending_registrations_oldest_first():
    first = registered_patient(review_status="pending", source="self")
    second = registered_patient(review_status="pending", source="self")
    registered_patient()  # approved
    withdrawn = registered_patient(review_status="pending", source="self")
    services.patient_deactivate(patient_id=withdrawn.pk, by_id=None)

    assert list(selectors.patients_pending_review()) == [first, second]


def test_patient_for_user_finds_the_linked_patient():
    patient = registered_patient()
    login = user_in_role(Role.PATIENT)
    services.patient_link_user(patient_id=patient.pk, user_id=login.id)

    assert selectors.patient_for_user(user_id=login.id) == patient
    assert selectors.patient_for_user(user_id=user_in_role(Role.PATIENT).id) is None
