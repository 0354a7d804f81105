"""The project's URLs plus the reference endpoints under /bench/ (bench settings only)."""

from django.urls import path

from healthportal.bench.views import DrfAppointmentsReference, bare, raw_appointments
from healthportal.urls import handler404
from healthportal.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("bench/raw-appointments/", raw_appointments, name="bench-raw-appointments"),
    path(
        "bench/drf-appointments/",
        DrfAppointmentsReference.as_view(),
        name="bench-drf-appointments",
    ),
    *project_urlpatterns,
]

__all__ = ["handler404", "urlpatterns"]
