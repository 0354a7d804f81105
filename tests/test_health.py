"""/health/live and /health/ready: 200 when healthy, 503 when not, never a redirect."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from healthportal.settings import production
from tests.conftest import use_broker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def test_live_answers_200(client):
    response = client.get("/health/live")

    assert response.status_code == 200


def test_ready_answers_200_with_every_check_listed(client):
    response = client.get("/health/ready", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    checks = set(response.json())
    assert {name.split("(")[0] for name in checks} == {"Database", "Cache", "Broker"}


def test_ready_answers_503_when_the_broker_is_unreachable(client):
    use_broker("redis+socket:///tmp/healthportal-no-such-broker.sock")
    try:
        response = client.get("/health/ready", HTTP_ACCEPT="application/json")
    finally:
        use_broker(django_settings.CELERY_BROKER_URL)

    assert response.status_code == 503
    failing = {name.split("(")[0] for name, status in response.json().items() if status != "OK"}
    assert failing == {"Broker"}


def test_ready_answers_503_when_the_cache_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "unix:///tmp/healthportal-no-such-cache.sock",
        }
    }

    response = client.get("/health/ready", HTTP_ACCEPT="application/json")

    assert response.status_code == 503


def test_health_is_never_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = production.SECURE_REDIRECT_EXEMPT

    health = client.get("/health/live")
    other = client.get("/admin/login/")

    assert health.status_code == 200
    assert other.status_code == 301
