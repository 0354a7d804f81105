"""The patient's own profile: /api/v1/me/ (read, and change contact data and consent)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.openapi import problem
from apps.core.patient_api import PatientAPIView
from apps.patients import public as patients

_PROFILE_EXAMPLE = {
    "mrn": "000001234",
    "family_name": "García",
    "given_name": "Ana",
    "birth_date": "1985-04-12",
    "gender": "female",
    "phone": "+34600111222",
    "email": "ana@example.com",
    "address_line": "Calle Mayor 1",
    "city": "Madrid",
    "postal_code": "28013",
    "country": "ES",
    "emergency_contact_name": "Luis García",
    "emergency_contact_phone": "+34600333444",
    "emergency_contact_relationship": "brother",
    "preferred_language": "es",
    "consent_email": True,
    "consent_sms": False,
    "review_status": "approved",
}


class PatientMeApi(PatientAPIView):
    """The caller's own patient record: GET reads it, PATCH changes contact data and consent.

    One class serves both methods because they share one URL; each has its own serializers and
    its own operation id.
    """

    @extend_schema_serializer(component_name="PatientMeOutput")
    class OutputSerializer(serializers.Serializer):
        mrn = serializers.CharField()
        family_name = serializers.CharField()
        given_name = serializers.CharField()
        birth_date = serializers.DateField()
        gender = serializers.CharField()
        phone = serializers.CharField()
        email = serializers.CharField(help_text="Contact email (not necessarily the login).")
        address_line = serializers.CharField()
        city = serializers.CharField()
        postal_code = serializers.CharField()
        country = serializers.CharField()
        emergency_contact_name = serializers.CharField()
        emergency_contact_phone = serializers.CharField()
        emergency_contact_relationship = serializers.CharField()
        preferred_language = serializers.CharField()
        consent_email = serializers.BooleanField()
        consent_sms = serializers.BooleanField()
        review_status = serializers.CharField()

    @extend_schema_serializer(component_name="PatientMeUpdateInput")
    class UpdateInputSerializer(serializers.Serializer):
        """The allow-list: anything else (names, birth date, MRN, status) is ignored."""

        phone = serializers.CharField(max_length=32, allow_blank=True)
        email = serializers.CharField(max_length=254, allow_blank=True)
        address_line = serializers.CharField(max_length=200, allow_blank=True)
        city = serializers.CharField(max_length=100, allow_blank=True)
        postal_code = serializers.CharField(max_length=20, allow_blank=True)
        country = serializers.CharField(max_length=2, allow_blank=True)
        emergency_contact_name = serializers.CharField(max_length=200, allow_blank=True)
        emergency_contact_phone = serializers.CharField(max_length=32, allow_blank=True)
        emergency_contact_relationship = serializers.CharField(max_length=50, allow_blank=True)
        preferred_language = serializers.CharField(max_length=8)
        consent_email = serializers.BooleanField()
        consent_sms = serializers.BooleanField()

    @extend_schema(
        operation_id="me_retrieve",
        tags=["me"],
        responses={
            200: OutputSerializer,
            **problem(401, "Not signed in", {"not_authenticated": "Authentication credentials..."}),
            **problem(
                403, "Not a patient", {"permission_denied": "This endpoint is for patients."}
            ),
            **problem(404, "No active record", {"patient_not_found": "There is no patient 42."}),
        },
        examples=[OpenApiExample("Profile", value=_PROFILE_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        profile = patients.patient_profile_get(patient_id=self.patient_id)
        return Response(self.OutputSerializer(profile).data)

    @extend_schema(
        operation_id="me_update",
        tags=["me"],
        request=UpdateInputSerializer,
        responses={
            200: OutputSerializer,
            **problem(
                400, "Invalid fields", {"validation_error": "The patient has invalid fields."}
            ),
            **problem(401, "Not signed in", {"not_authenticated": "Authentication credentials..."}),
            **problem(
                403, "Not a patient", {"permission_denied": "This endpoint is for patients."}
            ),
            **problem(404, "No active record", {"patient_not_found": "There is no patient 42."}),
        },
        examples=[
            OpenApiExample(
                "New phone, SMS consent",
                value={"phone": "+34 600 999 888", "consent_sms": True},
                request_only=True,
            ),
            OpenApiExample("Profile", value=_PROFILE_EXAMPLE, response_only=True),
        ],
    )
    def patch(self, request: Request) -> Response:
        serializer = self.UpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = patients.patient_profile_update(
            patient_id=self.patient_id, user_id=request.user.pk, **serializer.validated_data
        )
        return Response(self.OutputSerializer(profile).data)
