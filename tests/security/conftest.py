"""Two patients and the staff around them, for the security suite.

Patient A is the caller; patient B is the one whose data must never leak. B's records carry
ids, names and contact data that appear nowhere else in a response by chance (ids in the
hundreds of millions, made-up names), so a test can search a whole body for them as text.
A is seen at location "A", B at location "B"; a clinician assigned only to "A" cares for A and
has no care relationship with B.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.contracts import Role
from apps.accounts.models import User
from apps.allergies.models import AllergyIntolerance
from apps.core.patient_api import PATIENT_ID_CLAIM
from apps.patients.models import Patient
from apps.providers.models import AppointmentType, PractitionerRole
from apps.scheduling.models import Appointment, Slot, WaitlistEntry
from tests.factories.accounts import signed_in_admin, user_in_role, with_authenticator
from tests.factories.allergies import AllergyFactory
from tests.factories.patients import PatientFactory
from tests.factories.providers import (
    AppointmentTypeFactory,
    AvailabilityExceptionFactory,
    AvailabilityRuleFactory,
    PractitionerRoleFactory,
    StaffAssignmentFactory,
)
from tests.factories.scheduling import SlotFactory, next_weekday_at

# Ids far above any sequence a test reaches: searching a body for them finds only them.
B_IDS = {
    "patient": 913_700_001,
    "user": 913_700_002,
    "appointment": 913_700_101,
    "allergy": 913_700_201,
    "waitlist_entry": 913_700_301,
    "slot": 913_700_401,
}
A_IDS = {
    "patient": 913_800_001,
    "user": 913_800_002,
    "appointment": 913_800_101,
    "allergy": 913_800_201,
    "waitlist_entry": 913_800_301,
    "slot": 913_800_401,
}


@dataclasses.dataclass
class PatientWorld:
    """One patient's portal login and records."""

    patient: Patient
    user: User
    appointment: Appointment
    allergy: AllergyIntolerance
    waitlist_entry: WaitlistEntry
    slot: Slot

    @property
    def secrets(self) -> dict[str, str]:
        """Everything that identifies this patient, as it would appear in a response body."""
        patient = self.patient
        return {
            "patient id": str(patient.id),
            "user id": str(self.user.id),
            "appointment id": str(self.appointment.id),
            "allergy id": str(self.allergy.id),
            "waitlist entry id": str(self.waitlist_entry.id),
            "MRN": patient.mrn,
            "family name": patient.family_name,
            "given name": patient.given_name,
            "email": patient.email,
            "login": self.user.email,
            "phone": patient.phone,
        }

    def leaked_in(
        self, body: str, *, sent: str = "", ignoring: frozenset[str] = frozenset()
    ) -> list[str]:
        """The names of this patient's identifiers found in `body`, except those found in
        `sent` (what the caller sent itself, which a search box or a form's action repeats,
        reveals nothing) and those named in `ignoring`."""
        return [
            name
            for name, value in self.secrets.items()
            if name not in ignoring and value and value not in sent and value in body
        ]

    def access_token(self) -> str:
        return str(self.refresh_token().access_token)

    def refresh_token(self) -> RefreshToken:
        """A refresh token as the token endpoint issues it to this patient's login."""
        refresh = RefreshToken.for_user(self.user)
        refresh[PATIENT_ID_CLAIM] = self.patient.id
        return refresh

    def api_client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.access_token()}")
        return client

    def rows(self) -> list[dict]:
        """The patient's rows as stored: compared before and after an attack."""
        patient_id = self.patient.id
        return [
            *Patient.objects.filter(id=patient_id).values(),
            *User.objects.filter(id=self.user.id).values(),
            *Appointment.objects.filter(patient_id=patient_id).order_by("id").values(),
            *AllergyIntolerance.objects.filter(patient_id=patient_id).order_by("id").values(),
            *WaitlistEntry.objects.filter(patient_id=patient_id).order_by("id").values(),
        ]


@dataclasses.dataclass
class World:
    a: PatientWorld
    b: PatientWorld
    role_a: PractitionerRole
    role_b: PractitionerRole
    visit: AppointmentType
    clinician: User
    front_desk: User
    admin: User
    rule_id: int
    exception_id: int
    totp_device_id: int
    free_slots: list[Slot]


