"""Reference endpoints the benchmarks measure beside the real ones, in the same run.

- `bare`: a JsonResponse and nothing else (the floor of the middleware stack and gunicorn).
- `raw_appointments`: one patient's 20 latest appointments from one values() query, as JSON;
  no authentication, no audit. The ceiling the patient API's list is compared with.
- `DrfAppointmentsReference`: what a newcomer would write: a DRF ListAPIView with JWT
  authentication and nested ModelSerializers over the same rows, without audit.
"""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, JsonResponse
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework_simplejwt.authentication import JWTAuthentication

from apps.core.patient_api import patient_id_of
from apps.providers.models import AppointmentType, Location, Practitioner
from apps.scheduling.models import Appointment

PAGE = 20


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def raw_appointments(request: HttpRequest) -> JsonResponse:
    patient_id = int(request.GET.get("patient", "0"))
    rows = list(
        Appointment.objects.filter(patient_id=patient_id)
        .order_by("-start", "-id")
        .values(
            "id",
            "status",
            "start",
            "end",
            "timezone",
            "reason",
            "channel",
            "needs_allergy_review",
            "rescheduled_from_id",
            "practitioner_id",
            "practitioner__given_name",
            "practitioner__family_name",
            "location_id",
            "location__name",
            "appointment_type_id",
            "appointment_type__name",
        )[:PAGE]
    )
    return JsonResponse({"results": rows}, encoder=DjangoJSONEncoder)


class _PractitionerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Practitioner
        fields = ["id", "given_name", "family_name"]
        ref_name = "BenchPractitioner"


class _LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "name"]
        ref_name = "BenchLocation"


class _AppointmentTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = AppointmentType
        fields = ["id", "name"]
        ref_name = "BenchAppointmentType"


class _AppointmentSerializer(serializers.ModelSerializer):
    practitioner = _PractitionerSerializer()
    location = _LocationSerializer()
    appointment_type = _AppointmentTypeSerializer()

    class Meta:
        model = Appointment
        fields = [
            "id",
            "status",
            "start",
            "end",
            "timezone",
            "practitioner",
            "location",
            "appointment_type",
            "reason",
            "needs_allergy_review",
            "channel",
            "rescheduled_from",
        ]
        ref_name = "BenchAppointment"


class DrfAppointmentsReference(generics.ListAPIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]
    serializer_class = _AppointmentSerializer

    def get_queryset(self):
        return (
            Appointment.objects.filter(patient_id=patient_id_of(self.request))
            .select_related("practitioner", "location", "appointment_type")
            .order_by("-start", "-id")
        )
