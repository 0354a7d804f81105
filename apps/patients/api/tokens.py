"""The patient token endpoints: sign in (patients only, with lockout) and refresh rotation."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts import public as accounts
from apps.core.errors import ApplicationError, PermissionDenied
from apps.core.openapi import problem
from apps.core.patient_api import PATIENT_ID_CLAIM
from apps.patients import public as patients

_TOKEN_PAIR_EXAMPLE = OpenApiExample(
    "Token pair",
    value={"access": "eyJhbGciOiJIUzI1NiIs...", "refresh": "eyJhbGciOiJIUzI1NiIs..."},
    response_only=True,
)


class InvalidCredentials(ApplicationError):
    status = 401
    code = "invalid_credentials"
    title = "Sign-in failed"


class LoginLocked(ApplicationError):
    status = 429
    code = "login_locked"
    title = "Too many failed sign-ins"


class StaffUsePortal(PermissionDenied):
    code = "staff_use_portal"


class NotAPatientAccount(PermissionDenied):
    code = "not_a_patient_account"


def _token_pair(refresh: RefreshToken) -> dict[str, str]:
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class _TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Access token (Bearer), carries `patient_id`.")
    refresh = serializers.CharField(help_text="Refresh token; single use (rotated).")


class PatientTokenObtainApi(APIView):
    """Sign in with email and password; patient accounts only."""

    authentication_classes: list[type] = []  # a stale Authorization header must not block
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema_serializer(component_name="PatientTokenObtainInput")
    class InputSerializer(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)

    @extend_schema_serializer(component_name="PatientTokenObtainOutput")
    class OutputSerializer(_TokenPairSerializer):
        pass

    @extend_schema(
        operation_id="auth_token_obtain",
        tags=["auth"],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **problem(
                400, "Invalid fields", {"validation_error": "One or more fields are invalid."}
            ),
            **problem(
                401,
                "Sign-in failed",
                {"invalid_credentials": "The email or password is not correct."},
            ),
            **problem(
                403,
                "Not a patient account",
                {
                    "staff_use_portal": "Staff sign in at the staff portal.",
                    "not_a_patient_account": "This account cannot sign in to the patient portal.",
                },
            ),
            **problem(
                429,
                "Locked out or throttled",
                {
                    "login_locked": "Too many failed sign-ins; try again in 15 minutes.",
                    "throttled": "Request was throttled.",
                },
            ),
        },
        examples=[
            OpenApiExample(
                "Credentials",
                value={"email": "ana@example.com", "password": "correct horse battery"},
                request_only=True,
            ),
            _TOKEN_PAIR_EXAMPLE,
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # One spelling per address, so "Ana@x" and "ana@x" share one lockout counter.
        email = accounts.email_normalize(serializer.validated_data["email"])
        # django-axes counts failures per (email, IP) in the signal authenticate() sends, and
        # its backend refuses a locked-out pair before any password is checked. The keyword is
        # `email`, not `username`: axes reads the login from the credential named after
        # USERNAME_FIELD (its AXES_USERNAME_FORM_FIELD default), so with `username` every
        # failure would count against one anonymous login per IP and never lock the email.
        user = authenticate(
            request=request, email=email, password=serializer.validated_data["password"]
        )
        if user is None:
            if getattr(request, "axes_locked_out", False):
                raise LoginLocked("Too many failed sign-ins; try again in 15 minutes.")
            # The same answer whether or not the address has an account.
            raise InvalidCredentials("The email or password is not correct.")
        if user.is_staff or accounts.user_is_staff(user_id=user.pk):
            raise StaffUsePortal("Staff sign in at the staff portal.")
        patient_id = patients.patient_id_for_portal_login(user_id=user.pk)
        if patient_id is None:
            raise NotAPatientAccount("This account cannot sign in to the patient portal.")
        # authenticate() alone does not tell axes (AXES_RESET_ON_SUCCESS) or last_login.
        user_logged_in.send(sender=type(user), request=request, user=user)
        refresh = RefreshToken.for_user(user)
        # On the refresh token, so every access token minted from it (now or on rotation)
        # carries the claim too.
        refresh[PATIENT_ID_CLAIM] = patient_id
        return Response(self.OutputSerializer(_token_pair(refresh)).data)


class PatientTokenRefreshApi(APIView):
    """Exchange a refresh token for a new pair; the old refresh token is blacklisted."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema_serializer(component_name="PatientTokenRefreshInput")
    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema_serializer(component_name="PatientTokenRefreshOutput")
    class OutputSerializer(_TokenPairSerializer):
        pass

    def get_authenticate_header(self, request: Request) -> str:
        # Without an authentication class DRF would turn a refused token into a 403; a bad
        # refresh token is a failed authentication (401), and the header says which scheme.
        return 'Bearer realm="api"'

    @extend_schema(
        operation_id="auth_token_refresh",
        tags=["auth"],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **problem(
                400, "Invalid fields", {"validation_error": "One or more fields are invalid."}
            ),
            **problem(
                401,
                "The refresh token is not accepted",
                {
                    "token_not_valid": "Token is blacklisted",
                    "no_active_account": "No active account found for the given token.",
                },
            ),
            **problem(429, "Throttled", {"throttled": "Request was throttled."}),
        },
        examples=[
            OpenApiExample(
                "Refresh", value={"refresh": "eyJhbGciOiJIUzI1NiIs..."}, request_only=True
            ),
            _TOKEN_PAIR_EXAMPLE,
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            # Checks signature, expiry, token type and the blacklist.
            refresh = RefreshToken(serializer.validated_data["refresh"])
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc
        _check_still_a_patient(refresh)
        with transaction.atomic():
            # As simplejwt's own rotation does: same claims (patient_id too), new id and times.
            refresh.blacklist()
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            refresh.outstand()
        return Response(self.OutputSerializer(_token_pair(refresh)).data, status=status.HTTP_200_OK)


def _check_still_a_patient(refresh: RefreshToken) -> None:
    """The login is still active and still the portal login of the patient the token names."""
    user_id: Any = refresh.get(jwt_settings.USER_ID_CLAIM)
    patient_id: Any = refresh.get(PATIENT_ID_CLAIM)
    try:
        user_id, patient_id = int(user_id), int(patient_id)
    except (TypeError, ValueError) as exc:
        raise InvalidToken("Token has no patient account") from exc
    if patients.patient_id_for_portal_login(user_id=user_id) != patient_id:
        raise AuthenticationFailed(
            "No active account found for the given token.", code="no_active_account"
        )
