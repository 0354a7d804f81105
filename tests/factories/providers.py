"""Locations, practitioners, appointment types, roles and weekly availability."""

import datetime as dt

import factory

from apps.providers.contracts import ExceptionKind
from apps.providers.models import (
    AppointmentType,
    AvailabilityException,
    AvailabilityRule,
    Location,
    Practitioner,
    PractitionerRole,
    Specialty,
    StaffAssignment,
)
from tests.factories.accounts import UserFactory


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Clinic {n}")
    city = "Springfield"
    country = "US"
    timezone = "America/New_York"


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner
        skip_postgeneration_save = True

    prefix = "Dr."
    family_name = factory.Faker("last_name")
    given_name = factory.Faker("first_name")
    qualifications = "MD"
    languages = factory.LazyFunction(lambda: ["en"])

    @factory.post_generation
    def specialties(self, create, extracted, **kwargs):
        if create:
            codes = extracted or ["family-medicine"]
            self.specialties.set(Specialty.objects.filter(code__in=codes))


class AppointmentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppointmentType

    code = factory.Sequence(lambda n: f"visit-{n}")
    name = factory.Sequence(lambda n: f"Visit {n}")
    duration_minutes = 20
    minimum_notice_minutes = 60
    booking_horizon_days = 90
    online_bookable = True


class PractitionerRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PractitionerRole
        skip_postgeneration_save = True

    practitioner = factory.SubFactory(PractitionerFactory)
    location = factory.SubFactory(LocationFactory)

    @factory.post_generation
    def appointment_types(self, create, extracted, **kwargs):
        if create:
            self.appointment_types.set(extracted or [AppointmentTypeFactory()])


class AvailabilityRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityRule

    role = factory.SubFactory(PractitionerRoleFactory)
    weekday = 0
    start_time = dt.time(9, 0)
    end_time = dt.time(12, 0)
    slot_minutes = 20
    capacity = 1


class AvailabilityExceptionFactory(factory.django.DjangoModelFactory):
    """A whole-day leave by default; give times, slot_minutes and capacity for extra hours."""

    class Meta:
        model = AvailabilityException

    role = factory.SubFactory(PractitionerRoleFactory)
    kind = ExceptionKind.LEAVE.value
    date_from = dt.date(2030, 1, 7)
    date_to = factory.SelfAttribute("date_from")


class StaffAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffAssignment

    user = factory.SubFactory(UserFactory)
    location = factory.SubFactory(LocationFactory)
