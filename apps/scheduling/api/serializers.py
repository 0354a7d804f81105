"""Output shapes the scheduling API shares between its views: appointments, slots, references.

Plain Serializers over the public DTOs (no ModelSerializer: hot reads avoid its per-object cost).
"""

from __future__ import annotations

from rest_framework import serializers

from apps.scheduling.api.fields import ZonedDateTimeField
from apps.scheduling.contracts import AppointmentStatus, BookingChannel


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
