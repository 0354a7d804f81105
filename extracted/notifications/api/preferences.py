"""The patient's notification preferences: /api/v1/me/notification-preferences/ (read, replace).

Served by the notifications service from its own database; the patient is the access token's
`patient_id` claim, so no lookup in the monolith is needed.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.openapi import problem
from apps.core.patient_api import PatientAPIView
from extracted.notifications import selectors, services
from extracted.notifications.models import Preference

_PREFERENCES_EXAMPLE = {
    "email": True,
    "sms": True,
    "quiet_hours_start": "21:00",
    "quiet_hours_end": "08:00",
    "consent_email": True,
    "consent_sms": False,
}
_PROBLEMS = {
    **problem(401, "Not signed in", {"not_authenticated": "Authentication credentials..."}),
    **problem(403, "Not a patient", {"permission_denied": "This endpoint is for patients."}),
}


class NotificationPreferencesApi(PatientAPIView):
    """The caller's channels and quiet hours. Consent stays with the patient's record (PATCH
    /api/v1/me/): a channel is used only when it is both consented to and turned on here."""

    @extend_schema_serializer(component_name="NotificationPreferences")
    class OutputSerializer(serializers.Serializer):
        email = serializers.BooleanField(source="email_enabled")
        sms = serializers.BooleanField(source="sms_enabled")
        quiet_hours_start = serializers.TimeField(format="%H:%M", allow_null=True)
        quiet_hours_end = serializers.TimeField(format="%H:%M", allow_null=True)
        consent_email = serializers.BooleanField(
            help_text="Consent recorded on the patient's record (read-only here)."
        )
        consent_sms = serializers.BooleanField(
            help_text="Consent recorded on the patient's record (read-only here)."
        )

    @extend_schema_serializer(component_name="NotificationPreferencesInput")
    class InputSerializer(serializers.Serializer):
        email = serializers.BooleanField()
        sms = serializers.BooleanField()
        quiet_hours_start = serializers.TimeField(
            allow_null=True,
            help_text="Local time (the clinic location's zone) from which nothing is sent.",
        )
        quiet_hours_end = serializers.TimeField(
            allow_null=True, help_text="Local time at which held messages are sent."
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            start, end = attrs["quiet_hours_start"], attrs["quiet_hours_end"]
            if (start is None) != (end is None):
                missing = "quiet_hours_end" if end is None else "quiet_hours_start"
                raise serializers.ValidationError(
                    {missing: ["Give both quiet-hours times, or neither."]}, code="required"
                )
            if start is not None and start == end:
                raise serializers.ValidationError(
                    {"quiet_hours_end": ["Quiet hours must end at another time than they start."]},
                    code="invalid",
                )
            return attrs

    def _output(self, preference: Preference) -> dict[str, Any]:
        contact = selectors.contact_get(patient_id=self.patient_id)
        return self.OutputSerializer(
            {
                "email_enabled": preference.email_enabled,
                "sms_enabled": preference.sms_enabled,
                "quiet_hours_start": preference.quiet_hours_start,
                "quiet_hours_end": preference.quiet_hours_end,
                "consent_email": bool(contact and contact.consent_email),
                "consent_sms": bool(contact and contact.consent_sms),
            }
        ).data

    @extend_schema(
        operation_id="me_notification_preferences_retrieve",
        tags=["me"],
        responses={200: OutputSerializer, **_PROBLEMS},
        examples=[
            OpenApiExample("Preferences", value=_PREFERENCES_EXAMPLE, response_only=True),
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(self._output(selectors.preference_get(patient_id=self.patient_id)))

    @extend_schema(
        operation_id="me_notification_preferences_update",
        tags=["me"],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **problem(
                400,
                "Invalid fields",
                {"validation_error": "Give both quiet-hours times, or neither."},
            ),
            **_PROBLEMS,
        },
        examples=[
            OpenApiExample(
                "Email only, quiet at night",
                value={
                    "email": True,
                    "sms": False,
                    "quiet_hours_start": "21:00",
                    "quiet_hours_end": "08:00",
                },
                request_only=True,
            ),
            OpenApiExample("Preferences", value=_PREFERENCES_EXAMPLE, response_only=True),
        ],
    )
    def put(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        preference = services.preference_update(
            patient_id=self.patient_id,
            email_enabled=data["email"],
            sms_enabled=data["sms"],
            quiet_hours_start=data["quiet_hours_start"],
            quiet_hours_end=data["quiet_hours_end"],
        )
        return Response(self._output(preference))
