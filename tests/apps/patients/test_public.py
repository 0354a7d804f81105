"""The facade other apps use: frozen DTOs, never models; one query for many summaries."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from apps.accounts.contracts import Role
from apps.core.errors import Conflict
from apps.patients import public
from apps.patients.contracts import (
    AdministrativeGender,
    PatientNotFound,
    PatientSummary,
    ReviewStatus,
)
from apps.patients.models import Patient
from tests.factories.accounts import user_in_role
from tests.factories.patients import PatientDataFactory, registered_patient, registration_fields

pytestmark = pytest.mark.django_db


def test_patient_get_returns_a_frozen_summary():
    patient = registered_patient(
        family_name="Doe", given_name="Jane", birth_date=dt.date(1970, 5, 6), gender="female"
    )

    summary = public.patient_get(patient_id=patient.pk)

    assert summary == PatientSummary(
        id=patient.pk,
        mrn=patient.mrn,
        family_name="Doe",
        given_name="Jane",
        birth_date=dt.date(1970, 5, 6),
        gender=AdministrativeGender.FEMALE,
        active=True,
        review_status=ReviewStatus.APPROVED,
    )
    assert isinstance(summary.gender, AdministrativeGender)
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.active = False  # type: ignore[misc]


def test_patient_get_of_an_unknown_id_raises_patient_not_found():
    with pytest.raises(PatientNotFound) as error:
        public.patient_get(patient_id=424242)

    assert (error.value.status, error.value.code) == (404, "patient_not_found")


def test_patient_summaries_take_one_query_whatever_the_count(django_assert_num_queries):
    ids = public.patient_bulk_register(rows=PatientDataFactory.build_batch(30), source="import")

    with django_assert_num_queries(1):
        summaries = public.patient_summaries(patient_ids=[*ids, 999999])

    assert set(summaries) == set(ids)
    assert all(isinstance(s, PatientSummary) for s in summaries.values())
    assert summaries[ids[0]].mrn == Patient.objects.get(pk=ids[0]).mrn


def test_patient_summaries_of_nothing_ask_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert public.patient_summaries(patient_ids=[]) == {}


def test_register_returns_a_summary():
    summary = public.patient_register(**registration_fields(family_name="Roe"))

    assert isinstance(summary, PatientSummary)
    assert summary.family_name == "Roe"
    assert public.mrn_is_valid(summary.mrn)


def test_update_returns_a_summary():
    patient = registered_patient(family_name="Roe")

    summary = public.patient_update(patient_id=patient.pk, updated_by_id=None, family_name="Poe")

    assert summary.family_name == "Poe"


def test_patient_id_for_user_and_link_user():
    patient = registered_patient()
    login = user_in_role(Role.PATIENT)
    assert public.patient_id_for_user(user_id=login.id) is None

    summary = public.patient_link_user(patient_id=patient.pk, user_id=login.id)

    assert summary.id == patient.pk
    assert public.patient_id_for_user(user_id=login.id) == patient.pk


def test_review_and_activation_return_summaries():
    patient = registered_patient(review_status="pending", source="self")

    approved = public.patient_approve_registration(patient_id=patient.pk, by_id=None)
    inactive = public.patient_deactivate(patient_id=patient.pk, by_id=None)
    active = public.patient_reactivate(patient_id=patient.pk, by_id=None)

    assert approved.review_status is ReviewStatus.APPROVED
    assert inactive.active is False
    assert active.active is True
    with pytest.raises(Conflict):
        public.patient_approve_registration(patient_id=patient.pk, by_id=None)


def test_invitation_round_trip_through_the_facade():
    patient = registered_patient()

    code = public.invitation_issue(patient_id=patient.pk, issued_by_id=None)

    assert isinstance(code, str)
    assert public.invitation_redeem(code=code) == patient.pk
