"""Patient API fixtures: patients with logins and API clients carrying their tokens."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.contracts import Role
from apps.core.patient_api import PATIENT_ID_CLAIM
from apps.patients.models import Patient
from tests.factories.accounts import user_in_role
from tests.factories.patients import PatientFactory


def access_token_for(patient: Patient) -> str:
    """An access token as the token endpoint issues it to this patient's login."""
    refresh = RefreshToken.for_user(patient.user)
    refresh[PATIENT_ID_CLAIM] = patient.id
    return str(refresh.access_token)


@pytest.fixture
def make_patient(db) -> Callable[..., Patient]:
    """A patient with a portal login (email is the login)."""

    def make(**fields: object) -> Patient:
        patient = PatientFactory(**fields)
        patient.user = user_in_role(Role.PATIENT, email=patient.email)
        patient.save(update_fields=["user"])
        return patient

    return make


@pytest.fixture
def patient_a(make_patient) -> Patient:
    return make_patient()


@pytest.fixture
def patient_b(make_patient) -> Patient:
    return make_patient()


def client_for(patient: Patient) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(patient)}")
    return client


@pytest.fixture
def api_a(patient_a) -> APIClient:
    return client_for(patient_a)


@pytest.fixture
def api_b(patient_b) -> APIClient:
    return client_for(patient_b)
