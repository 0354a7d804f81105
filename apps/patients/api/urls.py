"""URLs of the patients part of the patient API, mounted under /api/v1/."""

from django.urls import URLPattern, path

from apps.patients.api.access_log import AccessLogApi
from apps.patients.api.profile import PatientMeApi
from apps.patients.api.registration import PatientRegisterApi
from apps.patients.api.tokens import PatientTokenObtainApi, PatientTokenRefreshApi

urlpatterns: list[URLPattern] = [
    path("auth/token/", PatientTokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh/", PatientTokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/register/", PatientRegisterApi.as_view(), name="auth-register"),
    path("me/", PatientMeApi.as_view(), name="me"),
    path("me/access-log/", AccessLogApi.as_view(), name="me-access-log"),
]
