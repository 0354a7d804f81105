"""make run on a laptop: DEBUG, embedded Postgres/Redis when no URLs are set, mail to files."""

import os

from healthportal.embedded import data_dir, ensure_service_urls

ensure_service_urls()
os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-not-secret-healthportal-local")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
os.environ.setdefault("SMS_PROVIDER", "file")
os.environ.setdefault("NOTIFICATIONS_OUTPUT_DIR", str(data_dir()))

from healthportal.settings.base import *

DEBUG = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = BASE_DIR / ".data" / "mail"
# One file per message, named by its id: <NOTIFICATIONS_OUTPUT_DIR>/mail/<message id>.eml.
NOTIFICATIONS_EMAIL_BACKEND = "extracted.notifications.channels.MessageFileEmailBackend"
DEMO_DATA_ALLOWED = True
