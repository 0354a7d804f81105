"""The notifications service's staff pages, mounted at /staff/notifications/."""

from extracted.notifications.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
