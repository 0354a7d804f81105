"""Slots and appointments, written directly (the services are what the tests exercise)."""

import datetime as dt

import factory
from django.utils.timezone import now

from apps.providers.models import PractitionerRole
from apps.scheduling.models import Appointment, Slot
from tests.factories.patients import PatientFactory
from tests.factories.providers import PractitionerRoleFactory


def next_weekday_at(hour: int, *, days_ahead: int = 7) -> dt.datetime:
    """A whole hour some days ahead, in UTC: comfortably past any minimum notice."""
    day = now() + dt.timedelta(days=days_ahead)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot
        exclude = ("role",)

    role = factory.SubFactory(PractitionerRoleFactory)
    practitioner_role_id = factory.LazyAttribute(lambda o: o.role.id)
    practitioner_id = factory.LazyAttribute(lambda o: o.role.practitioner_id)
    location_id = factory.LazyAttribute(lambda o: o.role.location_id)
    timezone = factory.LazyAttribute(lambda o: o.role.location.timezone)
    start = factory.LazyFunction(lambda: next_weekday_at(14))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(minutes=30))
    capacity = 1


class AppointmentFactory(factory.django.DjangoModelFactory):
    """An appointment in a slot (the database trigger counts it in the slot)."""

    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    slot = factory.SubFactory(SlotFactory)
    practitioner_id = factory.LazyAttribute(lambda o: o.slot.practitioner_id)
    location_id = factory.LazyAttribute(lambda o: o.slot.location_id)
    appointment_type = factory.LazyAttribute(
        lambda o: (
            PractitionerRole.objects.get(id=o.slot.practitioner_role_id)
            .appointment_types.order_by("id")
            .first()
        )
    )
    start = factory.LazyAttribute(lambda o: o.slot.start)
    end = factory.LazyAttribute(lambda o: o.slot.start + dt.timedelta(minutes=20))
    timezone = factory.LazyAttribute(lambda o: o.slot.timezone)
    status = "booked"
    channel = "staff"
    booked_at = factory.LazyFunction(now)
