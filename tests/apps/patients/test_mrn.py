"""MRNs: eight digits from the sequence and a Luhn check digit, unique however they are drawn."""

from __future__ import annotations

import pytest

from apps.patients import public, services
from apps.patients.models import Patient
from tests.factories.patients import PatientDataFactory, registered_patient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("payload", "check_digit"),
    [
        ("7992739871", "3"),  # the textbook Luhn example
        ("10000000", "9"),
        ("12345678", "2"),
        ("99999999", "8"),
        ("00000000", "0"),
    ],
)
def test_check_digit_is_luhn(payload, check_digit):
    assert services.mrn_check_digit(payload) == check_digit


@pytest.mark.parametrize(
    ("mrn", "valid"),
    [
        ("123456782", True),
        ("100000009", True),
        ("123456781", False),  # wrong check digit
        ("213456782", False),  # two neighbouring digits swapped
        ("12345678", False),  # too short
        ("1234567820", False),  # too long
        ("12345678X", False),
        # full-width digits are digits to str.isdigit(), but not ASCII digits
        ("".join(chr(0xFF10 + int(d)) for d in "123456782"), False),
        ("T00000001", False),  # the factory's test-only MRNs
        ("", False),
    ],
)
def test_mrn_is_valid(mrn, valid):
    assert services.mrn_is_valid(mrn) is valid
    assert public.mrn_is_valid(mrn) is valid


def test_any_single_mistyped_digit_is_caught():
    # given a valid MRN
    mrn = "123456782"

    # when any one digit is replaced by another
    typos = [
        mrn[:position] + digit + mrn[position + 1 :]
        for position in range(len(mrn))
        for digit in "0123456789"
        if digit != mrn[position]
    ]

    # then none of the results is valid
    assert len(typos) == 81
    assert [typo for typo in typos if services.mrn_is_valid(typo)] == []


def test_registered_patients_get_unique_valid_mrns_from_the_sequence():
    # given patients registered one by one and in bulk
    one_by_one = [registered_patient().mrn for _ in range(20)]
    ids = services.patient_bulk_register(rows=PatientDataFactory.build_batch(30), source="import")
    in_bulk = list(Patient.objects.filter(id__in=ids).values_list("mrn", flat=True))

    # then every MRN is nine digits with a valid check digit, and no two are equal
    mrns = one_by_one + in_bulk
    assert all(services.mrn_is_valid(mrn) for mrn in mrns)
    assert len(set(mrns)) == 50
    assert all(mrn[:8].isdigit() and int(mrn[:8]) >= 10_000_000 for mrn in mrns)
