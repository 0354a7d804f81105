"""The search catalogue cache: one Redis GET instead of two queries, a providers change visible
at once after it commits, and the database read when Redis is down."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from apps.providers import catalogue_cache
from apps.providers import public as providers
from tests.factories.providers import PractitionerRoleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.PROVIDERS_CATALOGUE_CACHE_SECONDS = 60
    catalogue_cache._entries.clear()
    cache.delete(catalogue_cache.VERSION_KEY)
    yield
    catalogue_cache._entries.clear()
    cache.delete(catalogue_cache.VERSION_KEY)


def test_a_second_search_reads_the_catalogue_without_a_query(django_assert_num_queries):
    role = PractitionerRoleFactory()

    first = providers.bookable_roles(location_id=role.location_id)
    providers.online_bookable_offers()
    with django_assert_num_queries(0):
        again = providers.bookable_roles(location_id=role.location_id)
        offers = providers.online_bookable_offers()

    assert list(again) == list(first) == [role.id]
    assert offers


def test_a_change_through_the_services_shows_as_soon_as_it_commits(
    django_capture_on_commit_callbacks,
):
    role = PractitionerRoleFactory()
    assert list(providers.bookable_roles(location_id=role.location_id)) == [role.id]

    with django_capture_on_commit_callbacks(execute=True):
        providers.practitioner_role_deactivate(role_id=role.id)

    assert providers.bookable_roles(location_id=role.location_id) == {}


def test_before_the_change_commits_the_old_catalogue_is_still_served(
    django_capture_on_commit_callbacks,
):
    role = PractitionerRoleFactory()
    providers.bookable_roles(location_id=role.location_id)

    with django_capture_on_commit_callbacks(execute=False) as pending:
        providers.practitioner_role_deactivate(role_id=role.id)
        # Other connections cannot see the change yet: no new version is published.
        assert list(providers.bookable_roles(location_id=role.location_id)) == [role.id]

    assert pending, "the new version waits for the commit"


def test_with_redis_down_the_catalogue_is_read_from_the_database(django_assert_num_queries):
    role = PractitionerRoleFactory()
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

    with override_settings(CACHES=unreachable):
        for _ in range(2):
            with django_assert_num_queries(1):
                found = providers.bookable_roles(location_id=role.location_id)
            assert list(found) == [role.id]