def _patient_world(
    ids: dict[str, int], role: PractitionerRole, visit: AppointmentType, **names: str
) -> PatientWorld:
    user = user_in_role(Role.PATIENT, id=ids["user"], email=names["login"])
    patient = PatientFactory(
        id=ids["patient"],
        mrn=names["mrn"],
        family_name=names["family_name"],
        given_name=names["given_name"],
        email=names["email"],
        phone=names["phone"],
        user=user,
    )
    start = next_weekday_at(15, days_ahead=9)
    slot = SlotFactory(id=ids["slot"], role=role, start=start, end=start + dt.timedelta(minutes=30))
    appointment = Appointment.objects.create(
        id=ids["appointment"],
        patient=patient,
        slot=slot,
        practitioner_id=role.practitioner_id,
        location_id=role.location_id,
        appointment_type=visit,
        start=slot.start,
        end=slot.start + dt.timedelta(minutes=20),
        timezone=slot.timezone,
        status="booked",
        channel="patient",
        booked_at=timezone.now(),
    )
    allergy = AllergyFactory(id=ids["allergy"], patient=patient, verification_status="unconfirmed")
    offered = next_weekday_at(16, days_ahead=9)
    entry = WaitlistEntry.objects.create(
        id=ids["waitlist_entry"],
        patient=patient,
        practitioner_id=role.practitioner_id,
        location_id=role.location_id,
        appointment_type=visit,
        date_from=timezone.localdate(),
        date_to=timezone.localdate() + dt.timedelta(days=30),
        status="offered",
        offered_slot=SlotFactory(role=role, start=offered, end=offered + dt.timedelta(minutes=30)),
        offer_expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    return PatientWorld(
        patient=patient,
        user=user,
        appointment=appointment,
        allergy=allergy,
        waitlist_entry=entry,
        slot=slot,
    )


@pytest.fixture
def world(db) -> World:
    cache.clear()  # throttling counters and lockouts of earlier tests
    visit = AppointmentTypeFactory(code="sec-visit", name="Security visit", duration_minutes=20)
    role_a = PractitionerRoleFactory(appointment_types=[visit])
    role_b = PractitionerRoleFactory(appointment_types=[visit])
    a = _patient_world(
        A_IDS,
        role_a,
        visit,
        login="aurelio.login@example.test",
        mrn="TSECA0001",
        family_name="Brightwater",
        given_name="Aurelio",
        email="aurelio.brightwater@example.test",
        phone="+15559138001",
    )
    b = _patient_world(
        B_IDS,
        role_b,
        visit,
        login="zephyrine.login@example.test",
        mrn="TSECB0001",
        family_name="Quillfeather",
        given_name="Zephyrine",
        email="zephyrine.quillfeather@example.test",
        phone="+15559137001",
    )
    clinician = user_in_role(Role.CLINICIAN)
    StaffAssignmentFactory(user=clinician, location=role_a.location)
    front_desk = user_in_role(Role.FRONT_DESK)
    StaffAssignmentFactory(user=front_desk, location=role_a.location)
    admin = user_in_role(Role.ADMIN)
    rule = AvailabilityRuleFactory(role=role_b)
    exception = AvailabilityExceptionFactory(role=role_b)
    free_slots = [
        SlotFactory(
            role=role,
            start=next_weekday_at(hour, days_ahead=10),
            end=next_weekday_at(hour, days_ahead=10) + dt.timedelta(minutes=30),
        )
        for role in (role_a, role_b)
        for hour in (9, 10, 11)
    ]
    return World(
        a=a,
        b=b,
        role_a=role_a,
        role_b=role_b,
        visit=visit,
        clinician=clinician,
        front_desk=front_desk,
        admin=admin,
        rule_id=rule.id,
        exception_id=exception.id,
        totp_device_id=with_authenticator(admin).id,
        free_slots=free_slots,
    )


def session_client(user: User, *, enforce_csrf_checks: bool = False) -> Client:
    """A browser session of `user` that has passed the second factor (a patient too: the
    strongest session a patient could hold)."""
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    return signed_in_admin(client, user)
