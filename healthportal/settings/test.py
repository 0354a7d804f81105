"""The test suite: embedded servers when no URLs are set, their own database and Redis db."""

import os

from healthportal.embedded import data_dir, ensure_service_urls

# Redis db 1 keeps test queues and cache apart from a make run sharing the embedded server.
ensure_service_urls(redis_db=1)
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret-healthportal")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SMS_PROVIDER", "file")
os.environ.setdefault("NOTIFICATIONS_OUTPUT_DIR", str(data_dir() / "test-notifications"))

from healthportal.settings.base import *

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Factories write providers rows without the services that publish a new catalogue version;
# tests/apps/providers/test_catalogue_cache.py turns the cache on.
PROVIDERS_CATALOGUE_CACHE_SECONDS = 0
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["notifications"]["CONN_MAX_AGE"] = 0
NOTIFICATIONS_EMAIL_BACKEND = "extracted.notifications.channels.MessageFileEmailBackend"
DEMO_DATA_ALLOWED = True
# A consumer model and test-only views for the kernel's tests (tests/support).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.support"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
