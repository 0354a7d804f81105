"""Staff users assigned to locations, and the locations a user may see."""

from __future__ import annotations

import pytest

from apps.accounts.contracts import Role
from apps.core.errors import ValidationFailed
from apps.providers import public
from apps.providers.models import StaffAssignment
from tests.factories.accounts import user_in_role
from tests.factories.providers import LocationFactory, StaffAssignmentFactory

pytestmark = pytest.mark.django_db


def test_assigning_a_staff_user_adds_the_location_once_and_emits(emitted):
    desk = user_in_role(Role.FRONT_DESK)
    first, second = LocationFactory(), LocationFactory()

    public.staff_assign_location(user_id=desk.pk, location_id=second.pk)
    public.staff_assign_location(user_id=desk.pk, location_id=first.pk)
    public.staff_assign_location(user_id=desk.pk, location_id=first.pk)

    assert public.location_ids_for_user(user_id=desk.pk) == sorted([first.pk, second.pk])
    assert len(emitted("providers.StaffAssignmentChanged")) == 2


def test_unassigning_removes_the_location_and_emits(emitted):
    assignment = StaffAssignmentFactory(user=user_in_role(Role.CLINICIAN))
    kept = StaffAssignmentFactory(user=assignment.user)

    public.staff_unassign_location(user_id=assignment.user_id, location_id=assignment.location_id)
    public.staff_unassign_location(user_id=assignment.user_id, location_id=assignment.location_id)

    assert public.location_ids_for_user(user_id=assignment.user_id) == [kept.location_id]
    assert emitted("providers.StaffAssignmentChanged") == [
        {"user_id": assignment.user_id, "location_id": assignment.location_id, "assigned": False}
    ]


def test_a_patient_cannot_be_assigned_to_a_location():
    patient = user_in_role(Role.PATIENT)

    with pytest.raises(ValidationFailed) as error:
        public.staff_assign_location(user_id=patient.pk, location_id=LocationFactory().pk)

    assert set(error.value.field_errors) == {"user_id"}
    assert not StaffAssignment.objects.exists()


def test_an_unknown_location_is_refused_naming_the_field():
    with pytest.raises(ValidationFailed) as error:
        public.staff_assign_location(user_id=user_in_role(Role.ADMIN).pk, location_id=999_999)

    assert set(error.value.field_errors) == {"location_id"}


def test_a_user_without_assignments_sees_no_locations():
    StaffAssignmentFactory()

    assert public.location_ids_for_user(user_id=user_in_role(Role.FRONT_DESK).pk) == []
