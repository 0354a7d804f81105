"""The service's own database: its tables there and only there, nothing of the monolith's."""

from __future__ import annotations

import pytest
from django.db import connections

from apps.core.management.commands.migrate_all import database_ensure
from tests.extracted.notifications.conftest import BOTH

pytestmark = pytest.mark.django_db(databases=BOTH)


def _tables(alias: str) -> set[str]:
    with connections[alias].cursor() as cursor:
        return set(connections[alias].introspection.table_names(cursor))


def test_the_router_keeps_each_apps_tables_in_its_own_database():
    notifications, default = _tables("notifications"), _tables("default")

    assert "notifications_message" in notifications
    assert "notifications_processedevent" in notifications
    assert not {t for t in default if t.startswith("notifications_")}
    assert not {"auth_user", "accounts_user", "django_content_type", "core_outboxevent"} & (
        notifications
    )


def test_migrate_all_finds_an_existing_database_and_leaves_it():
    assert database_ensure("notifications") is False
    assert "notifications_message" in _tables("notifications")
