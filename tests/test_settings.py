"""Production reads its configuration from the environment; Sentry only with a DSN, no PII."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from healthportal.settings.environment import env

PROJECT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "healthportal.settings.production",
    "DJANGO_SECRET_KEY": "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "portal.example.org",
    "DATABASE_URL": "postgres://u:p@db.internal:5432/healthportal",
    "REDIS_URL": "redis://cache.internal:6379/0",
}
PROBE = (
    "import django, sentry_sdk; django.setup(); from django.conf import settings as s; "
    "c = sentry_sdk.get_client(); "
    "print(c.is_active(), c.options.get('send_default_pii'), s.DATABASES['default']['HOST'], "
    "s.ALLOWED_HOSTS, s.DEBUG, s.CELERY_BROKER_URL)"
)


def _run(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    environment.pop("SENTRY_DSN", None)
    environment.update(PRODUCTION_ENV)
    for key, value in overrides.items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_reads_the_environment_and_keeps_sentry_off_without_a_dsn():
    result = _run()

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "None",
        "db.internal",
        "['portal.example.org']",
        "False",
        "redis://cache.internal:6379/0",
    ]


def test_production_enables_sentry_with_a_dsn_and_never_sends_personal_data():
    result = _run(SENTRY_DSN="https://public@sentry.invalid/1")

    assert result.returncode == 0, result.stderr
    active, send_pii = result.stdout.split()[:2]
    assert (active, send_pii) == ("True", "False")


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without_a_required_variable(missing):
    result = _run(**{missing: None})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_reading_an_undeclared_variable_is_refused():
    with pytest.raises(KeyError, match="not declared"):
        env("SOMETHING_NOBODY_DECLARED")
