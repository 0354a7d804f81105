"""A small clinic for scheduling tests: one practitioner at one New York location."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from apps.accounts.contracts import Role
from apps.providers.models import AppointmentType, Location, PractitionerRole
from tests.factories.accounts import user_in_role
from tests.factories.patients import PatientFactory
from tests.factories.providers import AppointmentTypeFactory, PractitionerRoleFactory
from tests.factories.scheduling import SlotFactory, next_weekday_at


@dataclasses.dataclass
class Clinic:
    role: PractitionerRole
    location: Location
    visit: AppointmentType
    ct_with_contrast: AppointmentType
    staff_id: int

    def slot(
        self,
        hour: int = 14,
        *,
        days_ahead: int = 7,
        capacity: int = 1,
        minutes: int = 30,
        role: PractitionerRole | None = None,
    ):
        start = next_weekday_at(hour, days_ahead=days_ahead)
        return SlotFactory(
            role=role or self.role,
            start=start,
            end=start + dt.timedelta(minutes=minutes),
            capacity=capacity,
        )

    def other_role(self) -> PractitionerRole:
        """Another practitioner at the same location offering the same types."""
        return PractitionerRoleFactory(
            location=self.location, appointment_types=[self.visit, self.ct_with_contrast]
        )


@pytest.fixture
def clinic(db) -> Clinic:
    visit = AppointmentTypeFactory(code="follow-up", name="Follow-up visit", duration_minutes=20)
    ct = AppointmentTypeFactory(
        code="ct-contrast",
        name="CT with contrast",
        duration_minutes=30,
        allergen_triggers=["iodinated-contrast", "latex"],
    )
    role = PractitionerRoleFactory(appointment_types=[visit, ct])
    staff = user_in_role(Role.FRONT_DESK)
    return Clinic(
        role=role, location=role.location, visit=visit, ct_with_contrast=ct, staff_id=staff.id
    )


@pytest.fixture
def patient(db):
    return PatientFactory()
