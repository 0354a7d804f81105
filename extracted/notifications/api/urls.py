from django.urls import path

from extracted.notifications.api.preferences import NotificationPreferencesApi

urlpatterns = [
    path(
        "me/notification-preferences/",
        NotificationPreferencesApi.as_view(),
        name="me-notification-preferences",
    ),
]
