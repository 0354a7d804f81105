"""URLs of the providers part of the patient API, mounted under /api/v1/.

Practitioner search lives in apps.scheduling.api: it needs availability, which is scheduling's.
"""

from django.urls import URLPattern, path

from apps.providers.api.views import AppointmentTypeListApi, LocationListApi, SpecialtyListApi

urlpatterns: list[URLPattern] = [
    path("specialties/", SpecialtyListApi.as_view(), name="specialties"),
    path("locations/", LocationListApi.as_view(), name="locations"),
    path("appointment-types/", AppointmentTypeListApi.as_view(), name="appointment-types"),
]
