"""The Django admin as HealthPortal runs it: for the admin role, after the second factor.

There is one way to sign in: the staff portal's password + TOTP form. The admin's own login
page sends there, and the admin refuses a session that has not passed the second factor.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


class HealthPortalAdminSite(admin.AdminSite):
    site_header = "HealthPortal administration"
    site_title = "HealthPortal"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and request.user.is_verified()

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        next_url = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(f"{reverse('portal:login')}?{urlencode({'next': next_url})}")


class HealthPortalAdminConfig(AdminConfig):
    default_site = "healthportal.admin.HealthPortalAdminSite"
