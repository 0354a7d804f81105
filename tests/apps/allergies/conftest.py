"""Fixtures of the allergies tests: a patient, staff and patient users, the outbox's payloads."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apps.accounts.contracts import Role
from apps.accounts.models import User
from apps.core.models import OutboxEvent
from apps.patients.models import Patient
from tests.factories.accounts import user_in_role
from tests.factories.patients import PatientFactory


@pytest.fixture
def patient() -> Patient:
    return PatientFactory()


@pytest.fixture
def clinician() -> User:
    return user_in_role(Role.CLINICIAN)


@pytest.fixture
def patient_user() -> User:
    return user_in_role(Role.PATIENT)


@pytest.fixture
def payloads() -> Callable[[str], list[dict]]:
    """The payloads the outbox holds for one event type, oldest first."""

    def of(event_type: str) -> list[dict]:
        return [
            row.payload for row in OutboxEvent.objects.filter(event_type=event_type).order_by("id")
        ]

    return of
