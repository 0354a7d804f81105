"""URLs of the scheduling part of the patient API, mounted under /api/v1/."""

from django.urls import URLPattern, path

from apps.scheduling.api.appointments import (
    AppointmentCancelApi,
    AppointmentCollectionApi,
    AppointmentDetailApi,
    AppointmentRescheduleApi,
)
from apps.scheduling.api.search import ProviderDetailApi, ProviderSearchApi, SlotSearchApi
from apps.scheduling.api.waitlist import (
    WaitlistAcceptApi,
    WaitlistCollectionApi,
    WaitlistLeaveApi,
)

urlpatterns: list[URLPattern] = [
    path("me/appointments/", AppointmentCollectionApi.as_view(), name="me-appointments"),
    path(
        "me/appointments/<int:appointment_id>/",
        AppointmentDetailApi.as_view(),
        name="me-appointment-detail",
    ),
    path(
        "me/appointments/<int:appointment_id>/cancel/",
        AppointmentCancelApi.as_view(),
        name="me-appointment-cancel",
    ),
    path(
        "me/appointments/<int:appointment_id>/reschedule/",
        AppointmentRescheduleApi.as_view(),
        name="me-appointment-reschedule",
    ),
    path("me/waitlist/", WaitlistCollectionApi.as_view(), name="me-waitlist"),
    path("me/waitlist/<int:entry_id>/", WaitlistLeaveApi.as_view(), name="me-waitlist-entry"),
    path(
        "me/waitlist/<int:entry_id>/accept/",
        WaitlistAcceptApi.as_view(),
        name="me-waitlist-accept",
    ),
    path("providers/", ProviderSearchApi.as_view(), name="providers"),
    path("providers/<int:practitioner_id>/", ProviderDetailApi.as_view(), name="provider-detail"),
    path("slots/", SlotSearchApi.as_view(), name="slots"),
]
