"""The project's URLs: admin, staff portal, health, metrics, API v1 and its documentation."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from apps.core.health import LiveView, ReadyView
from apps.core.metrics import metrics_view

api_v1 = [
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.patients.api.urls")),
    path("", include("apps.allergies.api.urls")),
    path("", include("apps.providers.api.urls")),
    path("", include("apps.scheduling.api.urls")),
    path("", include("extracted.notifications.api.urls")),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-v1:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-v1:schema"), name="redoc"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/notifications/", include("extracted.notifications.urls")),
    path("staff/", include("apps.portal.urls")),
    path("health/live", LiveView.as_view(), name="health-live"),
    path("health/ready", ReadyView.as_view(), name="health-ready"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include((api_v1, "api-v1"))),
]

handler404 = "apps.core.problems.page_not_found"
