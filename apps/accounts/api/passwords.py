"""Sign-out and passwords for patient accounts: logout, change, reset by emailed link."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.accounts import public as accounts
from apps.core.openapi import problem
from apps.core.patient_api import IsPatient

_UNAUTHENTICATED = problem(
    401, "Not signed in", {"not_authenticated": "Authentication credentials were not provided."}
)
_NOT_A_PATIENT = problem(
    403, "Not a patient account", {"permission_denied": "This endpoint is for patient accounts."}
)


class LogoutApi(APIView):
    """Sign out: the given refresh token (one of the caller's own) is blacklisted."""

    permission_classes = [IsPatient]

    @extend_schema_serializer(component_name="LogoutInput")
    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema(
        operation_id="auth_logout",
        tags=["auth"],
        request=InputSerializer,
        responses={
            204: OpenApiResponse(description="Signed out."),
            **problem(
                400,
                "Not a live refresh token of the caller",
                {"refresh_token_invalid": "This refresh token cannot be revoked."},
            ),
            **_UNAUTHENTICATED,
            **_NOT_A_PATIENT,
        },
        examples=[
            OpenApiExample(
                "Refresh token", value={"refresh": "eyJhbGciOiJIUzI1NiIs..."}, request_only=True
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        accounts.user_refresh_token_revoke(
            user_id=request.user.pk, refresh=serializer.validated_data["refresh"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeApi(APIView):
    """Change the password knowing the current one; every session is signed out."""

    permission_classes = [IsPatient]

    @extend_schema_serializer(component_name="PasswordChangeInput")
    class InputSerializer(serializers.Serializer):
        old_password = serializers.CharField(max_length=4096, trim_whitespace=False)
        new_password = serializers.CharField(max_length=4096, trim_whitespace=False)

    @extend_schema(
        operation_id="auth_password_change",
        tags=["auth"],
        request=InputSerializer,
        responses={
            204: OpenApiResponse(description="Changed; every refresh token is revoked."),
            **problem(
                400,
                "Invalid fields",
                {
                    "old_password_incorrect": "The current password is not correct.",
                    "validation_error": "The password is too weak.",
                },
            ),
            **_UNAUTHENTICATED,
            **_NOT_A_PATIENT,
        },
        examples=[
            OpenApiExample(
                "Change",
                value={"old_password": "correct horse battery", "new_password": "a new long one"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        accounts.user_password_change(
            user_id=request.user.pk,
            old_password=serializer.validated_data["old_password"],
            new_password=serializer.validated_data["new_password"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetApi(APIView):
    """Ask for a reset link by email. Always 202: the answer never tells whether the address
    has an account; patient accounts receive the link."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "password_reset"

    @extend_schema_serializer(component_name="PasswordResetInput")
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)

    @extend_schema_serializer(component_name="PasswordResetOutput")
    class OutputSerializer(serializers.Serializer):
        detail = serializers.CharField()

    @extend_schema(
        operation_id="auth_password_reset",
        tags=["auth"],
        request=InputSerializer,
        responses={
            202: OutputSerializer,
            **problem(
                400, "Invalid fields", {"validation_error": "One or more fields are invalid."}
            ),
            **problem(429, "Throttled", {"throttled": "Request was throttled."}),
        },
        examples=[
            OpenApiExample("Email", value={"email": "ana@example.com"}, request_only=True),
            OpenApiExample(
                "Accepted",
                value={"detail": "If this address has an account, a reset link is on its way."},
                response_only=True,
                status_codes=["202"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        accounts.user_password_reset_send(email=serializer.validated_data["email"])
        body = {"detail": "If this address has an account, a reset link is on its way."}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(APIView):
    """Set a new password with the uid and token of an emailed link; every session ends."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema_serializer(component_name="PasswordResetConfirmInput")
    class InputSerializer(serializers.Serializer):
        uid = serializers.CharField(max_length=64)
        token = serializers.CharField(max_length=128)
        new_password = serializers.CharField(max_length=4096, trim_whitespace=False)

    @extend_schema(
        operation_id="auth_password_reset_confirm",
        tags=["auth"],
        request=InputSerializer,
        responses={
            204: OpenApiResponse(description="Password set; every refresh token is revoked."),
            **problem(
                400,
                "Invalid link or fields",
                {
                    "reset_link_invalid": "This password reset link is not valid.",
                    "validation_error": "The password is too weak.",
                },
            ),
            **problem(429, "Throttled", {"throttled": "Request was throttled."}),
        },
        examples=[
            OpenApiExample(
                "Confirm",
                value={
                    "uid": "MTI",
                    "token": "c4l1p2-0123456789abcdef",
                    "new_password": "a new one",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        accounts.user_password_reset_confirm(
            uid=serializer.validated_data["uid"],
            token=serializer.validated_data["token"],
            new_password=serializer.validated_data["new_password"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
