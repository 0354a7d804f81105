"""Routes the notifications service's models, and only them, to its own database alias."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

APP_LABEL = "notifications"
DATABASE = "notifications"


class NotificationsRouter:
    """Reads, writes and migrations of the `notifications` app go to the `notifications` alias;
    nothing else is migrated there (auth, contenttypes and the monolith stay on `default`)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return DATABASE if model._meta.app_label == APP_LABEL else None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return DATABASE if model._meta.app_label == APP_LABEL else None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # No foreign key crosses databases: the service holds ids of the monolith's records.
        inside = (obj1._meta.app_label == APP_LABEL, obj2._meta.app_label == APP_LABEL)
        if any(inside):
            return all(inside)
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if app_label == APP_LABEL:
            return db == DATABASE
        if db == DATABASE:
            return False
        return None
