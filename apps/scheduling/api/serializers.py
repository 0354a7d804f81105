"""Output shapes the scheduling API shares between its views: appointments, slots, references.

Plain Serializers over the public DTOs (no ModelSerializer: hot reads avoid its per-object cost).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from rest_framework import serializers

from apps.scheduling.api.fields import ZonedDateTimeField
from apps.scheduling.contracts import (
    AppointmentDetail,
    AppointmentStatus,
    BookableSlot,
    BookingChannel,
)


class PractitionerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="practitioner_id")
    name = serializers.CharField(source="practitioner_name")

    class Meta:
        ref_name = "PractitionerRef"


class LocationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="location_id")
    name = serializers.CharField(source="location_name")

    class Meta:
        ref_name = "LocationRef"


class AppointmentTypeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="appointment_type_id")
    name = serializers.CharField(source="appointment_type_name")

    class Meta:
        ref_name = "AppointmentTypeRef"


class AppointmentSerializer(serializers.Serializer):
    """An appointment as its patient sees it; times carry the location's UTC offset."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[s.value for s in AppointmentStatus])
    start = ZonedDateTimeField(attribute="start")
    end = ZonedDateTimeField(attribute="end")
    timezone = serializers.CharField()
    practitioner = PractitionerRefSerializer(source="*")
    location = LocationRefSerializer(source="*")
    appointment_type = AppointmentTypeRefSerializer(source="*")
    reason = serializers.CharField()
    needs_allergy_review = serializers.BooleanField()
    channel = serializers.ChoiceField(choices=[c.value for c in BookingChannel])
    rescheduled_from = serializers.IntegerField(source="rescheduled_from_id", allow_null=True)

    class Meta:
        ref_name = "Appointment"


def zoned(instant: Any, zone_name: str | None) -> str | None:
    """ZonedDateTimeField's representation, as a plain function."""
    if instant is None:
        return None
    if zone_name:
        instant = instant.astimezone(ZoneInfo(zone_name))
    return instant.isoformat()


def appointment_representation(appointment: AppointmentDetail) -> dict[str, Any]:
    """What AppointmentSerializer answers for one appointment, without a serializer per row.

    Lists of appointments are hot reads; a test keeps the two equal.
    """
    return {
        "id": appointment.id,
        "status": str(appointment.status),
        "start": zoned(appointment.start, appointment.timezone),
        "end": zoned(appointment.end, appointment.timezone),
        "timezone": appointment.timezone,
        "practitioner": {"id": appointment.practitioner_id, "name": appointment.practitioner_name},
        "location": {"id": appointment.location_id, "name": appointment.location_name},
        "appointment_type": {
            "id": appointment.appointment_type_id,
            "name": appointment.appointment_type_name,
        },
        "reason": appointment.reason,
        "needs_allergy_review": appointment.needs_allergy_review,
        "channel": str(appointment.channel),
        "rescheduled_from": appointment.rescheduled_from_id,
    }


def slot_representation(slot: BookableSlot) -> dict[str, Any]:
    """What the slot search's SlotSerializer answers for one slot, as a plain function."""
    return {
        "id": slot.id,
        "start": zoned(slot.start, slot.timezone),
        "end": zoned(slot.end, slot.timezone),
        "timezone": slot.timezone,
        "practitioner": {"id": slot.practitioner_id, "name": slot.practitioner_name},
        "location": {"id": slot.location_id, "name": slot.location_name},
        "appointment_types": [
            {
                "id": kind.id,
                "code": kind.code,
                "name": kind.name,
                "duration_minutes": kind.duration_minutes,
            }
            for kind in slot.appointment_types
        ],
        "remaining": slot.remaining,
    }
