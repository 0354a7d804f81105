"""The Celery app: configured from Django settings (CELERY_*), tasks discovered per app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthportal.settings.local")

app = Celery("healthportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
