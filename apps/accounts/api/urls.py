"""URLs of the accounts part of the patient API, mounted under /api/v1/."""

from django.urls import URLPattern, path

from apps.accounts.api.passwords import (
    LogoutApi,
    PasswordChangeApi,
    PasswordResetApi,
    PasswordResetConfirmApi,
)

urlpatterns: list[URLPattern] = [
    path("auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("auth/password/change/", PasswordChangeApi.as_view(), name="auth-password-change"),
    path("auth/password/reset/", PasswordResetApi.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm/",
        PasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
]
