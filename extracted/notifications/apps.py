from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "extracted.notifications"
    label = "notifications"
    verbose_name = "Notifications"
