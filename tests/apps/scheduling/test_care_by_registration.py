"""The care relationship a registration gives (ADR 0004), and filtering a search's ids by care."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.contracts import Role
from apps.patients.models import Patient
from apps.providers.models import StaffAssignment
from apps.scheduling import public
from tests.factories.accounts import user_in_role
from tests.factories.patients import PatientFactory, registered_patient
from tests.factories.scheduling import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("days_ago", "related"), [(0, True), (29, True), (31, False)])
def test_a_patient_i_registered_is_in_my_care_for_30_days(days_ago, related):
    # Given a front-desk user who registered a patient some days ago, with no appointments
    desk = user_in_role(Role.FRONT_DESK)
    patient = registered_patient(created_by_id=desk.id)
    Patient.objects.filter(id=patient.id).update(
        created_at=timezone.now() - dt.timedelta(days=days_ago)
    )

    # Then the relationship holds within 30 days of the registration, and only then
    assert public.has_care_relationship(user_id=desk.id, patient_id=patient.id) is related
    assert (patient.id in public.care_patient_ids(user_id=desk.id)) is related
    assert (
        patient.id in public.care_related_patient_ids(user_id=desk.id, patient_ids=[patient.id])
    ) is related


def test_a_colleagues_registration_or_an_import_gives_me_no_relationship():
    desk, colleague = user_in_role(Role.FRONT_DESK), user_in_role(Role.FRONT_DESK)
    theirs = registered_patient(created_by_id=colleague.id)
    imported = registered_patient(created_by_id=desk.id, source="import")

    assert not public.has_care_relationship(user_id=desk.id, patient_id=theirs.id)
    assert not public.has_care_relationship(user_id=desk.id, patient_id=imported.id)
    assert (
        public.care_related_patient_ids(user_id=desk.id, patient_ids=[theirs.id, imported.id])
        == set()
    )


def test_care_related_ids_keep_the_seen_and_the_registered_in_constant_queries(
    clinic, django_assert_num_queries
):
    nurse = user_in_role(Role.CLINICIAN)
    StaffAssignment.objects.create(user=nurse, location=clinic.location)
    seen = [
        AppointmentFactory(slot=clinic.slot(hour=9, days_ahead=2 + n)).patient for n in range(3)
    ]
    registered = registered_patient(created_by_id=nurse.id)
    stranger = PatientFactory()
    candidates = [*(p.id for p in seen), registered.id, stranger.id]

    with django_assert_num_queries(3):
        related = public.care_related_patient_ids(user_id=nurse.id, patient_ids=candidates)

    assert related == {*(p.id for p in seen), registered.id}
