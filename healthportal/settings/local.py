"""make run on a laptop: DEBUG, embedded Postgres/Redis when no URLs are set, mail to files."""

import os

from healthportal.embedded import ensure_service_urls

ensure_service_urls()
os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-not-secret-healthportal-local")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

from healthportal.settings.base import *

DEBUG = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = BASE_DIR / ".data" / "mail"
DEMO_DATA_ALLOWED = True
