"""Portal registration: a login for an invited patient, or self-registration pending review."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.core.openapi import problem
from apps.patients import public as patients
from apps.patients.contracts import LANGUAGES, AdministrativeGender

_SELF_REGISTRATION_FIELDS = ("family_name", "given_name", "birth_date", "gender")


class PatientRegisterApi(APIView):
    """Create a patient portal account.

    With `invitation_code` (given by the clinic), the login is linked to the invited patient
    and only email and password are read. Without one, the demographic fields are required and
    a new patient record is created waiting for staff review: the patient can sign in but not
    book until approved. Any other field sent (review status, MRN...) is ignored.
    """

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema_serializer(component_name="PatientRegisterInput")
    class InputSerializer(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)
        invitation_code = serializers.CharField(max_length=32, required=False)
        family_name = serializers.CharField(max_length=100, required=False)
        given_name = serializers.CharField(max_length=100, required=False)
        birth_date = serializers.DateField(required=False)
        gender = serializers.ChoiceField(
            choices=[gender.value for gender in AdministrativeGender], required=False
        )
        phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
        preferred_language = serializers.ChoiceField(choices=LANGUAGES, required=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if "invitation_code" not in attrs:
                missing = {
                    name: ["Required when registering without an invitation code."]
                    for name in _SELF_REGISTRATION_FIELDS
                    if name not in attrs
                }
                if missing:
                    raise serializers.ValidationError(missing, code="required")
            return attrs

    @extend_schema_serializer(component_name="PatientRegisterOutput")
    class OutputSerializer(serializers.Serializer):
        mrn = serializers.CharField()
        review_status = serializers.CharField()

    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **problem(
                400,
                "The registration is refused",
                {
                    "validation_error": "One or more fields are invalid.",
                    "invitation_invalid": "This invitation code is not valid.",
                    "registration_refused": "We cannot register an account with these details.",
                },
            ),
            **problem(
                409, "Conflict", {"patient_already_linked": "This patient already has a login."}
            ),
            **problem(429, "Throttled", {"throttled": "Request was throttled."}),
        },
        examples=[
            OpenApiExample(
                "With an invitation",
                value={
                    "email": "ana@example.com",
                    "password": "correct horse battery",
                    "invitation_code": "ABCD-EFGH",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Self-registration",
                value={
                    "email": "ana@example.com",
                    "password": "correct horse battery",
                    "family_name": "García",
                    "given_name": "Ana",
                    "birth_date": "1985-04-12",
                    "gender": "female",
                    "phone": "+34600111222",
                    "preferred_language": "es",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Registered, waiting for review",
                value={"mrn": "000001234", "review_status": "pending"},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "invitation_code" in data:
            summary = patients.patient_register_invited(
                email=data["email"],
                password=data["password"],
                invitation_code=data["invitation_code"],
            )
        else:
            summary = patients.patient_register_self(
                email=data["email"],
                password=data["password"],
                family_name=data["family_name"],
                given_name=data["given_name"],
                birth_date=data["birth_date"],
                gender=data["gender"],
                phone=data.get("phone", ""),
                preferred_language=data.get("preferred_language", "en"),
            )
        return Response(self.OutputSerializer(summary).data, status=status.HTTP_201_CREATED)
