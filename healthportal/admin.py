"""The Django admin as HealthPortal runs it: for the admin role, after the second factor.

There is one way to sign in: the staff portal's password + TOTP form, which the admin's login
URL also serves; the admin refuses a session that has not passed the second factor.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


class HealthPortalAdminSite(admin.AdminSite):
    site_header = "HealthPortal administration"
    site_title = "HealthPortal"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and request.user.is_verified()

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # Imported here: this module is loaded with INSTALLED_APPS, before models are ready.
        from apps.portal.access import forbidden
        from apps.portal.views.auth import sign_in

        user = request.user
        if user.is_authenticated and user.is_verified() and not self.has_permission(request):
            # Signed in with both factors, but not an administrator: say so, do not loop.
            return forbidden(
                request,
                action="use the Django admin",
                allowed="administrators",
                reason="You are signed in, but not as an administrator.",
            )
        if "next" not in request.GET:
            # Signed in here, one returns to the admin, not to the portal's Today page.
            request.GET = request.GET.copy()
            request.GET["next"] = reverse("admin:index")
        return sign_in(request)


class HealthPortalAdminConfig(AdminConfig):
    default_site = "healthportal.admin.HealthPortalAdminSite"
